// The register tile of the channels-last direct forward (AVX-512 only; conv_forward_tile_avx512.cpp):
// 6 output pixels x 4 vectors of 16 output channels. x is channels-last, so a pixel's input channel
// under a tap is one broadcast, whichever rows the 6 pixels lie on (no lanes lost to narrow rows);
// the weight is packed [tap][channel][64 output channels], so a tap's channel is 4 vector loads.
#pragma once
#include <cstdint>

namespace atrous::forward_tile {

constexpr int kPixels = 6;    // output pixels per tile
constexpr int kCoVectors = 4;  // vectors of 16 output channels per tile
constexpr int kCoBlock = 16 * kCoVectors;

// For slots s < pixels (at most kPixels) and co < kCoBlock:
//   sum[s][co] = bias[co] + sum over tap < taps, c < channels of
//     w[(tap * channels + c) * kCoBlock + co] * x[s][tapOffsets[tap] + c]
// the sums channels-last (64 floats per pixel; contiguous stores, where scattering them down the
// channel planes of y cost 7% of the tile); bias holds kCoBlock floats or is null (zero).
struct Tile {
  const float* x[kPixels];
  float* sum[kPixels];
  int pixels;
};
void forwardAvx512(const Tile& t, const float* w, const int64_t* tapOffsets, int64_t taps, int64_t channels,
                   const float* bias);

}  // namespace atrous::forward_tile
