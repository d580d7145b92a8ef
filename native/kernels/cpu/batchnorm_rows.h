// The inner loops of batch norm over one contiguous block of a channel (one image's H*W values), per
// ISA. Sums are in double; their order differs between ISAs (the tests allow for it). normalise,
// scale and gradient round each operation on its own (double, then float; the builds turn off
// floating-point contraction where the baseline ISA has an FMA, so the scalar path is never fused
// either), so every ISA gives the same bits, which the CUDA kernels also give (the eval and
// fixed-statistics paths compare bit for bit).
//
// Fused ReLU: normalise with relu applies v < 0 ? 0 : v to the rounded float (relu()'s rule); the
// backward loops given reluOut (the fused output, null: none) read g = reluOut <= 0 ? 0 : dy
// (reluBackward()'s rule on the same values; g = dy without reluOut), so fused and unfused give the
// same bits on every ISA.
#pragma once
#include <cstdint>

namespace atrous::bnrows {

struct Kernels {
  double (*sum)(const float* x, int64_t n);                                  // Σ x
  double (*squaredDeviation)(const float* x, int64_t n, double mean);        // Σ (x − mean)²
  void (*gradSums)(const float* dy, const float* reluOut, const float* x, int64_t n, double mean,  // += Σ g,
                   double* sumDy, double* sumDyCentered);                                           // Σ g·(x − mean)
  void (*normalise)(const float* x, int64_t n, double alpha, double shift, bool relu, float* y);  // y = x·alpha + shift
  void (*scale)(const float* dy, const float* reluOut, int64_t n, double scale, float* dx);        // dx = g·scale
  // dx = scale·((g − meanDy) − (x − mean)·projection)
  void (*gradient)(const float* dy, const float* reluOut, const float* x, int64_t n, double mean, double meanDy,
                   double projection, double scale, float* dx);
};

// The set for the ISA the kernels dispatch to now (activeIsa()).
const Kernels& active();

const Kernels& scalarKernels();
const Kernels& avx512Kernels();  // x86 only (batchnorm_rows_avx512.cpp)
const Kernels& neonKernels();    // arm64 only (batchnorm_rows_neon.cpp)

}  // namespace atrous::bnrows
