// AArch64 Advanced SIMD GEMM microkernel (8x12: 24 q-register accumulators, 2 for A, 3 for B, of the
// 32) and packing. Compiled on arm64 only (kernelsNeon); NEON is part of AArch64, so no flags.
#include <arm_neon.h>

#include "gemm_kernels.h"

namespace atrous::gemm {
namespace {

constexpr int MR = kNeonMr;
constexpr int NR = kNeonNr;
constexpr int NV = NR / 4;  // q vectors per row of the tile

}  // namespace

void gemmMicroNeon_8x12(int64_t kc, const float* a, const float* b, float alpha, float beta, float* c,
                        int64_t ldc) {
  float32x4_t acc[MR][NV];
  for (int i = 0; i < MR; ++i)
    for (int v = 0; v < NV; ++v) acc[i][v] = vdupq_n_f32(0.f);

  for (int64_t k = 0; k < kc; ++k) {
    // A's 8 values in two registers; each row's multiplier is a lane (fmla by element: no broadcast).
    const float32x4_t a0 = vld1q_f32(a), a1 = vld1q_f32(a + 4);
    float32x4_t bv[NV];
    for (int v = 0; v < NV; ++v) bv[v] = vld1q_f32(b + 4 * v);
    for (int v = 0; v < NV; ++v) {
      acc[0][v] = vfmaq_laneq_f32(acc[0][v], bv[v], a0, 0);
      acc[1][v] = vfmaq_laneq_f32(acc[1][v], bv[v], a0, 1);
      acc[2][v] = vfmaq_laneq_f32(acc[2][v], bv[v], a0, 2);
      acc[3][v] = vfmaq_laneq_f32(acc[3][v], bv[v], a0, 3);
      acc[4][v] = vfmaq_laneq_f32(acc[4][v], bv[v], a1, 0);
      acc[5][v] = vfmaq_laneq_f32(acc[5][v], bv[v], a1, 1);
      acc[6][v] = vfmaq_laneq_f32(acc[6][v], bv[v], a1, 2);
      acc[7][v] = vfmaq_laneq_f32(acc[7][v], bv[v], a1, 3);
    }
    a += MR;
    b += NR;
  }

  const float32x4_t alphaV = vdupq_n_f32(alpha), betaV = vdupq_n_f32(beta);
  const bool readC = beta != 0.f;
  for (int i = 0; i < MR; ++i) {
    float* row = c + i * ldc;
    for (int v = 0; v < NV; ++v) {
      float32x4_t r = vmulq_f32(acc[i][v], alphaV);
      if (readC) r = vfmaq_f32(r, betaV, vld1q_f32(row + 4 * v));
      vst1q_f32(row + 4 * v, r);
    }
  }
}

void packANeon(bool transA, const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t k0, int64_t kc,
               float* dst) {
  for (int64_t p = 0; p < mc; p += MR) {
    const int rows = static_cast<int>(mc - p < MR ? mc - p : MR);
    if (transA) {
      const float* src = A + k0 * lda + i0 + p;
      for (int64_t k = 0; k < kc; ++k) {
        const float* s = src + k * lda;
        float* d = dst + k * MR;
        if (rows == MR) {
          vst1q_f32(d, vld1q_f32(s));
          vst1q_f32(d + 4, vld1q_f32(s + 4));
        } else {
          for (int r = 0; r < rows; ++r) d[r] = s[r];
          for (int r = rows; r < MR; ++r) d[r] = 0.f;
        }
      }
    } else {
      const float* src = A + (i0 + p) * lda + k0;
      int64_t k = 0;
      // 4 x 4 blocks transposed in registers: rows r..r+3 of 4 k's become 4 k-rows of 4 values.
      for (; k + 4 <= kc; k += 4) {
        for (int r0 = 0; r0 < MR; r0 += 4) {
          float32x4_t q[4];
          for (int r = 0; r < 4; ++r)
            q[r] = r0 + r < rows ? vld1q_f32(src + (r0 + r) * lda + k) : vdupq_n_f32(0.f);
          const float32x4x2_t t01 = vtrnq_f32(q[0], q[1]), t23 = vtrnq_f32(q[2], q[3]);
          const float32x4_t k0v = vcombine_f32(vget_low_f32(t01.val[0]), vget_low_f32(t23.val[0]));
          const float32x4_t k1v = vcombine_f32(vget_low_f32(t01.val[1]), vget_low_f32(t23.val[1]));
          const float32x4_t k2v = vcombine_f32(vget_high_f32(t01.val[0]), vget_high_f32(t23.val[0]));
          const float32x4_t k3v = vcombine_f32(vget_high_f32(t01.val[1]), vget_high_f32(t23.val[1]));
          vst1q_f32(dst + (k + 0) * MR + r0, k0v);
          vst1q_f32(dst + (k + 1) * MR + r0, k1v);
          vst1q_f32(dst + (k + 2) * MR + r0, k2v);
          vst1q_f32(dst + (k + 3) * MR + r0, k3v);
        }
      }
      for (; k < kc; ++k) {
        for (int r = 0; r < rows; ++r) dst[k * MR + r] = src[r * lda + k];
        for (int r = rows; r < MR; ++r) dst[k * MR + r] = 0.f;
      }
    }
    dst += kc * MR;
  }
}

void packBNeon(bool transB, const float* B, int64_t ldb, int64_t k0, int64_t kc, int64_t j0, int64_t nc,
               float* dst) {
  for (int64_t p = 0; p < nc; p += NR) {
    const int cols = static_cast<int>(nc - p < NR ? nc - p : NR);
    if (!transB) {
      const float* src = B + k0 * ldb + j0 + p;
      for (int64_t k = 0; k < kc; ++k) {
        const float* s = src + k * ldb;
        float* d = dst + k * NR;
        if (cols == NR) {
          for (int v = 0; v < NV; ++v) vst1q_f32(d + 4 * v, vld1q_f32(s + 4 * v));
        } else {
          for (int c = 0; c < cols; ++c) d[c] = s[c];
          for (int c = cols; c < NR; ++c) d[c] = 0.f;
        }
      }
    } else {
      const float* src = B + (j0 + p) * ldb + k0;
      for (int64_t k = 0; k < kc; ++k) {
        for (int c = 0; c < cols; ++c) dst[k * NR + c] = src[c * ldb + k];
        for (int c = cols; c < NR; ++c) dst[k * NR + c] = 0.f;
      }
    }
    dst += kc * NR;
  }
}

}  // namespace atrous::gemm
