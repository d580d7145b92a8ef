// Batch normalisation over N×C×S on the device, mirroring native/kernels/cpu/batchnorm.h: the same
// entries, optional buffers (empty gamma/beta: no affine; empty running statistics: not tracked;
// empty dx/dgamma/dbeta: not wanted) and checks (validateBatchNorm*; the eval's runningVar + eps > 0
// is checked on the device, one stream sync). Spans hold device pointers; work is queued on `stream`;
// x and y (dy and dx) may be one buffer.
// Per-channel sums are float64 and deterministic: each channel's N·S values are cut into slices
// fixed by the shape alone (at most 64 of at least 8192 values), each summed by one block in a fixed
// stride-then-tree order, the slices then added in order; no atomics. That order differs from the
// CPU's sequential one, so saved and running statistics agree with the CPU's to float64 rounding
// (~1e-15 relative) and y, dx, dgamma, dbeta to about 1 float ulp; given equal sums the arithmetic
// is the CPU's, operation for operation (batchnorm_channels.h, checked on the host).
#pragma once
#include "../cpu/batchnorm.h"
#include "../status.h"
#include "cuda_status.h"

namespace atrous::cuda {

Status batchNormForwardTrain(const BatchNormShape& s, ConstFloatSpan x, ConstFloatSpan gamma, ConstFloatSpan beta,
                             double eps, double factor, FloatSpan runningMean, FloatSpan runningVar, FloatSpan y,
                             FloatSpan saveMean, FloatSpan saveInvStd, Stream stream = nullptr);

Status batchNormForwardEval(const BatchNormShape& s, ConstFloatSpan x, ConstFloatSpan gamma, ConstFloatSpan beta,
                            double eps, ConstFloatSpan runningMean, ConstFloatSpan runningVar, FloatSpan y,
                            FloatSpan saveMean, FloatSpan saveInvStd, Stream stream = nullptr);

Status batchNormBackward(const BatchNormShape& s, ConstFloatSpan x, ConstFloatSpan dy, ConstFloatSpan gamma,
                         ConstFloatSpan saveMean, ConstFloatSpan saveInvStd, bool batchStats, FloatSpan dx,
                         FloatSpan dgamma, FloatSpan dbeta, Stream stream = nullptr);

}  // namespace atrous::cuda
