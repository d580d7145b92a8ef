// maxPoolRow2x2 for AVX-512: 16 windows at a time. Each row's 32 inputs are split into even and odd
// columns (one two-register permute each), then the four cells go through the scalar path's
// comparisons as lane masks, so values and argmax are the scalar path's bit for bit.
#include <immintrin.h>

#include <limits>

#include "maxpool_rows.h"

namespace atrous {

void maxPoolRow2x2Avx512(const float* r0, const float* r1, int64_t outW, int32_t base, int32_t rowStride, float* y,
                         int32_t* argmax) {
  const __m512i evens = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odds = _mm512_add_epi32(evens, _mm512_set1_epi32(1));
  const __m512 minusInf = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  for (int64_t ow = 0; ow < outW; ow += 16) {
    const int64_t m = outW - ow < 16 ? outW - ow : 16;  // windows this step
    const int64_t cells = 2 * m;                       // input columns this step, <= 32
    const __mmask16 lo = static_cast<__mmask16>(cells >= 16 ? 0xffff : (1u << cells) - 1);
    const __mmask16 hi = static_cast<__mmask16>(cells >= 32 ? 0xffff : cells > 16 ? (1u << (cells - 16)) - 1 : 0);
    const float* a = r0 + 2 * ow;
    const float* b = r1 + 2 * ow;
    const __m512 a0 = _mm512_maskz_loadu_ps(lo, a), a1 = _mm512_maskz_loadu_ps(hi, a + 16);
    const __m512 b0 = _mm512_maskz_loadu_ps(lo, b), b1 = _mm512_maskz_loadu_ps(hi, b + 16);
    const __m512 v[4] = {_mm512_permutex2var_ps(a0, evens, a1), _mm512_permutex2var_ps(a0, odds, a1),
                         _mm512_permutex2var_ps(b0, evens, b1), _mm512_permutex2var_ps(b0, odds, b1)};
    const __m512i at0 = _mm512_add_epi32(_mm512_set1_epi32(base + static_cast<int32_t>(2 * ow)), evens);
    const __m512i one = _mm512_set1_epi32(1), below = _mm512_set1_epi32(rowStride);
    const __m512i at[4] = {at0, _mm512_add_epi32(at0, one), _mm512_add_epi32(at0, below),
                           _mm512_add_epi32(_mm512_add_epi32(at0, below), one)};
    __m512 best = minusInf;
    __m512i bestIndex = at[0];
    for (int k = 0; k < 4; ++k) {
      const __mmask16 take =
          _mm512_cmp_ps_mask(v[k], best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v[k], v[k], _CMP_UNORD_Q);
      best = _mm512_mask_blend_ps(take, best, v[k]);
      bestIndex = _mm512_mask_blend_epi32(take, bestIndex, at[k]);
    }
    const __mmask16 out = static_cast<__mmask16>(m == 16 ? 0xffff : (1u << m) - 1);
    _mm512_mask_storeu_ps(y + ow, out, best);
    _mm512_mask_storeu_epi32(argmax + ow, out, bestIndex);
  }
}

}  // namespace atrous
