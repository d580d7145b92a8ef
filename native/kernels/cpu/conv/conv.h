// Float32 convolution on the CPU, NCHW (1-d is H = KH = 1). Forward, backward-data, backward-weight
// and bias-gradient, with stride, per-side padding, per-axis dilation and groups. Each call asks the
// planner (plan.h) how to run, honouring ATROUS_CONV_PATH, then executes the plan: the paths are GEMMs
// with im2col fused into the packing (gemm_paths.h), direct register tiles (direct.h,
// forward_channels_last.h, weight_channels_last.h), per-tap GEMMs (weight_by_tap.h) and the depthwise
// kernels (depthwise.h), within the workspace budget kConvWorkspaceBytes (plan.h). Every entry
// validates the geometry and the buffer lengths before touching memory; outputs are overwritten,
// never accumulated into.
#pragma once
#include "../../conv_geometry.h"
#include "../../status.h"
#include "plan.h"

namespace atrous {

Status convForward(const ConvGeometry& g, ConstFloatSpan x, ConstFloatSpan w, ConstFloatSpan bias /* size 0: none */,
                   FloatSpan y);
Status convBackwardData(const ConvGeometry& g, ConstFloatSpan dy, ConstFloatSpan w, FloatSpan dx);
Status convBackwardWeight(const ConvGeometry& g, ConstFloatSpan x, ConstFloatSpan dy, FloatSpan dw);
Status convBackwardBias(const ConvGeometry& g, ConstFloatSpan dy, FloatSpan db);

// Runs a given plan (from planConv for this geometry and the plan's pass), for the tests and the
// benches that try every path: forward (a = x, b = w, bias), data gradient (a = dy, b = w, out = dx)
// or weight gradient (a = x, b = dy, out = dw); bias is read by the forward only. Checks the lengths.
Status convExecute(const ConvPlan& plan, const ConvGeometry& g, ConstFloatSpan a, ConstFloatSpan b, ConstFloatSpan bias,
                   FloatSpan out);

}  // namespace atrous
