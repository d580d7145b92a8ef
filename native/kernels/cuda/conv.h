// Float32 convolution on the device, NCHW (1-d is H = KH = 1), mirroring native/kernels/cpu/conv/conv.h:
// forward, backward-data, backward-weight and bias gradient with stride, per-side padding, per-axis
// dilation and groups. Spans hold device pointers; every entry validates the geometry (the shared
// conv_geometry.h) and the buffer lengths before queuing anything; outputs are overwritten.
// Dense path: im2col over a tile of images (or of one image's output pixels when an image is too
// big) into a workspace of at most the workspace budget, then one batched GEMM over (image, group).
// The weight gradient lays a tile's images side by side and splits the long K (pixels) into
// slices whose partial products are summed in a fixed order: results do not depend on timing.
// 1x1 convolutions with stride 1 and no padding multiply the input in place, without columns.
// One input channel per group (depthwise) otherwise: direct kernels, no GEMM (conv_depthwise.h).
// Work is queued on `stream`; workspaces come from the stream-ordered pool (cudaMallocAsync).
#pragma once
#include "../conv_geometry.h"
#include "../status.h"
#include "cuda_status.h"

namespace atrous::cuda {

constexpr long long kConvWorkspaceBytes = 128ll << 20;

Status convForward(const ConvGeometry& g, ConstFloatSpan x, ConstFloatSpan w, ConstFloatSpan bias /* size 0: none */,
                   FloatSpan y, Stream stream = nullptr);
Status convBackwardData(const ConvGeometry& g, ConstFloatSpan dy, ConstFloatSpan w, FloatSpan dx,
                        Stream stream = nullptr);
Status convBackwardWeight(const ConvGeometry& g, ConstFloatSpan x, ConstFloatSpan dy, FloatSpan dw,
                          Stream stream = nullptr);
Status convBackwardBias(const ConvGeometry& g, ConstFloatSpan dy, FloatSpan db, Stream stream = nullptr);

// The column-workspace budget in bytes (0 restores kConvWorkspaceBytes). Tests shrink it to drive
// the image, pixel and K-slice tilings through small shapes.
void setConvWorkspaceBytes(long long bytes);

}  // namespace atrous::cuda
