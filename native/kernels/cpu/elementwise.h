// Elementwise float32 kernels for the tensor ops and the autograd bookkeeping (gradient sums, scaling,
// bias adds), and float64 reductions. out may be an input itself (in place), never a shifted view of
// one. Every length is checked; large arrays are split over the thread pool.
#pragma once
#include <cstdint>

#include "../status.h"

namespace atrous {

Status add(ConstFloatSpan a, ConstFloatSpan b, FloatSpan out);  // out = a + b
Status sub(ConstFloatSpan a, ConstFloatSpan b, FloatSpan out);  // out = a - b
Status mul(ConstFloatSpan a, ConstFloatSpan b, FloatSpan out);  // out = a * b
// out = a * alpha + b * beta, in float32.
Status axpby(ConstFloatSpan a, float alpha, ConstFloatSpan b, float beta, FloatSpan out);
// out = a * alpha + beta: axpby without b (scaling, adding a scalar).
Status scaleShift(ConstFloatSpan a, float alpha, float beta, FloatSpan out);
// out[i] = a[i] + bias[(i / inner) % channels]; a.size must be a multiple of channels * inner.
Status addChannelBias(ConstFloatSpan a, ConstFloatSpan bias, int64_t channels, int64_t inner, FloatSpan out);
// Its checks (shared with the CUDA kernel): channels, inner >= 1, the lengths, out a or disjoint from a and bias.
Status validateAddChannelBias(const char* fn, ConstFloatSpan a, ConstFloatSpan bias, int64_t channels, int64_t inner,
                              FloatSpan out);
// out = max(x, 0), NaN staying NaN as in PyTorch.
Status relu(ConstFloatSpan x, FloatSpan out);
// dx = x <= 0 ? 0 : dy (PyTorch's threshold_backward: a NaN x passes the gradient).
Status reluBackward(ConstFloatSpan x, ConstFloatSpan dy, FloatSpan dx);
// out = tanh(x); from its output y, dx = dy·(1 − y²).
Status tanhForward(ConstFloatSpan x, FloatSpan out);
Status tanhBackward(ConstFloatSpan y, ConstFloatSpan dy, FloatSpan dx);
// out = 1 / (1 + exp(−x)), without overflow for large |x|; from its output y, dx = dy·y·(1 − y).
Status sigmoidForward(ConstFloatSpan x, FloatSpan out);
Status sigmoidBackward(ConstFloatSpan y, ConstFloatSpan dy, FloatSpan dx);
// WaveNet's gated activation over outer blocks of 2·half values [a | b]: z = tanh(a)·σ(b) (outer × half).
// Its backward from x itself (tanh and σ recomputed): da = dz·σ(b)·(1 − tanh(a)²), db = dz·tanh(a)·σ(b)·(1 − σ(b)).
Status gatedTanhForward(ConstFloatSpan x, int64_t outer, int64_t half, FloatSpan out);
Status gatedTanhBackward(ConstFloatSpan x, ConstFloatSpan dz, int64_t outer, int64_t half, FloatSpan dx);
Status fill(FloatSpan out, float value);
// Sums in float64 over fixed blocks, added in order: the result is the same for any thread count.
Status sum(ConstFloatSpan x, double* result);
Status sumSquares(ConstFloatSpan x, double* result);
// Σ x[0..n) in float64 with 8 independent partial sums (vectorised; a fixed grouping), one thread.
double blockSum(const float* x, int64_t n);

}  // namespace atrous
