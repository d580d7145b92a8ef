// The inner loops of the depthwise kernels, one set per ISA (depthwise_rows_avx512.cpp,
// depthwise_rows_avx2.cpp, depthwise_rows_neon.cpp, depthwise_rows_scalar.cpp): a depthwise conv is memory-bound, so its
// rows are kept in registers across all taps instead of being re-read once per tap.
#pragma once
#include <cstdint>

namespace atrous::depthwise {

// y[i] += sum over t < taps of w[t] * src[t][i], for i < n.
using AccumulateTapsFn = void (*)(float* y, const float* const* src, const float* w, int taps, int64_t n);
// sum over i < n of a[i] * b[i], accumulated in float lanes, then reduced in double.
using DotFn = double (*)(const float* a, const float* b, int64_t n);

struct RowKernels {
  AccumulateTapsFn accumulateTaps;
  DotFn dot;
};

// The set for the ISA the kernels dispatch to now (activeIsa()).
const RowKernels& activeRowKernels();

void accumulateTapsAvx512(float* y, const float* const* src, const float* w, int taps, int64_t n);
double dotAvx512(const float* a, const float* b, int64_t n);
void accumulateTapsAvx2(float* y, const float* const* src, const float* w, int taps, int64_t n);
double dotAvx2(const float* a, const float* b, int64_t n);
void accumulateTapsNeon(float* y, const float* const* src, const float* w, int taps, int64_t n);
double dotNeon(const float* a, const float* b, int64_t n);
void accumulateTapsScalar(float* y, const float* const* src, const float* w, int taps, int64_t n);
double dotScalar(const float* a, const float* b, int64_t n);

}  // namespace atrous::depthwise
