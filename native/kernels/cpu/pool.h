// 2-d pooling over NCHW float32, PyTorch semantics in floor mode: max pool (with the argmax the
// backward scatters through), average pool with padded zeros counted (count_include_pad), and
// adaptive average and max pools. Planes (n, c) are independent, so they are what runs in parallel.
#pragma once
#include <cstdint>

#include "../status.h"
#include "index_span.h"

namespace atrous {

struct Nchw {
  int64_t n = 0, c = 0, h = 0, w = 0;
  int64_t planes() const { return n * c; }
  int64_t planeSize() const { return h * w; }
  int64_t size() const { return n * c * h * w; }
  // Every dim >= 1 and the element count < 2^31 (what a Float32Array and an int32 argmax can index).
  Status validate(const char* fn, const char* arg) const;
};

struct PoolWindow {
  int64_t kernelH = 1, kernelW = 1;
  int64_t strideH = 1, strideW = 1;
  int64_t padH = 0, padW = 0;
};

// Checks x and the window (kernel, stride >= 1; 0 <= padding <= kernel/2, as PyTorch requires; the
// padded input at least one kernel) and the output's size.
Status validatePool(const char* fn, const Nchw& x, const PoolWindow& p);
// [N, C, (H + 2p - k)/s + 1, (W + 2p - k)/s + 1]; valid after validatePool.
Nchw pooledShape(const Nchw& x, const PoolWindow& p);

// y and argmax are pooledShape(x, p); argmax holds each max's flat index within its HxW input plane.
// Padding is -inf, never picked; on ties the first max in row-major order wins; a NaN wins (PyTorch).
Status maxPool2dForward(const Nchw& x, const PoolWindow& p, ConstFloatSpan xData, FloatSpan y, Int32Span argmax);
// dx = 0, then dx[plane][argmax[o]] += dy[o]. Every argmax is checked to lie in [0, H*W) first.
// validateMaxPoolBackward checks the two shapes (shared with the CUDA kernel).
Status validateMaxPoolBackward(const char* fn, const Nchw& x, const Nchw& y);
// The whole argument check of maxPool2dForward (window, lengths, argmax apart from x and y), shared
// with the CUDA kernel.
Status validateMaxPoolForward(const char* fn, const Nchw& x, const PoolWindow& p, ConstFloatSpan xData, FloatSpan y,
                              Int32Span argmax);
// in (inSize floats, inWant expected) and out (outWant expected) have their lengths and do not overlap.
Status validatePoolLengths(const char* fn, const char* inArg, long long inSize, long long inWant, const char* outArg,
                           FloatSpan out, long long outWant, const void* in);
Status maxPool2dBackward(const Nchw& x, const Nchw& y, ConstFloatSpan dy, ConstInt32Span argmax, FloatSpan dx);

// y = window sum / (kernelH * kernelW), windows clipped to the padded input as PyTorch does.
Status avgPool2dForward(const Nchw& x, const PoolWindow& p, ConstFloatSpan xData, FloatSpan y);
Status avgPool2dBackward(const Nchw& x, const PoolWindow& p, ConstFloatSpan dy, FloatSpan dx);

// Output row i averages input rows [floor(i*H/outH), ceil((i+1)*H/outH)), and likewise for columns;
// outH and outW are >= 1 and may exceed H and W (windows then repeat).
Status validateAdaptivePool(const char* fn, const Nchw& x, int64_t outH, int64_t outW);
Status adaptiveAvgPool2dForward(const Nchw& x, int64_t outH, int64_t outW, ConstFloatSpan xData, FloatSpan y);
Status adaptiveAvgPool2dBackward(const Nchw& x, int64_t outH, int64_t outW, ConstFloatSpan dy, FloatSpan dx);
// The max over the same windows (ties, NaN and -inf as maxPool2dForward); argmax as there, so
// maxPool2dBackward(x, [N, C, outH, outW], dy, argmax, dx) is its backward.
Status adaptiveMaxPool2dForward(const Nchw& x, int64_t outH, int64_t outW, ConstFloatSpan xData, FloatSpan y,
                                Int32Span argmax);

}  // namespace atrous
