#include "softmax.h"

#include <cmath>
#include <string>
#include <vector>

#include "../checked_math.h"
#include "op_checks.h"
#include "parallel_ranges.h"

namespace atrous {

void logSumExpBlock(const float* x, int64_t size, int64_t inner, double* lse) {
  if (inner == 1) {  // one row (logits N×C): no scratch
    // The max in float (exact: the same value as in double); a float-to-double fmax reduction
    // crashes GCC 12's aarch64 vectorizer (internal compiler error in vect_transform_reduction).
    float maxFloat = x[0];
    for (int64_t s = 1; s < size; ++s) maxFloat = std::fmax(maxFloat, x[s]);
    double maxValue = maxFloat;
    if (std::isinf(maxValue)) maxValue = 0;
    double total = 0;
    for (int64_t s = 0; s < size; ++s) total += std::exp(static_cast<double>(x[s]) - maxValue);
    *lse = maxValue + std::log(total);
    return;
  }
  std::vector<double> maxes(x, x + inner);
  for (int64_t s = 1; s < size; ++s)
    for (int64_t i = 0; i < inner; ++i) maxes[i] = std::fmax(maxes[i], x[s * inner + i]);
  for (int64_t i = 0; i < inner; ++i) {
    if (std::isinf(maxes[i])) maxes[i] = 0;
    lse[i] = 0;
  }
  for (int64_t s = 0; s < size; ++s)
    for (int64_t i = 0; i < inner; ++i) lse[i] += std::exp(static_cast<double>(x[s * inner + i]) - maxes[i]);
  for (int64_t i = 0; i < inner; ++i) lse[i] = maxes[i] + std::log(lse[i]);
}

Status validateAlongDim(const char* fn, int64_t outer, int64_t size, int64_t inner) {
  int64_t total = 0;
  if (outer < 0 || inner < 0 || size < 1 || mulOverflows(outer, size, &total) ||
      mulOverflows(total, inner, &total) || total > 2147483647)
    return Status::error(std::string(fn) + ": expects outer >= 0, size >= 1, inner >= 0 with a product < 2^31, but got " +
                         std::to_string(outer) + " x " + std::to_string(size) + " x " + std::to_string(inner));
  return Status::ok();
}

Status softmaxForward(ConstFloatSpan x, int64_t outer, int64_t size, int64_t inner, bool log, FloatSpan out) {
  const char* fn = "softmaxForward";
  ATROUS_RETURN_IF_ERROR(validateAlongDim(fn, outer, size, inner));
  const int64_t total = outer * size * inner;
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "x", x.size, total));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "out", out.size, total));
  ATROUS_RETURN_IF_ERROR(opcheck::sameOrDisjoint(fn, "out", out.data, out.size, "x", x.data, x.size));
  const int64_t block = size * inner;
  parallelRanges(outer, 2 * block, [&](int64_t begin, int64_t end) {
    std::vector<double> lse(static_cast<size_t>(inner));
    for (int64_t o = begin; o < end; ++o) {
      const float* xb = x.data + o * block;
      float* yb = out.data + o * block;
      logSumExpBlock(xb, size, inner, lse.data());
      for (int64_t s = 0; s < size; ++s)
        for (int64_t i = 0; i < inner; ++i) {
          const double shifted = static_cast<double>(xb[s * inner + i]) - lse[i];
          yb[s * inner + i] = static_cast<float>(log ? shifted : std::exp(shifted));
        }
    }
  });
  return Status::ok();
}

Status softmaxBackward(ConstFloatSpan y, ConstFloatSpan dy, int64_t outer, int64_t size, int64_t inner, bool log,
                       FloatSpan dx) {
  const char* fn = "softmaxBackward";
  ATROUS_RETURN_IF_ERROR(validateAlongDim(fn, outer, size, inner));
  const int64_t total = outer * size * inner;
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "y", y.size, total));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "dy", dy.size, total));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "dx", dx.size, total));
  ATROUS_RETURN_IF_ERROR(opcheck::sameOrDisjoint(fn, "dx", dx.data, dx.size, "y", y.data, y.size));
  ATROUS_RETURN_IF_ERROR(opcheck::sameOrDisjoint(fn, "dx", dx.data, dx.size, "dy", dy.data, dy.size));
  const int64_t block = size * inner;
  parallelRanges(outer, 2 * block, [&](int64_t begin, int64_t end) {
    std::vector<double> dot(static_cast<size_t>(inner));
    for (int64_t o = begin; o < end; ++o) {
      const float* yb = y.data + o * block;
      const float* gb = dy.data + o * block;
      float* db = dx.data + o * block;
      for (int64_t i = 0; i < inner; ++i) dot[i] = 0;
      // softmax: Σ dy·y; log-softmax: Σ dy.
      for (int64_t s = 0; s < size; ++s)
        for (int64_t i = 0; i < inner; ++i)
          dot[i] += log ? static_cast<double>(gb[s * inner + i])
                        : static_cast<double>(gb[s * inner + i]) * static_cast<double>(yb[s * inner + i]);
      for (int64_t s = 0; s < size; ++s)
        for (int64_t i = 0; i < inner; ++i) {
          const int64_t k = s * inner + i;
          const double v = yb[k], g = gb[k];
          db[k] = static_cast<float>(log ? g - std::exp(v) * dot[i] : v * (g - dot[i]));
        }
    }
  });
  return Status::ok();
}

}  // namespace atrous
