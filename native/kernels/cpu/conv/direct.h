// Direct convolution for stride-1 columns: no column matrix and no packed B at all. The input of one
// image and group is copied once into a zero-padded plane; a register tile of 4 output channels x 6
// vectors of 16 output pixels then runs over every input channel and tap, loading the input rows
// straight from that plane. When few output channels share each packed column (S8: 32), packing
// B costs as much as the multiply; here nothing is packed but the (small) weight. With enough
// images, each thread pads and convolves whole images of its own.
// Only the AVX-512 tile exists; other ISAs use the GEMM path.
#pragma once
#include <cstdint>

#include "../../conv_geometry.h"

namespace atrous {

namespace direct {
constexpr int kCoBlock = 4;   // output channels per register tile
constexpr int kSlots = 6;     // vectors of output pixels per register tile
constexpr int kLanes = 16;    // pixels per vector

// One register tile. Slot s covers up to 16 consecutive output pixels of one row: x[s] points at
// the padded input of channel 0 under its first pixel (tap 0, 0), y[s] at the output of the block's
// first channel; mask[s] marks the pixels that exist (0: slot unused).
struct Tile {
  const float* x[kSlots];
  float* y[kSlots];
  uint16_t mask[kSlots];
};

// y[s][co * outPlane + i] = bias[co] + sum over c < channels, kh, kw of
//   w[((c * KH + kh) * KW + kw) * kCoBlock + co] * x[s][c * planeStride + kh * rowStep + kw * colStep + i]
// for co < coCount and the lanes i in mask[s].
void tileAvx512(const Tile& t, const float* w, const float* bias, int coCount, int64_t channels, int64_t KH,
                int64_t KW, int64_t planeStride, int64_t rowStep, int64_t colStep, int64_t outPlane);
}  // namespace direct

// Forward (stride-1 columns, AVX-512; when it runs and why: plan.cpp); geometry and buffers already
// validated. imagesInParallel: each thread pads and convolves whole images of its own, else the
// threads share each image's padded plane.
void directForward(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y,
                   bool imagesInParallel);

}  // namespace atrous
