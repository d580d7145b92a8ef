// out[b] = x[b]ᵀ for a batch of rows × cols matrices (row-major): the layout change behind
// channelsLast (N×C×L → N×L×C) and its gradient. Pure data movement, so results are exact.
#pragma once
#include <cstdint>

#include "../status.h"

namespace atrous {

Status transposeBatched(ConstFloatSpan x, int64_t batch, int64_t rows, int64_t cols, FloatSpan out);
// Its checks (sizes >= 1, product < 2^31, lengths, out disjoint from x), shared with the CUDA kernel.
Status validateTransposeBatched(const char* fn, ConstFloatSpan x, int64_t batch, int64_t rows, int64_t cols,
                                FloatSpan out);

}  // namespace atrous
