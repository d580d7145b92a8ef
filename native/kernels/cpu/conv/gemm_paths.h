// The convolution paths built on the GEMM (gemm.h) with im2col fused into its packing: the dense
// forward over every tap, the forward and weight gradient by tap region (taps that land only in
// padding get no work), the data gradient by column tiles and col2im, and the dense weight gradient.
// They execute a plan (plan.h): the sizes they take are the plan's, within its workspace share.
// Geometry and buffers are validated by the caller (conv.cpp).
#pragma once
#include <cstdint>
#include <vector>

#include "../../conv_geometry.h"
#include "../reusable_scratch.h"
#include "im2col.h"

namespace atrous {

// Forward over the whole output, padding taps included: one GEMM per image and group, straight into y.
void denseForwardWhole(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y);
// Forward region by region (windows: tap_regions.h), each region's GEMM over only the taps inside;
// bands of output pixels keep a GEMM's output under scratchFloats.
void denseForwardByRegion(const ConvGeometry& g, const std::vector<ColumnWindow>& windows, int64_t scratchFloats,
                          const float* x, const float* w, const float* bias, float* y);
// The weight flipped in space and transposed in channels (the data gradient as a forward), into the
// calling thread's scratch.
const float* flippedTransposedWeight(const ConvGeometry& g, const float* w, ReusableScratch& scratch);
// Data gradient by column tiles of `tile` output pixels: dcol = W^T dy, scattered back with col2im.
void backwardDataByColumns(const ConvGeometry& g, int64_t tile, const float* dy, const float* w, float* dx);
// Weight gradient over every tap, the columns materialized in tiles of `tile` output pixels;
// perThread: each thread sums its share of the tiles into a copy of dW of its own.
void backwardWeightDense(const ConvGeometry& g, int64_t tile, bool perThread, const float* x, const float* dy,
                         float* dw);
// Weight gradient region by region; a band's dy rows and columns stay under bandFloats.
void backwardWeightByRegion(const ConvGeometry& g, const std::vector<ColumnWindow>& windows, int64_t bandFloats,
                            const float* x, const float* dy, float* dw);

}  // namespace atrous
