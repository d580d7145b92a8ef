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

// The shifted exponentials of a size × width tile whose rows lie stride apart (width columns of an
// outer block): e[s·width + i] = exp(x[s·stride + i] − maxes[i]) in float64, maxes[i] the column's max
// (0 when infinite, so inf − inf cannot invent a NaN), totals[i] = Σ_s e in row order. Then
// logsumexp = maxes + log(totals) and softmax = e · (1 / totals): one exp per element, the CUDA
// cross-entropy's formula (cuda/loss_rows.h). crossEntropy shares it. Columns (width > 1) take the
// vectorised exp of vector_math.h (exp_rows.h, per ISA; within 1 ulp of a double); one row (N×C
// logits) keeps std::exp, whose values the CUDA row kernel's tests hold the CPU to.
void expShiftedColumns(const float* x, int64_t size, int64_t width, int64_t stride, double* e, double* maxes,
                       double* totals);
// Columns per tile for expShiftedColumns over size rows: its float64 scratch (size × width) stays
// within L2, width a multiple of 16 (whole cache lines of x) unless inner is smaller.
int64_t columnTileWidth(int64_t size, int64_t inner);

}  // namespace atrous
