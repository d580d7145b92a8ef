// AVX2+FMA GEMM microkernel (6x16: 12 ymm accumulators, 2 for B, 1 broadcast) and packing.
// Compiled with -mavx2 -mfma: everything here is ISA-unique or file-local.
#include <immintrin.h>

#include "../portability.h"
#include "gemm_kernels.h"

namespace atrous::gemm {
namespace {

constexpr int MR = kAvx2Mr;
constexpr int NR = kAvx2Nr;
constexpr int NV = NR / 8;  // ymm vectors per row of the tile

// Lane masks for the first n (0..8) floats of a ymm.
inline __m256i firstLanes(int n) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), idx);
}

}  // namespace

void gemmMicroAvx2_6x16(int64_t kc, const float* a, const float* b, float alpha, float beta, float* c,
                        int64_t ldc) {
  __m256 acc[MR][NV];
  ATROUS_UNROLL(8)
  for (int i = 0; i < MR; ++i)
    ATROUS_UNROLL(2)
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_setzero_ps();

  for (int64_t k = 0; k < kc; ++k) {
    _mm_prefetch(reinterpret_cast<const char*>(a + 8 * MR), _MM_HINT_T0);
    __m256 bv[NV];
    ATROUS_UNROLL(2)
    for (int v = 0; v < NV; ++v) bv[v] = _mm256_load_ps(b + 8 * v);
    ATROUS_UNROLL(8)
    for (int i = 0; i < MR; ++i) {
      __m256 ai = _mm256_broadcast_ss(a + i);
      ATROUS_UNROLL(2)
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_fmadd_ps(ai, bv[v], acc[i][v]);
    }
    a += MR;
    b += NR;
  }

  const __m256 alphaV = _mm256_set1_ps(alpha), betaV = _mm256_set1_ps(beta);
  const bool readC = beta != 0.f;
  ATROUS_UNROLL(8)
  for (int i = 0; i < MR; ++i) {
    float* row = c + i * ldc;
    ATROUS_UNROLL(2)
    for (int v = 0; v < NV; ++v) {
      __m256 r = _mm256_mul_ps(acc[i][v], alphaV);
      if (readC) r = _mm256_fmadd_ps(betaV, _mm256_loadu_ps(row + 8 * v), r);
      _mm256_storeu_ps(row + 8 * v, r);
    }
  }
}

void packAAvx2(bool transA, const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t k0, int64_t kc,
               float* dst) {
  for (int64_t p = 0; p < mc; p += MR) {
    const int rows = static_cast<int>(mc - p < MR ? mc - p : MR);
    if (transA) {
      const float* src = A + k0 * lda + i0 + p;
      for (int64_t k = 0; k < kc; ++k) {
        for (int r = 0; r < rows; ++r) dst[k * MR + r] = src[k * lda + r];
        for (int r = rows; r < MR; ++r) dst[k * MR + r] = 0.f;
      }
    } else {
      const float* src = A + (i0 + p) * lda + k0;
      int64_t k = 0;
      for (; k + 8 <= kc; k += 8) {
        alignas(32) float tile[MR][8];
        for (int r = 0; r < rows; ++r) _mm256_store_ps(tile[r], _mm256_loadu_ps(src + r * lda + k));
        for (int r = rows; r < MR; ++r) _mm256_store_ps(tile[r], _mm256_setzero_ps());
        for (int kk = 0; kk < 8; ++kk)
          ATROUS_UNROLL(8)
          for (int r = 0; r < MR; ++r) dst[(k + kk) * MR + r] = tile[r][kk];
      }
      for (; k < kc; ++k) {
        for (int r = 0; r < rows; ++r) dst[k * MR + r] = src[r * lda + k];
        for (int r = rows; r < MR; ++r) dst[k * MR + r] = 0.f;
      }
    }
    dst += kc * MR;
  }
}

void packBAvx2(bool transB, const float* B, int64_t ldb, int64_t k0, int64_t kc, int64_t j0, int64_t nc,
               float* dst) {
  for (int64_t p = 0; p < nc; p += NR) {
    const int cols = static_cast<int>(nc - p < NR ? nc - p : NR);
    if (!transB) {
      const float* src = B + k0 * ldb + j0 + p;
      if (cols == NR) {
        for (int64_t k = 0; k < kc; ++k)
          ATROUS_UNROLL(2)
          for (int v = 0; v < NV; ++v) _mm256_storeu_ps(dst + k * NR + 8 * v, _mm256_loadu_ps(src + k * ldb + 8 * v));
      } else {
        for (int64_t k = 0; k < kc; ++k)
          for (int v = 0; v < NV; ++v)
            _mm256_storeu_ps(dst + k * NR + 8 * v, _mm256_maskload_ps(src + k * ldb + 8 * v, firstLanes(cols - 8 * v)));
      }
    } else {
      const float* src = B + (j0 + p) * ldb + k0;
      int64_t k = 0;
      for (; k + 8 <= kc; k += 8) {
        alignas(32) float tile[NR][8];
        for (int c = 0; c < cols; ++c) _mm256_store_ps(tile[c], _mm256_loadu_ps(src + c * ldb + k));
        for (int c = cols; c < NR; ++c) _mm256_store_ps(tile[c], _mm256_setzero_ps());
        for (int kk = 0; kk < 8; ++kk)
          ATROUS_UNROLL(16)
          for (int c = 0; c < NR; ++c) dst[(k + kk) * NR + c] = tile[c][kk];
      }
      for (; k < kc; ++k) {
        for (int c = 0; c < cols; ++c) dst[k * NR + c] = src[c * ldb + k];
        for (int c = cols; c < NR; ++c) dst[k * NR + c] = 0.f;
      }
    }
    dst += kc * NR;
  }
}

}  // namespace atrous::gemm
