// The index of the largest value along one dim of a contiguous outer × size × inner block (torch.argmax
// over that dim; rows × cols logits are inner = 1): the first one on ties, as torch.argmax. A NaN
// wins: the index of the first NaN.
#pragma once
#include <cstdint>

#include "../status.h"
#include "index_span.h"

namespace atrous {

// out[o·inner + i] = argmax over s of x[(o·size + s)·inner + i].
Status argmaxAlong(ConstFloatSpan x, int64_t outer, int64_t size, int64_t inner, Int32Span out);

// argmaxAlong with inner = 1: the predicted class of each row of logits.
Status argmaxRows(ConstFloatSpan x, int64_t rows, int64_t cols, int32_t* out, long long outSize);
// Its checks of the shape and the lengths (shared with the CUDA kernel).
Status validateArgmaxRows(const char* fn, ConstFloatSpan x, int64_t rows, int64_t cols, long long outSize);

}  // namespace atrous
