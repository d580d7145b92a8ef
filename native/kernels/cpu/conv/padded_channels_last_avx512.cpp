// The AVX-512 tile of the channels-last copy (compiled with -mavx512f; see padded_channels_last.h).
#include <immintrin.h>

#include "../../portability.h"
#include "padded_channels_last.h"
#include "../transpose_avx512.h"

namespace atrous {

void transposeTileAvx512(const float* s, int64_t lds, int64_t step, int64_t channels, int64_t pixels, float* d,
                         int64_t ldd) {
  // Only the floats the tile needs are read: a partial tile may end at the end of the image.
  const int need = static_cast<int>(step == 1 ? pixels : 2 * pixels - 1);
  const __mmask16 lo = need >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << need) - 1);
  const __mmask16 hi = need <= 16 ? 0 : static_cast<__mmask16>((1u << (need - 16)) - 1);
  const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  __m512 r[16];
  ATROUS_UNROLL(16)
  for (int c = 0; c < 16; ++c) {
    if (c >= channels) {
      r[c] = _mm512_setzero_ps();
      continue;
    }
    const float* row = s + c * lds;
    r[c] = step == 1 ? _mm512_maskz_loadu_ps(lo, row)
                     : _mm512_permutex2var_ps(_mm512_maskz_loadu_ps(lo, row), even, _mm512_maskz_loadu_ps(hi, row + 16));
  }
  transpose16x16(r);
  const __mmask16 m = channels >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << channels) - 1);
  ATROUS_UNROLL(16)
  for (int i = 0; i < 16; ++i)
    if (i < pixels) _mm512_mask_storeu_ps(d + i * ldd, m, r[i]);
}

}  // namespace atrous
