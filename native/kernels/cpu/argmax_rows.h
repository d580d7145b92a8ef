// The index of the largest value in each row of a rows × cols matrix (the predicted class of each
// row of logits): the first one on ties, as torch.argmax. A NaN row gives the index of its first NaN.
#pragma once
#include <cstdint>

#include "../status.h"

namespace atrous {

Status argmaxRows(ConstFloatSpan x, int64_t rows, int64_t cols, int32_t* out, long long outSize);
// Its checks of the shape and the lengths (shared with the CUDA kernel).
Status validateArgmaxRows(const char* fn, ConstFloatSpan x, int64_t rows, int64_t cols, long long outSize);

}  // namespace atrous
