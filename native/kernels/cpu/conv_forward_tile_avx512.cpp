// The AVX-512 register tile of the channels-last direct forward (compiled with -mavx512f; see
// conv_forward_tile.h).
#include <immintrin.h>

#include "conv_forward_tile.h"

namespace atrous::forward_tile {

void forwardAvx512(const Tile& t, const float* w, const int64_t* tapOffsets, int64_t taps, int64_t channels,
                   const float* bias) {
  __m512 acc[kPixels][kCoVectors];
#pragma GCC unroll 6
  for (int s = 0; s < kPixels; ++s)
#pragma GCC unroll 4
    for (int v = 0; v < kCoVectors; ++v) acc[s][v] = bias ? _mm512_loadu_ps(bias + 16 * v) : _mm512_setzero_ps();
  // Unused slots read slot 0's input (their sums are dropped).
  const float* x[kPixels];
  for (int s = 0; s < kPixels; ++s) x[s] = t.x[s < t.pixels ? s : 0];
  for (int64_t tap = 0; tap < taps; ++tap) {
    const int64_t off = tapOffsets[tap];
    const float *x0 = x[0] + off, *x1 = x[1] + off, *x2 = x[2] + off, *x3 = x[3] + off, *x4 = x[4] + off,
                *x5 = x[5] + off;
    const float* wt = w + tap * channels * kCoBlock;
    for (int64_t c = 0; c < channels; ++c, wt += kCoBlock) {
      const __m512 w0 = _mm512_loadu_ps(wt), w1 = _mm512_loadu_ps(wt + 16), w2 = _mm512_loadu_ps(wt + 32),
                   w3 = _mm512_loadu_ps(wt + 48);
      const float* xs[kPixels] = {x0, x1, x2, x3, x4, x5};
#pragma GCC unroll 6
      for (int s = 0; s < kPixels; ++s) {  // one broadcast live at a time: 24 sums + 4 weights + 1
        const __m512 xv = _mm512_set1_ps(xs[s][c]);
        acc[s][0] = _mm512_fmadd_ps(xv, w0, acc[s][0]);
        acc[s][1] = _mm512_fmadd_ps(xv, w1, acc[s][1]);
        acc[s][2] = _mm512_fmadd_ps(xv, w2, acc[s][2]);
        acc[s][3] = _mm512_fmadd_ps(xv, w3, acc[s][3]);
      }
    }
  }
#pragma GCC unroll 6
  for (int s = 0; s < kPixels; ++s) {
    if (s >= t.pixels) break;
#pragma GCC unroll 4
    for (int v = 0; v < kCoVectors; ++v) _mm512_storeu_ps(t.sum[s] + 16 * v, acc[s][v]);
  }
}

}  // namespace atrous::forward_tile
