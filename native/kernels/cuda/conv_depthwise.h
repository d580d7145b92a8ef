// Direct kernels for convolutions with one input channel per group (depthwise, any channel
// multiplier) on the device. im2col + GEMM is the wrong tool there: a group's GEMM has M = multiplier
// and K = KH*KW, so nearly all of a 128x128 tile is wasted. These read the tensors directly:
// forward and data gradient one thread per element they write (the data gradient gathers, so no
// atomics), the weight gradient one block per weight element (or a few, summed in a fixed order), in
// float64. Sums run in an order fixed by the geometry alone: results do not depend on timing.
// FP32 whatever the TF32 switch says (there is no GEMM to run on tensor cores).
// Unchecked: conv.cu validates the geometry and the buffers before calling these.
#pragma once
#include "../conv_geometry.h"
#include "cuda_status.h"

namespace atrous::cuda {

// y = conv(x, w) [+ bias]; bias may be null.
Status depthwiseForward(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y,
                        Stream stream);
Status depthwiseBackwardData(const ConvGeometry& g, const float* dy, const float* w, float* dx, Stream stream);
Status depthwiseBackwardWeight(const ConvGeometry& g, const float* x, const float* dy, float* dw, Stream stream);

}  // namespace atrous::cuda
