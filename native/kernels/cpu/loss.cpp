#include "loss.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "../checked_math.h"
#include "op_checks.h"
#include "parallel_ranges.h"
#include "softmax.h"

namespace atrous {
namespace {

Status checkShape(const char* fn, int64_t n, int64_t c, int64_t inner, ConstInt32Span targets,
                  const CrossEntropyOptions& o) {
  int64_t size = 0;
  if (n < 1 || c < 1 || inner < 1 || mulOverflows(n, c, &size) || mulOverflows(size, inner, &size) ||
      size > 2147483647)
    return Status::error(std::string(fn) + ": n, c and inner expect integers >= 1 with n*c*inner < 2^31, but got n=" +
                         std::to_string(n) + " c=" + std::to_string(c) + " inner=" + std::to_string(inner));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "targets", targets.size, n * inner));
  if (o.weight.size != 0) ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "weight", o.weight.size, c));
  if (!(o.labelSmoothing >= 0 && o.labelSmoothing <= 1))
    return Status::error(std::string(fn) + ": labelSmoothing expects a number in [0, 1], but got " +
                         opcheck::numberText(o.labelSmoothing));
  const bool ignoring = o.ignoreIndex >= INT32_MIN && o.ignoreIndex <= INT32_MAX;
  for (int64_t i = 0; i < n * inner; ++i) {
    const int32_t t = targets.data[i];
    if ((t < 0 || t >= c) && t != o.ignoreIndex)
      return Status::error(std::string(fn) + ": targets[" + std::to_string(i) + "] expects a class index in [0, " +
                           std::to_string(c) + ")" + (ignoring ? " or ignoreIndex " + std::to_string(o.ignoreIndex) : "") +
                           ", but got " + std::to_string(t));
  }
  return Status::ok();
}

double weightOf(const CrossEntropyOptions& o, int64_t cls) { return o.weight.size == 0 ? 1.0 : o.weight.data[cls]; }

// One sample's sums over its inner positions (probs and losses written for them).
CrossEntropySums sampleForward(const float* x, int64_t c, int64_t inner, const int32_t* targets,
                               const CrossEntropyOptions& o, float* p, float* losses, double* lse) {
  logSumExpBlock(x, c, inner, lse);
  for (int64_t k = 0; k < c; ++k)
    for (int64_t i = 0; i < inner; ++i)
      p[k * inner + i] = static_cast<float>(std::exp(static_cast<double>(x[k * inner + i]) - lse[i]));
  const double eps = o.labelSmoothing;
  CrossEntropySums sums;
  for (int64_t i = 0; i < inner; ++i) {
    const int32_t t = targets[i];
    if (t == o.ignoreIndex) {
      if (losses != nullptr) losses[i] = 0;
      continue;
    }
    const double w = weightOf(o, t);
    const double nll = w * (lse[i] - x[t * inner + i]);
    double smooth = 0;
    if (eps > 0)
      for (int64_t k = 0; k < c; ++k) smooth += weightOf(o, k) * (lse[i] - x[k * inner + i]);
    sums.nll += nll;
    sums.smooth += smooth;
    sums.weight += w;
    sums.counted++;
    if (losses != nullptr) losses[i] = static_cast<float>((1 - eps) * nll + eps / static_cast<double>(c) * smooth);
  }
  return sums;
}

}  // namespace

Status validateCrossEntropy(const char* fn, int64_t n, int64_t c, long long targetsSize) {
  int64_t size = 0;
  if (n < 1 || c < 1 || mulOverflows(n, c, &size) || size > 2147483647)
    return Status::error(std::string(fn) + ": n and c expect integers >= 1 with n*c < 2^31, but got n=" +
                         std::to_string(n) + " c=" + std::to_string(c));
  return opcheck::length(fn, "targets", targetsSize, n);
}

Status crossEntropyNdForward(int64_t n, int64_t c, int64_t inner, ConstFloatSpan logits, ConstInt32Span targets,
                             const CrossEntropyOptions& o, FloatSpan probs, FloatSpan losses, CrossEntropySums* sums) {
  const char* fn = "crossEntropyNdForward";
  if (sums == nullptr) return Status::error(std::string(fn) + ": sums expects a pointer, but got null");
  ATROUS_RETURN_IF_ERROR(checkShape(fn, n, c, inner, targets, o));
  const int64_t block = c * inner;
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "logits", logits.size, n * block));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "probs", probs.size, n * block));
  if (losses.size != 0) ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "losses", losses.size, n * inner));
  ATROUS_RETURN_IF_ERROR(
      opcheck::disjoint(fn, "probs", probs.data, probs.size * 4, "logits", logits.data, logits.size * 4));
  ATROUS_RETURN_IF_ERROR(
      opcheck::disjoint(fn, "losses", losses.data, losses.size * 4, "logits", logits.data, logits.size * 4));
  ATROUS_RETURN_IF_ERROR(
      opcheck::disjoint(fn, "losses", losses.data, losses.size * 4, "probs", probs.data, probs.size * 4));
  std::vector<CrossEntropySums> perSample(static_cast<size_t>(n));
  parallelRanges(n, 2 * block, [&](int64_t begin, int64_t end) {
    std::vector<double> lse(static_cast<size_t>(inner));
    for (int64_t s = begin; s < end; ++s)
      perSample[s] = sampleForward(logits.data + s * block, c, inner, targets.data + s * inner, o, probs.data + s * block,
                                   losses.size == 0 ? nullptr : losses.data + s * inner, lse.data());
  });
  CrossEntropySums total;  // in sample order: the same for any thread count
  for (const CrossEntropySums& s : perSample) {
    total.nll += s.nll;
    total.smooth += s.smooth;
    total.weight += s.weight;
    total.counted += s.counted;
  }
  *sums = total;
  return Status::ok();
}

Status crossEntropyNdBackward(int64_t n, int64_t c, int64_t inner, ConstFloatSpan probs, ConstInt32Span targets,
                              const CrossEntropyOptions& o, double nllScale, double smoothScale, ConstFloatSpan gradOut,
                              FloatSpan dlogits) {
  const char* fn = "crossEntropyNdBackward";
  ATROUS_RETURN_IF_ERROR(checkShape(fn, n, c, inner, targets, o));
  const int64_t block = c * inner;
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "probs", probs.size, n * block));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "dlogits", dlogits.size, n * block));
  if (gradOut.size != 1) ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "gradOut", gradOut.size, n * inner));
  ATROUS_RETURN_IF_ERROR(
      opcheck::sameOrDisjoint(fn, "dlogits", dlogits.data, dlogits.size, "probs", probs.data, probs.size));
  ATROUS_RETURN_IF_ERROR(
      opcheck::disjoint(fn, "dlogits", dlogits.data, dlogits.size * 4, "gradOut", gradOut.data, gradOut.size * 4));
  double weightTotal = 0;  // Σ_c w[c]: C without a weight
  for (int64_t k = 0; k < c; ++k) weightTotal += weightOf(o, k);
  parallelRanges(n, block, [&](int64_t begin, int64_t end) {
    for (int64_t s = begin; s < end; ++s)
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t pos = s * inner + i;
        const int32_t t = targets.data[pos];
        const float* p = probs.data + s * block + i;
        float* d = dlogits.data + s * block + i;
        if (t == o.ignoreIndex) {
          for (int64_t k = 0; k < c; ++k) d[k * inner] = 0;
          continue;
        }
        const double g = gradOut.data[gradOut.size == 1 ? 0 : pos];
        const double a = g * nllScale * weightOf(o, t), b = g * smoothScale;
        const float pt = p[t * inner];  // read before d (maybe p itself) changes
        if (b == 0) {
          for (int64_t k = 0; k < c; ++k) d[k * inner] = static_cast<float>(a * p[k * inner]);
          // (p - 1)·a with p - 1 in float, one rounding after: the CUDA kernel's bits (cuda/loss_rows.h).
          d[t * inner] = static_cast<float>(a * static_cast<double>(pt - 1.f));
        } else {
          for (int64_t k = 0; k < c; ++k)
            d[k * inner] = static_cast<float>(a * p[k * inner] + b * (p[k * inner] * weightTotal - weightOf(o, k)));
          d[t * inner] -= static_cast<float>(a);
        }
      }
  });
  return Status::ok();
}

Status crossEntropyForward(int64_t n, int64_t c, ConstFloatSpan logits, ConstInt32Span targets, FloatSpan probs,
                           double* loss) {
  const char* fn = "crossEntropyForward";
  if (loss == nullptr) return Status::error(std::string(fn) + ": loss expects a pointer, but got null");
  ATROUS_RETURN_IF_ERROR(validateCrossEntropy(fn, n, c, targets.size));
  CrossEntropySums sums;
  ATROUS_RETURN_IF_ERROR(crossEntropyNdForward(n, c, 1, logits, targets, CrossEntropyOptions{}, probs, FloatSpan{}, &sums));
  *loss = sums.nll / static_cast<double>(n);
  return Status::ok();
}

Status crossEntropyBackward(int64_t n, int64_t c, ConstFloatSpan probs, ConstInt32Span targets, float scale,
                            FloatSpan dlogits) {
  ATROUS_RETURN_IF_ERROR(validateCrossEntropy("crossEntropyBackward", n, c, targets.size));
  const float one = 1.f;
  return crossEntropyNdBackward(n, c, 1, probs, targets, CrossEntropyOptions{}, scale, 0, ConstFloatSpan{&one, 1},
                                dlogits);
}

}  // namespace atrous
