// 2-d pooling over NCHW float32 on the device, mirroring native/kernels/cpu/pool.h: the same shapes,
// semantics and argument checks (the CPU's validatePool, validateAdaptivePool, validateMaxPoolBackward;
// the max pool backward checks every argmax on the device first, one stream synchronization).
// Spans hold device pointers; work is queued on `stream`. Every result is bit-identical to the
// CPU kernels' (a NaN's bits aside: host_device.h): forwards run one thread per output over its
// window in the CPU's order (float64 sums for the averages); the average backwards gather, each
// input cell adding its windows' gradients in output order (pool_cells.h); the max backward gives
// each plane one warp, which adds dy into dx in output order, the lanes of a 32-output chunk with
// equal argmax summed by one lane.
#pragma once
#include "../cpu/pool.h"
#include "../status.h"
#include "cuda_status.h"

namespace atrous::cuda {

// y and argmax (int32, each max's flat index within its H*W input plane) are pooledShape(x, p).
Status maxPool2dForward(const Nchw& x, const PoolWindow& p, ConstFloatSpan xData, FloatSpan y, Int32Span argmax,
                        Stream stream = nullptr);
// dx = 0, then dx[plane][argmax[o]] += dy[o]. An argmax outside [0, H*W) is an error before dx is written.
Status maxPool2dBackward(const Nchw& x, const Nchw& y, ConstFloatSpan dy, ConstInt32Span argmax, FloatSpan dx,
                         Stream stream = nullptr);

// count_include_pad, windows clipped to the padded input.
Status avgPool2dForward(const Nchw& x, const PoolWindow& p, ConstFloatSpan xData, FloatSpan y, Stream stream = nullptr);
Status avgPool2dBackward(const Nchw& x, const PoolWindow& p, ConstFloatSpan dy, FloatSpan dx, Stream stream = nullptr);

Status adaptiveAvgPool2dForward(const Nchw& x, int64_t outH, int64_t outW, ConstFloatSpan xData, FloatSpan y,
                                Stream stream = nullptr);
Status adaptiveAvgPool2dBackward(const Nchw& x, int64_t outH, int64_t outW, ConstFloatSpan dy, FloatSpan dx,
                                 Stream stream = nullptr);

}  // namespace atrous::cuda
