#include "batchnorm.h"

#include <cmath>
#include <string>

#include "batchnorm_rows.h"
#include "cpu_features.h"
#include "nn_checks.h"
#include "parallel_ranges.h"
#include "thread_pool.h"

namespace atrous {
namespace {

// Calls body(offset) for the start of each contiguous block of channel c: one per batch item.
template <typename Body>
void forEachBlock(const BatchNormShape& s, int64_t c, Body body) {
  for (int64_t n = 0; n < s.batch; ++n) body((n * s.channels + c) * s.spatial);
}

// y = x·alpha + shift over channel c (then ReLU if relu), with alpha = gamma·invStd and shift = beta − mean·alpha.
void normaliseChannel(const bnrows::Kernels& rows, const BatchNormShape& s, int64_t c, const float* x, double mean,
                      double invStd, double gamma, double beta, bool relu, float* y) {
  const double alpha = gamma * invStd;
  const double shift = beta - mean * alpha;
  forEachBlock(s, c, [&](int64_t o) { rows.normalise(x + o, s.spatial, alpha, shift, relu, y + o); });
}

}  // namespace

Status BatchNormShape::validate(const char* fn) const {
  if (batch < 1 || channels < 1 || spatial < 1)
    return Status::error(std::string(fn) + ": shape expects N, C and H·W >= 1, but got N=" + std::to_string(batch) +
                         " C=" + std::to_string(channels) + " H·W=" + std::to_string(spatial));
  if (static_cast<double>(batch) * channels * spatial > 2147483647.0)
    return Status::error(std::string(fn) + ": shape has more than 2^31-1 elements");
  return Status::ok();
}

Status validateBatchNormTrain(const char* fn, const BatchNormShape& s, ConstFloatSpan x, ConstFloatSpan gamma,
                              ConstFloatSpan beta, double eps, double factor, ConstFloatSpan runningMean,
                              ConstFloatSpan runningVar, ConstFloatSpan y, ConstFloatSpan saveMean,
                              ConstFloatSpan saveInvStd) {
  ATROUS_RETURN_IF_ERROR(s.validate(fn));
  if (s.batch * s.spatial < 2)
    return Status::error(std::string(fn) + ": expects more than 1 value per channel when training, but got N=" +
                         std::to_string(s.batch) + " and H·W=" + std::to_string(s.spatial));
  if (!(eps > 0)) return Status::error(std::string(fn) + ": eps expects a number > 0, but got " + std::to_string(eps));
  if (!(factor >= 0 && factor <= 1))
    return Status::error(std::string(fn) + ": factor expects a number in [0, 1], but got " + std::to_string(factor));
  ATROUS_RETURN_IF_ERROR(nncheck::required(fn, "x", x.data, x.size, s.size()));
  ATROUS_RETURN_IF_ERROR(nncheck::required(fn, "y", y.data, y.size, s.size()));
  ATROUS_RETURN_IF_ERROR(nncheck::optional(fn, "gamma", gamma.data, gamma.size, s.channels));
  ATROUS_RETURN_IF_ERROR(nncheck::optional(fn, "beta", beta.data, beta.size, s.channels));
  ATROUS_RETURN_IF_ERROR(nncheck::optional(fn, "runningMean", runningMean.data, runningMean.size, s.channels));
  ATROUS_RETURN_IF_ERROR(nncheck::optional(fn, "runningVar", runningVar.data, runningVar.size, s.channels));
  if ((runningMean.data == nullptr) != (runningVar.data == nullptr))
    return Status::error(std::string(fn) + ": runningMean and runningVar expect to be given together");
  ATROUS_RETURN_IF_ERROR(nncheck::required(fn, "saveMean", saveMean.data, saveMean.size, s.channels));
  return nncheck::required(fn, "saveInvStd", saveInvStd.data, saveInvStd.size, s.channels);
}

Status validateBatchNormEval(const char* fn, const BatchNormShape& s, ConstFloatSpan x, ConstFloatSpan gamma,
                             ConstFloatSpan beta, double eps, ConstFloatSpan runningMean, ConstFloatSpan runningVar,
                             ConstFloatSpan y, ConstFloatSpan saveMean, ConstFloatSpan saveInvStd) {
  ATROUS_RETURN_IF_ERROR(s.validate(fn));
  if (!(eps > 0)) return Status::error(std::string(fn) + ": eps expects a number > 0, but got " + std::to_string(eps));
  ATROUS_RETURN_IF_ERROR(nncheck::required(fn, "x", x.data, x.size, s.size()));
  ATROUS_RETURN_IF_ERROR(nncheck::required(fn, "y", y.data, y.size, s.size()));
  ATROUS_RETURN_IF_ERROR(nncheck::optional(fn, "gamma", gamma.data, gamma.size, s.channels));
  ATROUS_RETURN_IF_ERROR(nncheck::optional(fn, "beta", beta.data, beta.size, s.channels));
  ATROUS_RETURN_IF_ERROR(nncheck::required(fn, "runningMean", runningMean.data, runningMean.size, s.channels));
  ATROUS_RETURN_IF_ERROR(nncheck::required(fn, "runningVar", runningVar.data, runningVar.size, s.channels));
  ATROUS_RETURN_IF_ERROR(nncheck::required(fn, "saveMean", saveMean.data, saveMean.size, s.channels));
  return nncheck::required(fn, "saveInvStd", saveInvStd.data, saveInvStd.size, s.channels);
}

Status validateBatchNormBackward(const char* fn, const BatchNormShape& s, ConstFloatSpan x, ConstFloatSpan dy,
                                 ConstFloatSpan gamma, ConstFloatSpan saveMean, ConstFloatSpan saveInvStd,
                                 ConstFloatSpan dx, ConstFloatSpan dgamma, ConstFloatSpan dbeta) {
  ATROUS_RETURN_IF_ERROR(s.validate(fn));
  ATROUS_RETURN_IF_ERROR(nncheck::required(fn, "x", x.data, x.size, s.size()));
  ATROUS_RETURN_IF_ERROR(nncheck::required(fn, "dy", dy.data, dy.size, s.size()));
  ATROUS_RETURN_IF_ERROR(nncheck::optional(fn, "gamma", gamma.data, gamma.size, s.channels));
  ATROUS_RETURN_IF_ERROR(nncheck::required(fn, "saveMean", saveMean.data, saveMean.size, s.channels));
  ATROUS_RETURN_IF_ERROR(nncheck::required(fn, "saveInvStd", saveInvStd.data, saveInvStd.size, s.channels));
  ATROUS_RETURN_IF_ERROR(nncheck::optional(fn, "dx", dx.data, dx.size, s.size()));
  ATROUS_RETURN_IF_ERROR(nncheck::optional(fn, "dgamma", dgamma.data, dgamma.size, s.channels));
  return nncheck::optional(fn, "dbeta", dbeta.data, dbeta.size, s.channels);
}

Status batchNormForwardTrain(const BatchNormShape& s, ConstFloatSpan x, ConstFloatSpan gamma, ConstFloatSpan beta,
                             double eps, double factor, FloatSpan runningMean, FloatSpan runningVar, FloatSpan y,
                             FloatSpan saveMean, FloatSpan saveInvStd, bool relu) {
  ATROUS_RETURN_IF_ERROR(validateBatchNormTrain("batchNormForwardTrain", s, x, gamma, beta, eps, factor, runningMean,
                                                runningVar, y, saveMean, saveInvStd));
  const int64_t count = s.batch * s.spatial;
  const bnrows::Kernels& rows = bnrows::active();

  parallelEach(s.channels, 3 * s.batch * s.spatial, [&](int64_t c) {
    double sum = 0;
    forEachBlock(s, c, [&](int64_t o) { sum += rows.sum(x.data + o, s.spatial); });
    const double mean = sum / static_cast<double>(count);
    double squares = 0;  // two passes: no cancellation when the mean is large
    forEachBlock(s, c, [&](int64_t o) { squares += rows.squaredDeviation(x.data + o, s.spatial, mean); });
    const double var = squares / static_cast<double>(count);
    const double invStd = 1.0 / std::sqrt(var + eps);
    saveMean.data[c] = static_cast<float>(mean);
    saveInvStd.data[c] = static_cast<float>(invStd);
    if (runningMean.data) {
      const double unbiased = squares / static_cast<double>(count - 1);
      runningMean.data[c] = static_cast<float>((1 - factor) * runningMean.data[c] + factor * mean);
      runningVar.data[c] = static_cast<float>((1 - factor) * runningVar.data[c] + factor * unbiased);
    }
    normaliseChannel(rows, s, c, x.data, mean, invStd, gamma.data ? gamma.data[c] : 1.0,
                     beta.data ? beta.data[c] : 0.0, relu, y.data);
  });
  return Status::ok();
}

Status batchNormForwardEval(const BatchNormShape& s, ConstFloatSpan x, ConstFloatSpan gamma, ConstFloatSpan beta,
                            double eps, ConstFloatSpan runningMean, ConstFloatSpan runningVar, FloatSpan y,
                            FloatSpan saveMean, FloatSpan saveInvStd, bool relu) {
  const char* fn = "batchNormForwardEval";
  ATROUS_RETURN_IF_ERROR(validateBatchNormEval(fn, s, x, gamma, beta, eps, runningMean, runningVar, y, saveMean,
                                               saveInvStd));
  for (int64_t c = 0; c < s.channels; ++c) {
    if (!(runningVar.data[c] + eps > 0))
      return Status::error(std::string(fn) + ": runningVar[" + std::to_string(c) +
                           "] + eps expects a positive number, but got " + std::to_string(runningVar.data[c] + eps));
  }

  const bnrows::Kernels& rows = bnrows::active();
  parallelEach(s.channels, 3 * s.batch * s.spatial, [&](int64_t c) {
    const double mean = runningMean.data[c];
    const double invStd = 1.0 / std::sqrt(static_cast<double>(runningVar.data[c]) + eps);
    saveMean.data[c] = static_cast<float>(mean);
    saveInvStd.data[c] = static_cast<float>(invStd);
    normaliseChannel(rows, s, c, x.data, mean, invStd, gamma.data ? gamma.data[c] : 1.0,
                     beta.data ? beta.data[c] : 0.0, relu, y.data);
  });
  return Status::ok();
}

Status batchNormBackward(const BatchNormShape& s, ConstFloatSpan x, ConstFloatSpan dy, ConstFloatSpan gamma,
                         ConstFloatSpan saveMean, ConstFloatSpan saveInvStd, bool batchStats, FloatSpan dx,
                         FloatSpan dgamma, FloatSpan dbeta, ConstFloatSpan reluOut) {
  const char* fn = "batchNormBackward";
  ATROUS_RETURN_IF_ERROR(validateBatchNormBackward(fn, s, x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta));
  ATROUS_RETURN_IF_ERROR(nncheck::optional(fn, "reluOut", reluOut.data, reluOut.size, s.size()));
  const auto maskAt = [&](int64_t o) { return reluOut.data ? reluOut.data + o : nullptr; };
  const double count = static_cast<double>(s.batch * s.spatial);
  const bnrows::Kernels& rows = bnrows::active();

  parallelEach(s.channels, 3 * s.batch * s.spatial, [&](int64_t c) {
    const double mean = saveMean.data[c], invStd = saveInvStd.data[c];
    double sumDy = 0, sumDyCentered = 0;  // Σ g and Σ g·(x − mean), g: dy through the fused ReLU if any
    forEachBlock(s, c, [&](int64_t o) {
      rows.gradSums(dy.data + o, maskAt(o), x.data + o, s.spatial, mean, &sumDy, &sumDyCentered);
    });
    if (dgamma.data) dgamma.data[c] = static_cast<float>(sumDyCentered * invStd);
    if (dbeta.data) dbeta.data[c] = static_cast<float>(sumDy);
    if (!dx.data) return;
    const double scale = (gamma.data ? gamma.data[c] : 1.0) * invStd;
    if (!batchStats) {
      forEachBlock(s, c, [&](int64_t o) { rows.scale(dy.data + o, maskAt(o), s.spatial, scale, dx.data + o); });
      return;
    }
    // dx = γ·invStd·(g − mean(g) − x̂·mean(g·x̂)), with x̂ = (x − mean)·invStd and g = dy (masked by ReLU).
    const double meanDy = sumDy / count;
    const double projection = sumDyCentered * invStd * invStd / count;
    forEachBlock(s, c, [&](int64_t o) {
      rows.gradient(dy.data + o, maskAt(o), x.data + o, s.spatial, mean, meanDy, projection, scale, dx.data + o);
    });
  });
  return Status::ok();
}

namespace bnrows {
namespace {

// Σ x[i] over [0, n), in four partial sums: independent adds, not one chain on an add's latency.
double sumScalar(const float* x, int64_t n) {
  double a[4] = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int k = 0; k < 4; ++k) a[k] += x[i + k];
  for (; i < n; ++i) a[0] += x[i];
  return (a[0] + a[1]) + (a[2] + a[3]);
}

// Σ (x[i] − mean)² over [0, n), in four partial sums.
double squaredDeviationScalar(const float* x, int64_t n, double mean) {
  double a[4] = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int k = 0; k < 4; ++k) {
      const double d = x[i + k] - mean;
      a[k] += d * d;
    }
  for (; i < n; ++i) {
    const double d = x[i] - mean;
    a[0] += d * d;
  }
  return (a[0] + a[1]) + (a[2] + a[3]);
}

// dy[i], or 0 where the fused ReLU's output reluOut[i] <= 0 (reluBackward's rule; NaN passes dy).
template <bool kMasked>
float maskedGrad(const float* dy, const float* reluOut, int64_t i) {
  return kMasked && reluOut[i] <= 0.f ? 0.f : dy[i];
}

// Adds Σ g[i] to *sumDy and Σ g[i]·(x[i] − mean) to *sumDyCentered, in four partial sums each.
template <bool kMasked>
void gradSumsRows(const float* dy, const float* reluOut, const float* x, int64_t n, double mean, double* sumDy,
                  double* sumDyCentered) {
  double s[4] = {0, 0, 0, 0}, t[4] = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int k = 0; k < 4; ++k) {
      const float g = maskedGrad<kMasked>(dy, reluOut, i + k);
      s[k] += g;
      t[k] += g * (x[i + k] - mean);
    }
  for (; i < n; ++i) {
    const float g = maskedGrad<kMasked>(dy, reluOut, i);
    s[0] += g;
    t[0] += g * (x[i] - mean);
  }
  *sumDy += (s[0] + s[1]) + (s[2] + s[3]);
  *sumDyCentered += (t[0] + t[1]) + (t[2] + t[3]);
}

void gradSumsScalar(const float* dy, const float* reluOut, const float* x, int64_t n, double mean, double* sumDy,
                    double* sumDyCentered) {
  if (reluOut) gradSumsRows<true>(dy, reluOut, x, n, mean, sumDy, sumDyCentered);
  else gradSumsRows<false>(dy, reluOut, x, n, mean, sumDy, sumDyCentered);
}

void normaliseScalar(const float* x, int64_t n, double alpha, double shift, bool relu, float* y) {
  if (!relu) {
    for (int64_t i = 0; i < n; ++i) y[i] = static_cast<float>(x[i] * alpha + shift);
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    const float v = static_cast<float>(x[i] * alpha + shift);
    y[i] = v < 0.f ? 0.f : v;  // relu()'s rule: -0 and NaN pass
  }
}

template <bool kMasked>
void scaleRows(const float* dy, const float* reluOut, int64_t n, double scale, float* dx) {
  for (int64_t i = 0; i < n; ++i) dx[i] = static_cast<float>(maskedGrad<kMasked>(dy, reluOut, i) * scale);
}

void scaleScalar(const float* dy, const float* reluOut, int64_t n, double scale, float* dx) {
  if (reluOut) scaleRows<true>(dy, reluOut, n, scale, dx);
  else scaleRows<false>(dy, reluOut, n, scale, dx);
}

template <bool kMasked>
void gradientRows(const float* dy, const float* reluOut, const float* x, int64_t n, double mean, double meanDy,
                  double projection, double scale, float* dx) {
  for (int64_t i = 0; i < n; ++i) {
    const double centered = x[i] - mean;
    dx[i] = static_cast<float>(scale * (maskedGrad<kMasked>(dy, reluOut, i) - meanDy - centered * projection));
  }
}

void gradientScalar(const float* dy, const float* reluOut, const float* x, int64_t n, double mean, double meanDy,
                    double projection, double scale, float* dx) {
  if (reluOut) gradientRows<true>(dy, reluOut, x, n, mean, meanDy, projection, scale, dx);
  else gradientRows<false>(dy, reluOut, x, n, mean, meanDy, projection, scale, dx);
}

}  // namespace

const Kernels& scalarKernels() {
  static const Kernels k{sumScalar, squaredDeviationScalar, gradSumsScalar, normaliseScalar, scaleScalar, gradientScalar};
  return k;
}

const Kernels& active() {
  return *forActiveIsa<const Kernels*>(&scalarKernels(), nullptr, ATROUS_X86_ONLY(&avx512Kernels()),
                                      ATROUS_ARM64_ONLY(&neonKernels()));
}

}  // namespace bnrows

}  // namespace atrous
