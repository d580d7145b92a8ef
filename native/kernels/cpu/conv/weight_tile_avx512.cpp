// The AVX-512 register tile of the direct weight gradient (compiled with -mavx512f; see conv_weight_tile.h).
#include <immintrin.h>

#include "../../portability.h"
#include "weight_tile.h"

namespace atrous::weight_tile {

void accumulateAvx512(const Tile& t, int coCount, int64_t rows, int64_t cols, int64_t xStep, int64_t xRowStep,
                      int64_t dyRowStep, float* out, int64_t ldOut) {
  __m512 acc[kCoBlock][kSlots];
  ATROUS_UNROLL(4)
  for (int co = 0; co < kCoBlock; ++co)
    ATROUS_UNROLL(6)
    for (int s = 0; s < kSlots; ++s) acc[co][s] = _mm512_setzero_ps();
  const __mmask16 m0 = t.mask[0], m1 = t.mask[1], m2 = t.mask[2], m3 = t.mask[3], m4 = t.mask[4], m5 = t.mask[5];
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t xr = r * xRowStep, dr = r * dyRowStep;
    const float *x0 = t.x[0] + xr, *x1 = t.x[1] + xr, *x2 = t.x[2] + xr, *x3 = t.x[3] + xr, *x4 = t.x[4] + xr,
                *x5 = t.x[5] + xr;
    const float *d0 = t.dy[0] + dr, *d1 = t.dy[1] + dr, *d2 = t.dy[2] + dr, *d3 = t.dy[3] + dr;
    for (int64_t p = 0; p < cols; ++p) {
      const int64_t o = p * xStep;
      const __m512 v[kSlots] = {_mm512_maskz_loadu_ps(m0, x0 + o), _mm512_maskz_loadu_ps(m1, x1 + o),
                                _mm512_maskz_loadu_ps(m2, x2 + o), _mm512_maskz_loadu_ps(m3, x3 + o),
                                _mm512_maskz_loadu_ps(m4, x4 + o), _mm512_maskz_loadu_ps(m5, x5 + o)};
      const float* d[kCoBlock] = {d0, d1, d2, d3};
      ATROUS_UNROLL(4)
      for (int co = 0; co < kCoBlock; ++co) {  // one broadcast live at a time: 24 sums + 6 inputs + 1
        const __m512 dv = _mm512_set1_ps(d[co][p]);
        ATROUS_UNROLL(6)
        for (int s = 0; s < kSlots; ++s) acc[co][s] = _mm512_fmadd_ps(dv, v[s], acc[co][s]);
      }
    }
  }
  // Fixed trip counts, fully unrolled: acc is indexed by constants only and stays in registers.
  ATROUS_UNROLL(4)
  for (int co = 0; co < kCoBlock; ++co) {
    if (co >= coCount) break;
    ATROUS_UNROLL(6)
    for (int s = 0; s < kSlots; ++s) {
      if (!t.mask[s]) continue;
      float* o = out + co * ldOut + t.col[s];
      _mm512_mask_storeu_ps(o, t.mask[s], _mm512_add_ps(_mm512_maskz_loadu_ps(t.mask[s], o), acc[co][s]));
    }
  }
}

}  // namespace atrous::weight_tile
