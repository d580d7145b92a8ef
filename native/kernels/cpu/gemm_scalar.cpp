// Portable GEMM microkernel (4x4 in plain C++) and packing: the fallback for CPUs without AVX2
// and the baseline the vector paths are tested beside.
#include "gemm_kernels.h"

namespace atrous::gemm {
namespace {

constexpr int MR = kScalarMr;
constexpr int NR = kScalarNr;

}  // namespace

void gemmMicroScalar_4x4(int64_t kc, const float* a, const float* b, float alpha, float beta, float* c,
                         int64_t ldc) {
  float acc[MR][NR] = {};
  for (int64_t k = 0; k < kc; ++k) {
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < NR; ++j) acc[i][j] += a[i] * b[j];
    a += MR;
    b += NR;
  }
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) {
      float* cij = c + i * ldc + j;
      *cij = beta == 0.f ? alpha * acc[i][j] : alpha * acc[i][j] + beta * *cij;
    }
}

void packAScalar(bool transA, const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t k0, int64_t kc,
                 float* dst) {
  for (int64_t p = 0; p < mc; p += MR) {
    const int rows = static_cast<int>(mc - p < MR ? mc - p : MR);
    for (int64_t k = 0; k < kc; ++k) {
      for (int r = 0; r < rows; ++r) {
        const int64_t i = i0 + p + r, kk = k0 + k;
        dst[k * MR + r] = transA ? A[kk * lda + i] : A[i * lda + kk];
      }
      for (int r = rows; r < MR; ++r) dst[k * MR + r] = 0.f;
    }
    dst += kc * MR;
  }
}

void packBScalar(bool transB, const float* B, int64_t ldb, int64_t k0, int64_t kc, int64_t j0, int64_t nc,
                 float* dst) {
  for (int64_t p = 0; p < nc; p += NR) {
    const int cols = static_cast<int>(nc - p < NR ? nc - p : NR);
    for (int64_t k = 0; k < kc; ++k) {
      for (int c = 0; c < cols; ++c) {
        const int64_t j = j0 + p + c, kk = k0 + k;
        dst[k * NR + c] = transB ? B[j * ldb + kk] : B[kk * ldb + j];
      }
      for (int c = cols; c < NR; ++c) dst[k * NR + c] = 0.f;
    }
    dst += kc * NR;
  }
}

}  // namespace atrous::gemm
