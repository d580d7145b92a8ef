// Direct kernels for convolutions with one input channel per group (depthwise, with any channel
// multiplier). GEMM is the wrong tool there: each group's GEMM has K = KH*KW and the work is
// memory-bound, so these stream each plane once and keep one output row in L1 per tap.
// Geometry and lengths are validated by the caller (conv.cpp).
#pragma once
#include "../../conv_geometry.h"

namespace atrous {

void depthwiseForward(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y);
void depthwiseBackwardData(const ConvGeometry& g, const float* dy, const float* w, float* dx);
void depthwiseBackwardWeight(const ConvGeometry& g, const float* x, const float* dy, float* dw);

}  // namespace atrous
