// The per-element and per-channel arithmetic of the CUDA batch norm, in cpu/batchnorm.cpp's order
// with every float64 operation rounded on its own (no FMA). Fed the CPU's sequential sums (as the
// host test does) it reproduces the CPU kernel bit for bit; the device sums in another fixed order.
#pragma once
#include <cmath>

#include "host_device.h"

namespace atrous::cuda::bnmath {

// Terms of the per-channel sums: (x − mean)² for the variance, dy·(x − mean) for the backward.
ATROUS_HD double squareTerm(float x, double mean) {
  const double d = static_cast<double>(x) - mean;
  return mulRn(d, d);
}
ATROUS_HD double centeredTerm(float dy, float x, double mean) {
  return mulRn(static_cast<double>(dy), static_cast<double>(x) - mean);
}

ATROUS_HD double invStdOf(double var, double eps) { return 1.0 / sqrt(var + eps); }

// r = (1 − factor)·r + factor·value.
ATROUS_HD float runningUpdate(float running, double factor, double value) {
  return static_cast<float>(addRn(mulRn(1 - factor, static_cast<double>(running)), mulRn(factor, value)));
}

// y = x·alpha + shift, alpha = gamma·invStd, shift = beta − mean·alpha.
struct Affine {
  double alpha, shift;
};
ATROUS_HD Affine affineOf(double mean, double invStd, double gamma, double beta) {
  const double alpha = mulRn(gamma, invStd);
  return Affine{alpha, addRn(beta, -mulRn(mean, alpha))};
}
ATROUS_HD float normalise(float x, const Affine& a) {
  return static_cast<float>(addRn(mulRn(static_cast<double>(x), a.alpha), a.shift));
}

// dx = scale·(dy − meanDy − (x − mean)·projection) with batch statistics, else dy·scale.
struct BackwardCoefficients {
  double scale, meanDy, projection;
};
ATROUS_HD BackwardCoefficients backwardCoefficients(double sumDy, double sumDyCentered, double invStd, double gamma,
                                                    double count) {
  return BackwardCoefficients{mulRn(gamma, invStd), sumDy / count, mulRn(mulRn(sumDyCentered, invStd), invStd) / count};
}
ATROUS_HD float dxWithBatchStats(float dy, float x, double mean, const BackwardCoefficients& k) {
  const double centered = static_cast<double>(x) - mean;
  return static_cast<float>(mulRn(k.scale, addRn(static_cast<double>(dy) - k.meanDy, -mulRn(centered, k.projection))));
}
ATROUS_HD float dxWithFixedStats(float dy, double scale) {
  return static_cast<float>(mulRn(static_cast<double>(dy), scale));
}

}  // namespace atrous::cuda::bnmath
