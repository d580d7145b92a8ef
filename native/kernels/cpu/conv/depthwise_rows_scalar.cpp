// Portable inner loops of the depthwise kernels, and the per-ISA dispatch (see depthwise_rows.h).
#include "../cpu_features.h"
#include "depthwise_rows.h"

namespace atrous::depthwise {

void accumulateTapsScalar(float* y, const float* const* src, const float* w, int taps, int64_t n) {
  for (int t = 0; t < taps; ++t) {
    const float wt = w[t];
    const float* s = src[t];
    for (int64_t i = 0; i < n; ++i) y[i] += wt * s[i];
  }
}

double dotScalar(const float* a, const float* b, int64_t n) {
  float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};  // independent lanes, as the vector versions keep
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) lanes[l] += a[i + l] * b[i + l];
  double total = 0;
  for (float v : lanes) total += v;
  for (; i < n; ++i) total += static_cast<double>(a[i]) * b[i];
  return total;
}

const RowKernels& activeRowKernels() {
  static const RowKernels scalar{accumulateTapsScalar, dotScalar};
#if ATROUS_ARCH_X86
  static const RowKernels avx2{accumulateTapsAvx2, dotAvx2}, avx512{accumulateTapsAvx512, dotAvx512};
#endif
#if ATROUS_ARCH_ARM64
  static const RowKernels neon{accumulateTapsNeon, dotNeon};
#endif
  return *forActiveIsa<const RowKernels*>(&scalar, ATROUS_X86_ONLY(&avx2), ATROUS_X86_ONLY(&avx512),
                                          ATROUS_ARM64_ONLY(&neon));
}

}  // namespace atrous::depthwise
