// Single-precision GEMM on the device, row-major: C = alpha * op(A) * op(B) + beta * C.
// One tiled kernel: 128x128 blocks of C, 256 threads each computing 8x8 (two 4x4 quadrants), K in
// steps of 8 through double-buffered shared memory, 16-byte loads and stores where the operand is
// aligned (base 16-byte aligned, leading dimension a multiple of 4), scalar loads at the edges.
// With beta == 0, C is never read (it may hold NaN). Pointers are device pointers.
// A TF32 tensor-core kernel (sgemm_tf32.cu) replaces it for every call while setSgemmTf32(true).
#pragma once
#include <cstdint>

#include "../status.h"
#include "cuda_status.h"

namespace atrous::cuda {

// Checked entry: the same size, leading-dimension and buffer-length checks as the CPU sgemm.
Status sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, ConstFloatSpan A,
             int64_t lda, ConstFloatSpan B, int64_t ldb, float beta, FloatSpan C, int64_t ldc,
             Stream stream = nullptr);

// Where GEMM z of a batch finds its operands: with (outer, inner) = (z / inner, z % inner), each
// operand starts at base + outer * xOuter + inner * xInner (element strides). A convolution's
// (image, group) or (K slice, group) pairs are such batches.
struct GemmBatch {
  int64_t count = 1, inner = 1;
  int64_t aOuter = 0, aInner = 0, bOuter = 0, bInner = 0, cOuter = 0, cInner = 0;
};

// Unchecked core for callers that validated their shapes (the convolutions). Follows sgemmTf32().
Status sgemmBatched(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                    int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
                    const GemmBatch& batch, Stream stream);

// TF32 tensor cores for every device SGEMM, the convolutions' included: a process-wide switch, off
// by default (on at start when the environment has ATROUS_CUDA_TF32=1). The trade: A and B are
// rounded to TF32, a 10-bit mantissa (unit roundoff 2^-11), so results carry relative errors around
// 1e-3 (about 4e-4 in relative L2 on random data) instead of FP32's ~1e-6, for several times the
// throughput on sm_80+. Sums stay in float. Takes effect for calls made after it; not per stream.
void setSgemmTf32(bool on);
bool sgemmTf32();

}  // namespace atrous::cuda
