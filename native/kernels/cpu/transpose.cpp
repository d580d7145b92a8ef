#include "transpose.h"

#include <algorithm>
#include <string>

#include "op_checks.h"
#include "parallel_ranges.h"

namespace atrous {
namespace {

// Square tiles keep both the reads and the writes within a few cache lines.
constexpr int64_t kTile = 32;

void transposeOne(const float* x, int64_t rows, int64_t cols, float* out) {
  for (int64_t r0 = 0; r0 < rows; r0 += kTile)
    for (int64_t c0 = 0; c0 < cols; c0 += kTile) {
      const int64_t r1 = std::min(rows, r0 + kTile), c1 = std::min(cols, c0 + kTile);
      for (int64_t r = r0; r < r1; ++r)
        for (int64_t c = c0; c < c1; ++c) out[c * rows + r] = x[r * cols + c];
    }
}

}  // namespace

Status validateTransposeBatched(const char* fn, ConstFloatSpan x, int64_t batch, int64_t rows, int64_t cols,
                                FloatSpan out) {
  int64_t size = 0;
  if (batch < 1 || rows < 1 || cols < 1 || __builtin_mul_overflow(batch, rows, &size) ||
      __builtin_mul_overflow(size, cols, &size) || size > 2147483647)
    return Status::error(std::string(fn) + ": batch, rows and cols expect integers >= 1 with a product < 2^31, but got " +
                         std::to_string(batch) + " x " + std::to_string(rows) + " x " + std::to_string(cols));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "x", x.size, size));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "out", out.size, size));
  return opcheck::disjoint(fn, "out", out.data, out.size * 4, "x", x.data, x.size * 4);
}

Status transposeBatched(ConstFloatSpan x, int64_t batch, int64_t rows, int64_t cols, FloatSpan out) {
  ATROUS_RETURN_IF_ERROR(validateTransposeBatched("transposeBatched", x, batch, rows, cols, out));
  const int64_t block = rows * cols;
  parallelRanges(batch, block, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) transposeOne(x.data + b * block, rows, cols, out.data + b * block);
  });
  return Status::ok();
}

}  // namespace atrous
