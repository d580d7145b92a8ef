#include "argmax_rows.h"

#include <cmath>
#include <string>
#include <vector>

#include "../checked_math.h"
#include "op_checks.h"
#include "parallel_ranges.h"

namespace atrous {
namespace {

Status validateArgmaxAlong(const char* fn, ConstFloatSpan x, int64_t outer, int64_t size, int64_t inner,
                           long long outSize) {
  const std::string f = fn;
  int64_t total = 0;
  if (outer < 0 || inner < 0 || size < 1 || size > 2147483647 || mulOverflows(outer, size, &total) ||
      mulOverflows(total, inner, &total) || total > 2147483647)
    return Status::error(f + ": expects outer >= 0, size in [1, 2^31-1], inner >= 0 with a product < 2^31, but got " +
                         std::to_string(outer) + " x " + std::to_string(size) + " x " + std::to_string(inner));
  if (x.size != total)
    return Status::error(f + ": x expects outer*size*inner = " + std::to_string(total) + " values, but got " +
                         std::to_string(x.size));
  if (outSize != outer * inner)
    return Status::error(f + ": out expects " + std::to_string(outer * inner) + " values (outer*inner), but got " +
                         std::to_string(outSize));
  return Status::ok();
}

// One outer block: best values kept per inner position, so the reads run along contiguous memory.
void argmaxBlock(const float* x, int64_t size, int64_t inner, int32_t* out, std::vector<float>& best) {
  best.assign(x, x + inner);
  for (int64_t i = 0; i < inner; ++i) out[i] = 0;
  for (int64_t s = 1; s < size; ++s) {
    const float* row = x + s * inner;
    for (int64_t i = 0; i < inner; ++i) {
      const float v = row[i];
      if (!std::isnan(best[i]) && (std::isnan(v) || v > best[i])) {
        best[i] = v;
        out[i] = static_cast<int32_t>(s);
      }
    }
  }
}

}  // namespace

Status argmaxAlong(ConstFloatSpan x, int64_t outer, int64_t size, int64_t inner, Int32Span out) {
  ATROUS_RETURN_IF_ERROR(validateArgmaxAlong("argmaxAlong", x, outer, size, inner, out.size));
  parallelRanges(outer, size * inner, [&](int64_t begin, int64_t end) {
    std::vector<float> best;
    for (int64_t o = begin; o < end; ++o) argmaxBlock(x.data + o * size * inner, size, inner, out.data + o * inner, best);
  });
  return Status::ok();
}

Status validateArgmaxRows(const char* fn, ConstFloatSpan x, int64_t rows, int64_t cols, long long outSize) {
  return validateArgmaxAlong(fn, x, rows, cols, 1, outSize);
}

Status argmaxRows(ConstFloatSpan x, int64_t rows, int64_t cols, int32_t* out, long long outSize) {
  ATROUS_RETURN_IF_ERROR(validateArgmaxRows("argmaxRows", x, rows, cols, outSize));
  return argmaxAlong(x, rows, cols, 1, Int32Span{out, outSize});
}

}  // namespace atrous
