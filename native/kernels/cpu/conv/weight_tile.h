// The register tile of the direct weight gradient (AVX-512 only; conv_weight_tile_avx512.cpp): 4
// output channels x 6 vectors of 16 input channels (each vector one kernel tap), summed over a run of
// output pixels with nothing packed. x is channels-last, so a tap's 16 channels under a pixel are one
// load; dy is NCHW, so an output channel's value at a pixel is one broadcast.
#pragma once
#include <cstdint>

namespace atrous::weight_tile {

constexpr int kCoBlock = 4;  // output channels per tile
constexpr int kSlots = 6;    // vectors of input channels per tile
constexpr int kLanes = 16;

// out[co * ldOut + col[s] + i] += sum over r < rows, p < cols of
//   dy[co][r * dyRowStep + p] * x[s][r * xRowStep + p * xStep + i]
// for co < coCount, slots s with mask[s] != 0 and lanes i in mask[s]: a block of output rows, the
// sums kept in registers across them. dy rows past coCount may be any readable pointers (their
// sums are dropped).
struct Tile {
  const float* dy[kCoBlock];
  const float* x[kSlots];
  int64_t col[kSlots];
  uint16_t mask[kSlots];
};
void accumulateAvx512(const Tile& t, int coCount, int64_t rows, int64_t cols, int64_t xStep, int64_t xRowStep,
                      int64_t dyRowStep, float* out, int64_t ldOut);

}  // namespace atrous::weight_tile
