// Embedding lookup and its weight gradient. The gradient accumulates repeated indices in index
// order on every thread count (each thread owns a range of embedding columns, never a row): the same
// bits run after run, with no atomics.
#pragma once
#include <cstdint>

#include "../status.h"
#include "index_span.h"

namespace atrous {

// out[i, :] = weight[indices[i], :] for i < count; weight is vocab × dim. An index outside
// [0, vocab) fails, naming its position, before anything is written.
Status embeddingForward(ConstInt32Span indices, ConstFloatSpan weight, int64_t vocab, int64_t dim, FloatSpan out);

// gradWeight (vocab × dim, overwritten) = Σ_i e_{indices[i]} ⊗ gradOut[i, :], except row paddingIdx,
// which stays zero (paddingIdx < 0: no padding row).
Status embeddingBackward(ConstInt32Span indices, ConstFloatSpan gradOut, int64_t vocab, int64_t dim, int64_t paddingIdx,
                         FloatSpan gradWeight);

}  // namespace atrous
