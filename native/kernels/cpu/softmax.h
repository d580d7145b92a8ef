// softmax and log-softmax along one dim of a contiguous outer × size × inner block (torch.softmax /
// log_softmax over that dim), forward and backward. Each position's logsumexp is taken in float64
// with its maximum subtracted first, so large logits cannot overflow; the block is read along
// contiguous inner positions.
#pragma once
#include <cstdint>

#include "../status.h"

namespace atrous {

// out = softmax(x) (log: log_softmax(x)) along the size dim.
Status softmaxForward(ConstFloatSpan x, int64_t outer, int64_t size, int64_t inner, bool log, FloatSpan out);
// From the forward's output y: softmax dx = y·(dy − Σ dy·y); log-softmax dx = dy − exp(y)·Σ dy.
Status softmaxBackward(ConstFloatSpan y, ConstFloatSpan dy, int64_t outer, int64_t size, int64_t inner, bool log,
                       FloatSpan dx);

// Checks outer, inner >= 0 and size >= 1 with a product < 2^31 (the shape of one along-dim op).
Status validateAlongDim(const char* fn, int64_t outer, int64_t size, int64_t inner);

// lse[i] = log Σ_s exp(x[s·inner + i]) for one outer block, i < inner (the max subtracted first; a
// row whose max is infinite is not shifted, so inf − inf cannot invent a NaN). crossEntropy shares it.
void logSumExpBlock(const float* x, int64_t size, int64_t inner, double* lse);

}  // namespace atrous
