#include "argmax_rows.h"

#include <cmath>
#include <string>

namespace atrous {

Status validateArgmaxRows(const char* fn, ConstFloatSpan x, int64_t rows, int64_t cols, long long outSize) {
  const std::string f = fn;
  if (rows < 0 || cols < 1 || cols > 2147483647)
    return Status::error(f + ": expects rows >= 0 and cols in [1, 2^31-1], but got " + std::to_string(rows) + " x " +
                         std::to_string(cols));
  if (x.size != rows * cols)
    return Status::error(f + ": x expects rows*cols = " + std::to_string(rows * cols) + " values, but got " +
                         std::to_string(x.size));
  if (outSize != rows)
    return Status::error(f + ": out expects " + std::to_string(rows) + " values (one per row), but got " +
                         std::to_string(outSize));
  return Status::ok();
}

Status argmaxRows(ConstFloatSpan x, int64_t rows, int64_t cols, int32_t* out, long long outSize) {
  Status checked = validateArgmaxRows("argmaxRows", x, rows, cols, outSize);
  if (!checked.isOk()) return checked;
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = x.data + r * cols;
    int64_t best = 0;
    for (int64_t c = 0; c < cols && !std::isnan(row[best]); ++c) {
      if (std::isnan(row[c]) || row[c] > row[best]) best = c;
    }
    out[r] = static_cast<int32_t>(best);
  }
  return Status::ok();
}

}  // namespace atrous
