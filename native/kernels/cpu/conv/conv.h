// Float32 convolution on the CPU, NCHW (1-d is H = KH = 1). Forward, backward-data,
// backward-weight and bias-gradient, with stride, per-side padding, per-axis dilation and groups.
// Dense groups go through GEMM with im2col fused into the packing of B panels (the column matrix
// is never materialized for a batch; workspaces stay under kConvWorkspaceBytes). Depthwise convs
// (one input channel per group) use a direct kernel. Every entry validates the geometry and the
// buffer lengths before touching memory; outputs are overwritten, never accumulated into.
#pragma once
#include "../../conv_geometry.h"
#include "../../status.h"

namespace atrous {

constexpr long long kConvWorkspaceBytes = 16ll << 20;

Status convForward(const ConvGeometry& g, ConstFloatSpan x, ConstFloatSpan w, ConstFloatSpan bias /* size 0: none */,
                   FloatSpan y);
Status convBackwardData(const ConvGeometry& g, ConstFloatSpan dy, ConstFloatSpan w, FloatSpan dx);
Status convBackwardWeight(const ConvGeometry& g, ConstFloatSpan x, ConstFloatSpan dy, FloatSpan dw);
Status convBackwardBias(const ConvGeometry& g, ConstFloatSpan dy, FloatSpan db);

}  // namespace atrous
