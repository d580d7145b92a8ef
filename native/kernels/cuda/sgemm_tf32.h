// The TF32 tensor-core core of the device SGEMM (sgemm_tf32.cu). Callers use sgemm or sgemmBatched,
// which route here while sgemmTf32() is on; the tests reach it the same way.
#pragma once
#include <cstdint>

#include "sgemm.h"

namespace atrous::cuda {

// sgemmBatched's contract, on tensor cores: A and B rounded to TF32 (10-bit mantissa, round to
// nearest, ties away), products and sums in float. Unchecked, like sgemmBatched.
Status sgemmTf32Batched(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                        int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
                        const GemmBatch& batch, Stream stream);

}  // namespace atrous::cuda
