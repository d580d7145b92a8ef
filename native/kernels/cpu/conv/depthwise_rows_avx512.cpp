// AVX-512 inner loops of the depthwise kernels (compiled with -mavx512f; see depthwise_rows.h).
#include <immintrin.h>

#include "depthwise_rows.h"

namespace atrous::depthwise {

void accumulateTapsAvx512(float* y, const float* const* src, const float* w, int taps, int64_t n) {
  int64_t i = 0;
  for (; i + 64 <= n; i += 64) {  // 4 registers of y stay put across every tap
    __m512 y0 = _mm512_loadu_ps(y + i), y1 = _mm512_loadu_ps(y + i + 16);
    __m512 y2 = _mm512_loadu_ps(y + i + 32), y3 = _mm512_loadu_ps(y + i + 48);
    for (int t = 0; t < taps; ++t) {
      const __m512 wv = _mm512_set1_ps(w[t]);
      const float* s = src[t] + i;
      y0 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(s), y0);
      y1 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(s + 16), y1);
      y2 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(s + 32), y2);
      y3 = _mm512_fmadd_ps(wv, _mm512_loadu_ps(s + 48), y3);
    }
    _mm512_storeu_ps(y + i, y0);
    _mm512_storeu_ps(y + i + 16, y1);
    _mm512_storeu_ps(y + i + 32, y2);
    _mm512_storeu_ps(y + i + 48, y3);
  }
  for (; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (n - i)) - 1);
    __m512 acc = _mm512_maskz_loadu_ps(m, y + i);
    for (int t = 0; t < taps; ++t)
      acc = _mm512_fmadd_ps(_mm512_set1_ps(w[t]), _mm512_maskz_loadu_ps(m, src[t] + i), acc);
    _mm512_mask_storeu_ps(y + i, m, acc);
  }
}

double dotAvx512(const float* a, const float* b, int64_t n) {
  __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
  }
  for (; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (n - i)) - 1);
    s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), s0);
  }
  const __m512 s = _mm512_add_ps(s0, s1);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, s);
  double total = 0;
  for (float v : lanes) total += v;
  return total;
}

}  // namespace atrous::depthwise
