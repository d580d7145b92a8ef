// Weight gradient from a zero-padded, channels-last copy of the input:
//   dW[co][(kh, kw, c)] = sum over output pixels p of dy[co][p] * xPad[pixel(p) + tap(kh, kw)][c]
// With AVX-512, a register tile (conv_weight_tile.h) runs over the pixels of each output row with
// nothing packed: a tap's 16 channels under a pixel are one load, dy's value one broadcast. Elsewhere
// the same sum is one implicit GEMM (K = output pixels, N = (tap, channel)), whose B rows are runs of
// contiguous channels: plain copies, with no column matrix and no transposed packing (the dense
// path's im2col tile plus its transposed B packing cost as much as the multiply on S8: 32 output
// channels, 16384 pixels). dy is read in place.
// The pixels split into a fixed number of pieces, each summed into its own copy of dW, then added in
// order: the result does not depend on which thread took which piece.
#pragma once
#include <cstdint>

#include "../../conv_geometry.h"
#include "padded_channels_last.h"

namespace atrous {

// The pixels split into this many pieces per thread, each summed into its own copy of dW: several per
// thread, so a thread slowed by other processes holds up little.
constexpr int64_t kWeightPiecesPerThread = 4;

// dw = the weight gradient (overwritten); geometry and buffers already validated (when it runs and
// why: plan.cpp). padInPieces: each piece pads the images it comes to; else the batch is padded up
// front in chunks of chunkImages. With a sampling, x holds the larger images of a folded stride (see
// InputSampling) and g is the folded conv.
void backwardWeightChannelsLast(const ConvGeometry& g, const float* x, const float* dy, float* dw, bool padInPieces,
                                int64_t chunkImages, const InputSampling& sampling = {});

}  // namespace atrous
