// AVX-512 GEMM microkernel (8x48: 24 zmm accumulators, 3 for B, broadcasts folded into the FMAs; 8 rows
// divide the channel counts convolutions use, where 14 rows wasted up to a quarter of a tile)
// and packing. Compiled with -mavx512f...: everything here is ISA-unique or file-local.
#include <immintrin.h>

#include "../portability.h"
#include "gemm_kernels.h"
#include "transpose_avx512.h"

namespace atrous::gemm {
namespace {

constexpr int MR = kAvx512Mr;
constexpr int NR = kAvx512Nr;
constexpr int NV = NR / 16;  // zmm vectors per row of the tile
constexpr __mmask16 kPanelRowsMask = static_cast<__mmask16>((1u << MR) - 1);
static_assert(MR <= 16, "a transposed A panel row is copied with one masked zmm");

// Writes alpha*acc (+ beta*C) (+ the row's bias) for one row of the tile.
template <bool kBias>
inline void storeRow(float* c, const __m512* acc, __m512 alpha, __m512 beta, bool readC, __m512 bias) {
  ATROUS_UNROLL(4)
  for (int v = 0; v < NV; ++v) {
    __m512 r = kBias ? _mm512_fmadd_ps(acc[v], alpha, bias) : _mm512_mul_ps(acc[v], alpha);
    if (readC) r = _mm512_fmadd_ps(beta, _mm512_loadu_ps(c + 16 * v), r);
    _mm512_storeu_ps(c + 16 * v, r);
  }
}

constexpr int64_t kPrefetchBSteps = 16;

// One k step of the tile: acc += a[0..MR) (x) b[0..NR).
inline void rankOneUpdate(const float* a, const float* b, __m512 (&acc)[MR][NV]) {
  ATROUS_UNROLL(4)
  for (int v = 0; v < NV; ++v) _mm_prefetch(reinterpret_cast<const char*>(b + kPrefetchBSteps * NR + 16 * v), _MM_HINT_T0);
  __m512 bv[NV];
  ATROUS_UNROLL(4)
  for (int v = 0; v < NV; ++v) bv[v] = _mm512_load_ps(b + 16 * v);
  ATROUS_UNROLL(16)
  for (int i = 0; i < MR; ++i) {
    __m512 ai = _mm512_set1_ps(a[i]);
    ATROUS_UNROLL(4)
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(ai, bv[v], acc[i][v]);
  }
}

// k steps left when the C tile is prefetched: late enough that the streamed panels do not evict it
// from L1, early enough to hide a miss to L3 or memory.
constexpr int64_t kPrefetchCSteps = 32;

template <bool kBias>
void microTile(int64_t kc, const float* a, const float* b, float alpha, float beta, float* c, int64_t ldc,
               const float* rowBias) {
  __m512 acc[MR][NV];
  ATROUS_UNROLL(16)
  for (int i = 0; i < MR; ++i)
    ATROUS_UNROLL(4)
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_ps();

  const int64_t kMain = kc > kPrefetchCSteps ? kc - kPrefetchCSteps : 0;
  int64_t k = 0;
  for (; k < kMain; ++k, a += MR, b += NR) {
    // The A panel line 8 steps ahead.
    _mm_prefetch(reinterpret_cast<const char*>(a + 8 * MR), _MM_HINT_T0);
    rankOneUpdate(a, b, acc);
  }
  if (beta != 0.f) {
    ATROUS_UNROLL(16)
    for (int i = 0; i < MR; ++i)
      ATROUS_UNROLL(4)
      for (int v = 0; v < NV; ++v) _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 16 * v), _MM_HINT_T0);
  }
  for (; k < kc; ++k, a += MR, b += NR) {
    _mm_prefetch(reinterpret_cast<const char*>(a + 8 * MR), _MM_HINT_T0);
    rankOneUpdate(a, b, acc);
  }

  const __m512 alphaV = _mm512_set1_ps(alpha), betaV = _mm512_set1_ps(beta);
  const bool readC = beta != 0.f;
  ATROUS_UNROLL(16)
  for (int i = 0; i < MR; ++i)
    storeRow<kBias>(c + i * ldc, acc[i], alphaV, betaV, readC, kBias ? _mm512_set1_ps(rowBias[i]) : alphaV);
}

}  // namespace

void gemmMicroAvx512_8x48(int64_t kc, const float* a, const float* b, float alpha, float beta, float* c,
                           int64_t ldc) {
  microTile<false>(kc, a, b, alpha, beta, c, ldc, nullptr);
}

void gemmMicroBiasAvx512_8x48(int64_t kc, const float* a, const float* b, float alpha, float beta, float* c,
                               int64_t ldc, const float* rowBias) {
  microTile<true>(kc, a, b, alpha, beta, c, ldc, rowBias);
}

void packAAvx512(bool transA, const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t k0, int64_t kc,
                 float* dst) {
  for (int64_t p = 0; p < mc; p += MR) {
    const int rows = static_cast<int>(mc - p < MR ? mc - p : MR);
    if (transA) {
      // op(A) rows are contiguous in memory: one masked copy of `rows` floats per k.
      const __mmask16 m = static_cast<__mmask16>((1u << rows) - 1);
      const float* src = A + k0 * lda + i0 + p;
      for (int64_t k = 0; k < kc; ++k)
        _mm512_mask_storeu_ps(dst + k * MR, kPanelRowsMask, _mm512_maskz_loadu_ps(m, src + k * lda));
    } else {
      const float* src = A + (i0 + p) * lda + k0;
      int64_t k = 0;
      // 16 k-steps at a time: load 16 floats of each row, scatter them column-wise into the panel.
      for (; k + 16 <= kc; k += 16) {
        alignas(64) float tile[MR][16];
        for (int r = 0; r < rows; ++r) _mm512_store_ps(tile[r], _mm512_loadu_ps(src + r * lda + k));
        for (int r = rows; r < MR; ++r) _mm512_store_ps(tile[r], _mm512_setzero_ps());
        for (int kk = 0; kk < 16; ++kk)
          ATROUS_UNROLL(16)
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

void packBAvx512(bool transB, const float* B, int64_t ldb, int64_t k0, int64_t kc, int64_t j0, int64_t nc,
                 float* dst) {
  for (int64_t p = 0; p < nc; p += NR) {
    const int cols = static_cast<int>(nc - p < NR ? nc - p : NR);
    if (!transB) {
      const float* src = B + k0 * ldb + j0 + p;
      if (cols == NR) {
        for (int64_t k = 0; k < kc; ++k)
          ATROUS_UNROLL(4)
          for (int v = 0; v < NV; ++v) _mm512_storeu_ps(dst + k * NR + 16 * v, _mm512_loadu_ps(src + k * ldb + 16 * v));
      } else {
        for (int64_t k = 0; k < kc; ++k)
          for (int v = 0; v < NV; ++v) {
            const int left = cols - 16 * v;
            const __mmask16 m = left >= 16 ? 0xffff : left <= 0 ? 0 : static_cast<__mmask16>((1u << left) - 1);
            _mm512_storeu_ps(dst + k * NR + 16 * v, _mm512_maskz_loadu_ps(m, src + k * ldb + 16 * v));
          }
      }
    } else {
      // op(B)(k, j) = B[j*ldb + k]: each panel column is a contiguous run of B; 16 k at a time.
      const float* src = B + (j0 + p) * ldb + k0;
      int64_t k = 0;
      for (; k + 16 <= kc; k += 16) {
        for (int half = 0; half < NV; ++half) {  // 16 panel columns at a time, transposed in registers
          __m512 r[16];
          ATROUS_UNROLL(16)
          for (int c = 0; c < 16; ++c)
            r[c] = 16 * half + c < cols ? _mm512_loadu_ps(src + (16 * half + c) * ldb + k) : _mm512_setzero_ps();
          transpose16x16(r);
          ATROUS_UNROLL(16)
          for (int kk = 0; kk < 16; ++kk) _mm512_storeu_ps(dst + (k + kk) * NR + 16 * half, r[kk]);
        }
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
