// The AVX-512 register tiles of the channels-last direct forward (compiled with -mavx512f; see
// conv_forward_tile.h).
#include <immintrin.h>

#include "../../portability.h"
#include "forward_tile.h"

namespace atrous::forward_tile {
namespace {

// Pixels x CoVectors sums, 24 in both shapes: with the CoVectors weights and one broadcast live at a
// time, 29 or 27 of the 32 registers.
template <int Pixels, int CoVectors>
inline void forwardTile(const Tile& t, const float* w, const int64_t* tapOffsets, int64_t taps, int64_t channels,
                        const float* bias) {
  constexpr int64_t coBlock = 16 * CoVectors;
  __m512 acc[Pixels][CoVectors];
  ATROUS_UNROLL(12)
  for (int s = 0; s < Pixels; ++s)
    ATROUS_UNROLL(4)
    for (int v = 0; v < CoVectors; ++v) acc[s][v] = bias ? _mm512_loadu_ps(bias + 16 * v) : _mm512_setzero_ps();
  // Unused slots read slot 0's input (their sums are dropped).
  const float* x[Pixels];
  ATROUS_UNROLL(12)
  for (int s = 0; s < Pixels; ++s) x[s] = t.x[s < t.pixels ? s : 0];
  for (int64_t tap = 0; tap < taps; ++tap) {
    const int64_t off = tapOffsets[tap];
    const float* xs[Pixels];
    ATROUS_UNROLL(12)
    for (int s = 0; s < Pixels; ++s) xs[s] = x[s] + off;
    const float* wt = w + tap * channels * coBlock;
    for (int64_t c = 0; c < channels; ++c, wt += coBlock) {
      __m512 wv[CoVectors];
      ATROUS_UNROLL(4)
      for (int v = 0; v < CoVectors; ++v) wv[v] = _mm512_loadu_ps(wt + 16 * v);
      ATROUS_UNROLL(12)
      for (int s = 0; s < Pixels; ++s) {
        const __m512 xv = _mm512_set1_ps(xs[s][c]);
        ATROUS_UNROLL(4)
        for (int v = 0; v < CoVectors; ++v) acc[s][v] = _mm512_fmadd_ps(xv, wv[v], acc[s][v]);
      }
    }
  }
  ATROUS_UNROLL(12)
  for (int s = 0; s < Pixels; ++s) {
    if (s >= t.pixels) break;
    ATROUS_UNROLL(4)
    for (int v = 0; v < CoVectors; ++v) _mm512_storeu_ps(t.sum[s] + 16 * v, acc[s][v]);
  }
}

}  // namespace

void forwardWideAvx512(const Tile& t, const float* w, const int64_t* tapOffsets, int64_t taps, int64_t channels,
                       const float* bias) {
  forwardTile<kWide.pixels, kWide.coBlock / 16>(t, w, tapOffsets, taps, channels, bias);
}

void forwardNarrowAvx512(const Tile& t, const float* w, const int64_t* tapOffsets, int64_t taps, int64_t channels,
                         const float* bias) {
  forwardTile<kNarrow.pixels, kNarrow.coBlock / 16>(t, w, tapOffsets, taps, channels, bias);
}

}  // namespace atrous::forward_tile
