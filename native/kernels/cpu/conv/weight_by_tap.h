// Weight gradient one kernel tap at a time, over only the output pixels where that tap lands inside
// the input: dW[:, :, kh, kw] = sum over those pixels of dy x^T. With a large dilation on a small
// image (ASPP: dilation 12 on 33x33) almost half the nominal taps land in padding; here they cost
// nothing, and each tap's GEMM (Cout x Cin, K = pixels) writes its block of dW once, with no
// per-region partial sums to add up afterwards.
//
// Both operands are read channels-last (a transposed copy of x and dy, a few images at a time), so a
// GEMM row of K is one pixel's run of contiguous channels: packing is a plain copy per row.
#pragma once
#include <cstdint>

#include "../../conv_geometry.h"

namespace atrous {

// dw = the weight gradient (overwritten); geometry and buffers already validated. The channels-last
// copies are made for chunks of chunkImages images (the plan sizes them within its workspace).
void backwardWeightByTap(const ConvGeometry& g, const float* x, const float* dy, float* dw, int64_t chunkImages);

}  // namespace atrous
