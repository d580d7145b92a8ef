// Elementwise float32 kernels on the device, mirroring native/kernels/cpu/elementwise.h (same
// argument checks: lengths, and out either an input itself or disjoint from it), plus float64
// sums whose result stays on the device. Every float result is bit-identical to the CPU kernels' (a
// NaN's bits aside: host_device.h).
#pragma once
#include <cstdint>

#include "../status.h"
#include "cuda_status.h"

namespace atrous::cuda {

Status add(ConstFloatSpan a, ConstFloatSpan b, FloatSpan out, Stream stream = nullptr);  // out = a + b
Status sub(ConstFloatSpan a, ConstFloatSpan b, FloatSpan out, Stream stream = nullptr);  // out = a - b
Status mul(ConstFloatSpan a, ConstFloatSpan b, FloatSpan out, Stream stream = nullptr);  // out = a * b
// out = a * alpha + b * beta, rounded after each product and the sum as on the CPU (no FMA).
Status axpby(ConstFloatSpan a, float alpha, ConstFloatSpan b, float beta, FloatSpan out, Stream stream = nullptr);
// out[i] = a[i] + bias[(i / inner) % channels]; a.size a multiple of channels * inner (the CPU's
// validateAddChannelBias). Its gradient is convBackwardBias over a [N, channels, inner, 1] geometry.
Status addChannelBias(ConstFloatSpan a, ConstFloatSpan bias, int64_t channels, int64_t inner, FloatSpan out,
                      Stream stream = nullptr);
// out = a * alpha + beta, rounded after the product as on the CPU (no FMA).
Status scaleShift(ConstFloatSpan a, float alpha, float beta, FloatSpan out, Stream stream = nullptr);
Status relu(ConstFloatSpan x, FloatSpan out, Stream stream = nullptr);  // max(x, 0), NaN stays NaN
// dx = x <= 0 ? 0 : dy (a NaN x passes the gradient, as PyTorch's threshold_backward).
Status reluBackward(ConstFloatSpan x, ConstFloatSpan dy, FloatSpan dx, Stream stream = nullptr);
Status fill(FloatSpan out, float value, Stream stream = nullptr);
// *deviceResult (one double on the device) = the float64 sum of x: fixed blocks by x's length
// alone, then their partial sums in order, so the result does not depend on the device.
Status sum(ConstFloatSpan x, double* deviceResult, Stream stream = nullptr);
// *deviceResult = the float64 sum of x², in the same order as sum.
Status sumSquares(ConstFloatSpan x, double* deviceResult, Stream stream = nullptr);

}  // namespace atrous::cuda
