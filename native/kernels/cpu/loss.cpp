#include "loss.h"

#include <algorithm>
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

// Per-position float64 terms of the forward, summed afterwards in position order (each sample's
// positions in order, then the samples in order): the same sums for any tiling or thread count.
struct PositionTerms {
  std::vector<double> nll, smooth, weight;  // 0 at ignored positions
  explicit PositionTerms(int64_t positions)
      : nll(static_cast<size_t>(positions)), smooth(static_cast<size_t>(positions)),
        weight(static_cast<size_t>(positions)) {}
};

// Columns [i0, i0 + w) of one sample (x, p: its c × inner block; targets, losses: its positions):
// probs as e · (1 / Σe) from one float64 exp per element, then each position's terms.
void tileForward(const float* x, int64_t c, int64_t inner, int64_t i0, int64_t w, const int32_t* targets,
                 const CrossEntropyOptions& o, float* p, float* losses, double* scratch, double* nll, double* smooth,
                 double* weight) {
  double* e = scratch;
  double* lse = e + c * w;
  double* totals = lse + w;
  double* inverse = totals + w;
  double* smoothSum = inverse + w;
  expShiftedColumns(x + i0, c, w, inner, e, lse, totals);
  for (int64_t i = 0; i < w; ++i) {
    inverse[i] = 1 / totals[i];
    lse[i] += std::log(totals[i]);
  }
  for (int64_t k = 0; k < c; ++k) {
    const double* ek = e + k * w;
    float* pk = p + k * inner + i0;
    for (int64_t i = 0; i < w; ++i) pk[i] = static_cast<float>(ek[i] * inverse[i]);
  }
  const double eps = o.labelSmoothing;
  if (eps > 0) {  // Σ_k w[k]·(lse − x[k]) per position, k in order
    for (int64_t i = 0; i < w; ++i) smoothSum[i] = 0;
    for (int64_t k = 0; k < c; ++k) {
      const double wk = weightOf(o, k);
      const float* xk = x + k * inner + i0;
      for (int64_t i = 0; i < w; ++i) smoothSum[i] += wk * (lse[i] - xk[i]);
    }
  }
  for (int64_t i = 0; i < w; ++i) {
    const int64_t pos = i0 + i;
    const int32_t t = targets[pos];
    if (t == o.ignoreIndex) {
      nll[pos] = smooth[pos] = weight[pos] = 0;
      if (losses != nullptr) losses[pos] = 0;
      continue;
    }
    weight[pos] = weightOf(o, t);
    nll[pos] = weight[pos] * (lse[i] - x[t * inner + pos]);
    smooth[pos] = eps > 0 ? smoothSum[i] : 0;
    if (losses != nullptr)
      losses[pos] = static_cast<float>((1 - eps) * nll[pos] + eps / static_cast<double>(c) * smooth[pos]);
  }
}

// Columns [i0, i0 + w) of one sample's gradient (p, d: its c × inner block; d may be p). Where a
// position's smoothing term b is 0: p·a, and (p − 1)·a at the target with p − 1 in float and one
// rounding after, the CUDA kernel's bits (cuda/loss_rows.h); else p·a + b·(p·Σw − w[k]), a less at
// the target. Ignored positions get 0.
void tileBackward(const float* p, int64_t c, int64_t inner, int64_t i0, int64_t w, const int32_t* targets,
                  const CrossEntropyOptions& o, const double* a, const double* b, double weightTotal, float* targetProb,
                  float* d) {
  bool anyIgnored = false, anySmoothing = false;  // targetProb: the targets' p, read before d (maybe p) changes
  for (int64_t i = 0; i < w; ++i) {
    const int32_t t = targets[i0 + i];
    anyIgnored = anyIgnored || t == o.ignoreIndex;
    anySmoothing = anySmoothing || b[i] != 0;
    targetProb[i] = t == o.ignoreIndex ? 0.f : p[t * inner + i0 + i];
  }
  for (int64_t k = 0; k < c; ++k) {
    const double wk = weightOf(o, k);
    const float* pk = p + k * inner + i0;
    float* dk = d + k * inner + i0;
    if (!anySmoothing) {  // the common case, as its own loop: a select would keep it scalar
      for (int64_t i = 0; i < w; ++i) dk[i] = static_cast<float>(a[i] * pk[i]);
      continue;
    }
    for (int64_t i = 0; i < w; ++i) {
      const double v = pk[i];
      dk[i] = static_cast<float>(b[i] == 0 ? a[i] * v : a[i] * v + b[i] * (v * weightTotal - wk));
    }
  }
  for (int64_t i = 0; i < w; ++i) {
    const int32_t t = targets[i0 + i];
    if (t == o.ignoreIndex) continue;
    float& target = d[t * inner + i0 + i];
    if (b[i] == 0)
      target = static_cast<float>(a[i] * static_cast<double>(targetProb[i] - 1.f));
    else
      target -= static_cast<float>(a[i]);
  }
  if (anyIgnored)
    for (int64_t i = 0; i < w; ++i)
      if (targets[i0 + i] == o.ignoreIndex)
        for (int64_t k = 0; k < c; ++k) d[k * inner + i0 + i] = 0;
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
  // Work items: column tiles of each sample, so that few samples still fill the pool.
  const int64_t width = columnTileWidth(c, inner), tiles = (inner + width - 1) / width;
  PositionTerms terms(n * inner);
  parallelRanges(n * tiles, 2 * c * width, [&](int64_t begin, int64_t end) {
    thread_local std::vector<double> scratch;
    scratch.resize(static_cast<size_t>((c + 4) * width));
    for (int64_t item = begin; item < end; ++item) {
      const int64_t s = item / tiles, i0 = item % tiles * width, at = s * inner;
      tileForward(logits.data + s * block, c, inner, i0, std::min(width, inner - i0), targets.data + at, o,
                  probs.data + s * block, losses.size == 0 ? nullptr : losses.data + at, scratch.data(),
                  terms.nll.data() + at, terms.smooth.data() + at, terms.weight.data() + at);
    }
  });
  CrossEntropySums total;  // per sample in position order, then the samples in order
  for (int64_t s = 0; s < n; ++s) {
    CrossEntropySums sample;
    for (int64_t pos = s * inner; pos < (s + 1) * inner; ++pos) {
      sample.nll += terms.nll[pos];
      sample.smooth += terms.smooth[pos];
      sample.weight += terms.weight[pos];
      sample.counted += targets.data[pos] != o.ignoreIndex;
    }
    total.nll += sample.nll;
    total.smooth += sample.smooth;
    total.weight += sample.weight;
    total.counted += sample.counted;
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
  const int64_t width = columnTileWidth(c, inner), tiles = (inner + width - 1) / width;
  parallelRanges(n * tiles, c * width, [&](int64_t begin, int64_t end) {
    std::vector<double> a(static_cast<size_t>(width)), b(static_cast<size_t>(width));
    std::vector<float> targetProb(static_cast<size_t>(width));
    for (int64_t item = begin; item < end; ++item) {
      const int64_t s = item / tiles, i0 = item % tiles * width, w = std::min(width, inner - i0);
      for (int64_t i = 0; i < w; ++i) {
        const int64_t pos = s * inner + i0 + i;
        const int32_t t = targets.data[pos];
        const double g = gradOut.data[gradOut.size == 1 ? 0 : pos];
        a[i] = t == o.ignoreIndex ? 0 : g * nllScale * weightOf(o, t);
        b[i] = t == o.ignoreIndex ? 0 : g * smoothScale;
      }
      tileBackward(probs.data + s * block, c, inner, i0, w, targets.data + s * inner, o, a.data(), b.data(), weightTotal,
                   targetProb.data(), dlogits.data + s * block);
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
