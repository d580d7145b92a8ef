#include "loss.h"

#include <cmath>
#include <string>
#include <vector>

#include "op_checks.h"
#include "parallel_ranges.h"

namespace atrous {
namespace {

Status checkShape(const char* fn, int64_t n, int64_t c, ConstInt32Span targets) {
  ATROUS_RETURN_IF_ERROR(validateCrossEntropy(fn, n, c, targets.size));
  for (int64_t i = 0; i < n; ++i)
    if (targets.data[i] < 0 || targets.data[i] >= c)
      return Status::error(std::string(fn) + ": targets[" + std::to_string(i) + "] expects a class index in [0, " +
                           std::to_string(c) + "), but got " + std::to_string(targets.data[i]));
  return Status::ok();
}

// Writes softmax(row) to p and returns logsumexp(row) - row[target], all in float64.
double rowLoss(const float* row, int64_t c, int32_t target, float* p) {
  double maxLogit = row[0];
  for (int64_t j = 1; j < c; ++j) maxLogit = std::fmax(maxLogit, row[j]);
  if (std::isinf(maxLogit)) maxLogit = 0;  // an infinite logit: no shift (inf - inf would invent a NaN)
  double total = 0;
  for (int64_t j = 0; j < c; ++j) total += std::exp(static_cast<double>(row[j]) - maxLogit);
  const double inverse = 1.0 / total;
  for (int64_t j = 0; j < c; ++j) p[j] = static_cast<float>(std::exp(static_cast<double>(row[j]) - maxLogit) * inverse);
  return maxLogit + std::log(total) - static_cast<double>(row[target]);
}

}  // namespace

Status validateCrossEntropy(const char* fn, int64_t n, int64_t c, long long targetsSize) {
  int64_t size = 0;
  if (n < 1 || c < 1 || __builtin_mul_overflow(n, c, &size) || size > 2147483647)
    return Status::error(std::string(fn) + ": n and c expect integers >= 1 with n*c < 2^31, but got n=" +
                         std::to_string(n) + " c=" + std::to_string(c));
  return opcheck::length(fn, "targets", targetsSize, n);
}

Status crossEntropyForward(int64_t n, int64_t c, ConstFloatSpan logits, ConstInt32Span targets, FloatSpan probs,
                           double* loss) {
  const char* fn = "crossEntropyForward";
  if (loss == nullptr) return Status::error(std::string(fn) + ": loss expects a pointer, but got null");
  ATROUS_RETURN_IF_ERROR(checkShape(fn, n, c, targets));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "logits", logits.size, n * c));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "probs", probs.size, n * c));
  ATROUS_RETURN_IF_ERROR(
      opcheck::disjoint(fn, "probs", probs.data, probs.size * 4, "logits", logits.data, logits.size * 4));
  std::vector<double> rowLosses(static_cast<size_t>(n));
  parallelRanges(n, 2 * c, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      rowLosses[i] = rowLoss(logits.data + i * c, c, targets.data[i], probs.data + i * c);
  });
  double total = 0;  // in row order: the same for any thread count
  for (double l : rowLosses) total += l;
  *loss = total / static_cast<double>(n);
  return Status::ok();
}

Status crossEntropyBackward(int64_t n, int64_t c, ConstFloatSpan probs, ConstInt32Span targets, float scale,
                            FloatSpan dlogits) {
  const char* fn = "crossEntropyBackward";
  ATROUS_RETURN_IF_ERROR(checkShape(fn, n, c, targets));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "probs", probs.size, n * c));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "dlogits", dlogits.size, n * c));
  ATROUS_RETURN_IF_ERROR(
      opcheck::sameOrDisjoint(fn, "dlogits", dlogits.data, dlogits.size, "probs", probs.data, probs.size));
  parallelRanges(n, c, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float* p = probs.data + i * c;
      float* d = dlogits.data + i * c;
      const int32_t t = targets.data[i];
      const float target = p[t];  // read before the row is overwritten when dlogits is probs
      for (int64_t j = 0; j < c; ++j) d[j] = p[j] * scale;
      d[t] = (target - 1.f) * scale;
    }
  });
  return Status::ok();
}

}  // namespace atrous
