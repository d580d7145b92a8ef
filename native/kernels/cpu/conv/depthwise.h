// Direct kernels for convolutions with one input channel per group (depthwise, with any channel
// multiplier). GEMM is the wrong tool there: each group's GEMM has K = KH*KW and the work is
// memory-bound, so these stream each plane once and keep one output row in L1 per tap.
// Geometry and lengths are validated by the caller (conv.cpp).
#pragma once
#include "../../conv_geometry.h"

namespace atrous {

// The variants (when each runs and why: plan.cpp). Rows: any stride, row by row with border checks.
// Padded: stride-1 columns, from a zero-padded copy of each plane (at most 64 taps). Shifted: stride 1,
// from KW shifted copies of each plane cut to the output's width (at most 64 taps).
void depthwiseForwardRows(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y);
void depthwiseForwardPadded(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y);
void depthwiseForwardShifted(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y);
void depthwiseBackwardData(const ConvGeometry& g, const float* dy, const float* w, float* dx);
void depthwiseBackwardWeightRows(const ConvGeometry& g, const float* x, const float* dy, float* dw);
void depthwiseBackwardWeightShifted(const ConvGeometry& g, const float* x, const float* dy, float* dw);

}  // namespace atrous
