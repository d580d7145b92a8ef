// out[b] = x[b]ᵀ for a batch of rows × cols matrices on the device, mirroring
// native/kernels/cpu/transpose.h (the same checks); exact, as it only moves data.
#pragma once
#include <cstdint>

#include "../status.h"
#include "cuda_status.h"

namespace atrous::cuda {

Status transposeBatched(ConstFloatSpan x, int64_t batch, int64_t rows, int64_t cols, FloatSpan out,
                        Stream stream = nullptr);

}  // namespace atrous::cuda
