// The AVX-512 register tile of the direct convolution (compiled with -mavx512f; see conv_direct.h).
#include <immintrin.h>

#include "../../portability.h"
#include "direct.h"

namespace atrous::direct {
namespace {

// kFull: every slot has all 16 lanes, so the loads need no mask (the common case, away from the
// right edge of a row).
template <bool kFull>
void tile(const Tile& t, const float* w, const float* bias, int coCount, int64_t channels, int64_t KH, int64_t KW,
          int64_t planeStride, int64_t rowStep, int64_t colStep, int64_t outPlane) {
  __m512 acc[kCoBlock][kSlots];
  __mmask16 m[kSlots];
  ATROUS_UNROLL(6)
  for (int s = 0; s < kSlots; ++s) {
    m[s] = t.mask[s];
    ATROUS_UNROLL(4)
    for (int co = 0; co < kCoBlock; ++co) acc[co][s] = _mm512_setzero_ps();
  }
  // Blocks of channels outside, then taps, then the block's channels: the inner loop runs 8 times
  // with fixed strides (a loop over the 3 columns of a 3x3 kernel innermost paid its overhead every
  // 3 steps), and a block's input rows stay in L1 across the taps (all channels inside the taps
  // swept 128-256 planes per tap out of L1: S2, S3 12% slower).
  constexpr int64_t kChannelBlock = 8;
  const int64_t taps = KH * KW;
  for (int64_t c0 = 0; c0 < channels; c0 += kChannelBlock) {
    const int64_t c1 = c0 + kChannelBlock < channels ? c0 + kChannelBlock : channels;
    for (int64_t tap = 0; tap < taps; ++tap) {
      const int64_t tapOffset = tap / KW * rowStep + tap % KW * colStep;
      const float* wt = w + (c0 * taps + tap) * kCoBlock;
      for (int64_t c = c0; c < c1; ++c, wt += taps * kCoBlock) {
        const int64_t off = c * planeStride + tapOffset;
        const __m512 w0 = _mm512_set1_ps(wt[0]), w1 = _mm512_set1_ps(wt[1]);
        const __m512 w2 = _mm512_set1_ps(wt[2]), w3 = _mm512_set1_ps(wt[3]);
        ATROUS_UNROLL(6)
        for (int s = 0; s < kSlots; ++s) {
          const __m512 xv = kFull ? _mm512_loadu_ps(t.x[s] + off) : _mm512_maskz_loadu_ps(m[s], t.x[s] + off);
          acc[0][s] = _mm512_fmadd_ps(w0, xv, acc[0][s]);
          acc[1][s] = _mm512_fmadd_ps(w1, xv, acc[1][s]);
          acc[2][s] = _mm512_fmadd_ps(w2, xv, acc[2][s]);
          acc[3][s] = _mm512_fmadd_ps(w3, xv, acc[3][s]);
        }
      }
    }
  }
  // A fixed trip count, fully unrolled: acc is then indexed by constants only and stays in registers.
  ATROUS_UNROLL(4)
  for (int co = 0; co < kCoBlock; ++co) {
    if (co >= coCount) break;
    const __m512 b = _mm512_set1_ps(bias ? bias[co] : 0.f);
    ATROUS_UNROLL(6)
    for (int s = 0; s < kSlots; ++s)
      if (m[s]) _mm512_mask_storeu_ps(t.y[s] + co * outPlane, m[s], _mm512_add_ps(acc[co][s], b));
  }
}

}  // namespace

void tileAvx512(const Tile& t, const float* w, const float* bias, int coCount, int64_t channels, int64_t KH,
                int64_t KW, int64_t planeStride, int64_t rowStep, int64_t colStep, int64_t outPlane) {
  bool full = true;
  for (int s = 0; s < kSlots; ++s) full = full && t.mask[s] == 0xFFFF;
  if (full)
    tile<true>(t, w, bias, coCount, channels, KH, KW, planeStride, rowStep, colStep, outPlane);
  else
    tile<false>(t, w, bias, coCount, channels, KH, KW, planeStride, rowStep, colStep, outPlane);
}

}  // namespace atrous::direct
