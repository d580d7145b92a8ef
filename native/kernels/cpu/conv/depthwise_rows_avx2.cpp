// AVX2+FMA inner loops of the depthwise kernels (compiled with -mavx2 -mfma; see depthwise_rows.h).
#include <immintrin.h>

#include "depthwise_rows.h"

namespace atrous::depthwise {

void accumulateTapsAvx2(float* y, const float* const* src, const float* w, int taps, int64_t n) {
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {  // 4 registers of y stay put across every tap
    __m256 y0 = _mm256_loadu_ps(y + i), y1 = _mm256_loadu_ps(y + i + 8);
    __m256 y2 = _mm256_loadu_ps(y + i + 16), y3 = _mm256_loadu_ps(y + i + 24);
    for (int t = 0; t < taps; ++t) {
      const __m256 wv = _mm256_set1_ps(w[t]);
      const float* s = src[t] + i;
      y0 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(s), y0);
      y1 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(s + 8), y1);
      y2 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(s + 16), y2);
      y3 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(s + 24), y3);
    }
    _mm256_storeu_ps(y + i, y0);
    _mm256_storeu_ps(y + i + 8, y1);
    _mm256_storeu_ps(y + i + 16, y2);
    _mm256_storeu_ps(y + i + 24, y3);
  }
  for (; i + 8 <= n; i += 8) {
    __m256 acc = _mm256_loadu_ps(y + i);
    for (int t = 0; t < taps; ++t) acc = _mm256_fmadd_ps(_mm256_set1_ps(w[t]), _mm256_loadu_ps(src[t] + i), acc);
    _mm256_storeu_ps(y + i, acc);
  }
  for (; i < n; ++i) {
    float acc = y[i];
    for (int t = 0; t < taps; ++t) acc += w[t] * src[t][i];
    y[i] = acc;
  }
}

double dotAvx2(const float* a, const float* b, int64_t n) {
  __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, _mm256_add_ps(s0, s1));
  double total = 0;
  for (float v : lanes) total += v;
  for (; i < n; ++i) total += static_cast<double>(a[i]) * b[i];
  return total;
}

}  // namespace atrous::depthwise
