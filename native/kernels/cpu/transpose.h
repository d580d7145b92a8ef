// Layout changes, pure data movement (results are exact, and int32 bytes pass through unchanged):
// permute (any reordering of up to kMaxPermuteRank dims, behind Tensor.permute/transpose), the
// batched transpose behind channelsLast (N×C×L → N×L×C) as its special case, and copyStridedRows
// (the block copies of cat and of its gradient's split).
#pragma once
#include <cstdint>

#include "../status.h"

namespace atrous {

constexpr int kMaxPermuteRank = 16;

// out (contiguous, shape[perm[0]] × … × shape[perm[rank-1]]) = x (contiguous, shape) with dims
// reordered: out dim i is x dim perm[i]. rank in [0, kMaxPermuteRank]; dims >= 0; perm a permutation.
Status permute(ConstFloatSpan x, const int64_t* shape, const int64_t* perm, int rank, FloatSpan out);

// out[b] = x[b]ᵀ for a batch of rows × cols matrices (row-major): permute with perm [0, 2, 1].
Status transposeBatched(ConstFloatSpan x, int64_t batch, int64_t rows, int64_t cols, FloatSpan out);
// Its checks (sizes >= 1, product < 2^31, lengths, out disjoint from x), shared with the CUDA kernel.
Status validateTransposeBatched(const char* fn, ConstFloatSpan x, int64_t batch, int64_t rows, int64_t cols,
                                FloatSpan out);

// dst[dstOffset + r·dstStride + c] = src[srcOffset + r·srcStride + c] for r < rows, c < cols: every
// index checked to lie inside its span, and dst disjoint from src.
Status copyStridedRows(ConstFloatSpan src, int64_t srcOffset, int64_t srcStride, FloatSpan dst, int64_t dstOffset,
                       int64_t dstStride, int64_t rows, int64_t cols);

}  // namespace atrous
