// The register tiles of the channels-last direct forward (AVX-512 only; conv_forward_tile_avx512.cpp):
// 24 sums of 16 output channels, as 6 output pixels x 4 vectors (a block of 64 output channels) or,
// for groups of 32 output channels or fewer, 12 pixels x 2 vectors (a block of 32: the wide tile
// spent half its multiplies on zero weights there). x is channels-last, so a pixel's input channel
// under a tap is one broadcast, whichever rows the pixels lie on (no lanes lost to narrow rows); the
// weight is packed [tap][channel][block of output channels], so a tap's channel is a few vector loads.
#pragma once
#include <cstdint>

namespace atrous::forward_tile {

constexpr int kMaxPixels = 12;  // output pixels per tile, at most

// The two shapes: Wide (6 pixels x 64 channels) and Narrow (12 pixels x 32 channels).
struct Shape {
  int pixels, coBlock;
};
constexpr Shape kWide{6, 64}, kNarrow{12, 32};
// The tile for a group's output channels: up to 32 fill the narrow tile's block exactly (L2 and L3's
// data gradient in the training CNN: 32 output channels, half the wide tile's multiplies on zeros).
constexpr Shape shapeFor(int64_t outChannelsPerGroup) { return outChannelsPerGroup <= kNarrow.coBlock ? kNarrow : kWide; }

// For slots s < pixels (at most the shape's pixels) and co < the shape's coBlock:
//   sum[s][co] = bias[co] + sum over tap < taps, c < channels of
//     w[(tap * channels + c) * coBlock + co] * x[s][tapOffsets[tap] + c]
// the sums channels-last (coBlock floats per pixel; contiguous stores, where scattering them down the
// channel planes of y cost 7% of the tile); bias holds coBlock floats or is null (zero).
struct Tile {
  const float* x[kMaxPixels];
  float* sum[kMaxPixels];
  int pixels;
};
void forwardWideAvx512(const Tile& t, const float* w, const int64_t* tapOffsets, int64_t taps, int64_t channels,
                       const float* bias);
void forwardNarrowAvx512(const Tile& t, const float* w, const int64_t* tapOffsets, int64_t taps, int64_t channels,
                         const float* bias);

}  // namespace atrous::forward_tile
