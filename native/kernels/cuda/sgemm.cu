#include "sgemm.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#include "../checked_math.h"
#include "../gemm_checks.h"
#include "launch.h"
#include "sgemm_launch.h"
#include "sgemm_tf32.h"

namespace atrous::cuda {
namespace {

constexpr int kBlockM = 128, kBlockN = 128, kBlockK = 8;
constexpr int kGemmThreads = 256;           // 16 x 16, each 8 x 8 outputs
constexpr int kSmemStride = kBlockM + 4;    // padding: the transposing stores hit distinct banks
static_assert(kBlockM == kGemmTile && kBlockN == kGemmTile, "the shared launch's tile");

// Loads this thread's 4 elements of a 128 x 8 tile of an operand whose contiguous index runs
// along the 128-long side (A transposed, B plain): row k = t / 32 of the tile, elements
// 4 * (t % 32) .. +3 along it. Stored k-major into smem as one float4.
__device__ __forceinline__ float4 loadAlongMN(const float* p, int64_t ld, int64_t mn0, int64_t extentMN,
                                              int64_t k0, int64_t extentK, bool vec, int t) {
  const int k = t >> 5, mn = (t & 31) * 4;
  const int64_t gk = k0 + k, gmn = mn0 + mn;
  if (gk >= extentK) return make_float4(0.f, 0.f, 0.f, 0.f);
  return loadFour(p + gk * ld, gmn, extentMN, vec);
}

// Same for an operand whose contiguous index runs along k (A plain, B transposed): line
// mn = t / 2 of the tile, k elements 4 * (t % 2) .. +3. Stored transposed, one float per k row.
__device__ __forceinline__ float4 loadAlongK(const float* p, int64_t ld, int64_t mn0, int64_t extentMN,
                                             int64_t k0, int64_t extentK, bool vec, int t) {
  const int mn = t >> 1, k = (t & 1) * 4;
  const int64_t gmn = mn0 + mn, gk = k0 + k;
  if (gmn >= extentMN) return make_float4(0.f, 0.f, 0.f, 0.f);
  return loadFour(p + gmn * ld, gk, extentK, vec);
}

__device__ __forceinline__ void storeAlongMN(float (*s)[kSmemStride], float4 v, int t) {
  *reinterpret_cast<float4*>(&s[t >> 5][(t & 31) * 4]) = v;
}

__device__ __forceinline__ void storeAlongK(float (*s)[kSmemStride], float4 v, int t) {
  const int mn = t >> 1, k = (t & 1) * 4;
  s[k + 0][mn] = v.x;
  s[k + 1][mn] = v.y;
  s[k + 2][mn] = v.z;
  s[k + 3][mn] = v.w;
}

template <bool TransA, bool TransB>
__global__ void __launch_bounds__(kGemmThreads, 2) sgemmTiled(GemmParams p) {
  __shared__ __align__(16) float As[2][kBlockK][kSmemStride];
  __shared__ __align__(16) float Bs[2][kBlockK][kSmemStride];

  const int64_t z = p.zBase + blockIdx.z;
  const int64_t outer = z / p.batch.inner, inner = z % p.batch.inner;
  const float* A = p.A + outer * p.batch.aOuter + inner * p.batch.aInner;
  const float* B = p.B + outer * p.batch.bOuter + inner * p.batch.bInner;
  float* C = p.C + outer * p.batch.cOuter + inner * p.batch.cInner;

  const int64_t m0 = (blockIdx.x / p.tilesN) * kBlockM, n0 = (blockIdx.x % p.tilesN) * kBlockN;
  const int t = threadIdx.x, tx = t & 15, ty = t >> 4;

  // A (op(A) = M x K): plain is stored M x K (contiguous along k), transposed K x M.
  auto loadA = [&](int64_t k0) {
    return TransA ? loadAlongMN(A, p.lda, m0, p.M, k0, p.K, p.vecA, t)
                  : loadAlongK(A, p.lda, m0, p.M, k0, p.K, p.vecA, t);
  };
  // B (op(B) = K x N): plain is stored K x N (contiguous along n), transposed N x K.
  auto loadB = [&](int64_t k0) {
    return TransB ? loadAlongK(B, p.ldb, n0, p.N, k0, p.K, p.vecB, t)
                  : loadAlongMN(B, p.ldb, n0, p.N, k0, p.K, p.vecB, t);
  };
  auto storeA = [&](int buf, float4 v) { TransA ? storeAlongMN(As[buf], v, t) : storeAlongK(As[buf], v, t); };
  auto storeB = [&](int buf, float4 v) { TransB ? storeAlongK(Bs[buf], v, t) : storeAlongMN(Bs[buf], v, t); };

  float acc[8][8];
#pragma unroll
  for (int i = 0; i < 8; ++i)
#pragma unroll
    for (int j = 0; j < 8; ++j) acc[i][j] = 0.f;

  const int64_t steps = (p.K + kBlockK - 1) / kBlockK;
  if (steps > 0) {
    storeA(0, loadA(0));
    storeB(0, loadB(0));
  }
  __syncthreads();
  for (int64_t s = 0; s < steps; ++s) {
    const int cur = static_cast<int>(s & 1);
    const bool more = s + 1 < steps;
    float4 nextA = make_float4(0.f, 0.f, 0.f, 0.f), nextB = nextA;
    if (more) {  // the next tile's global loads are in flight while this one is multiplied
      nextA = loadA((s + 1) * kBlockK);
      nextB = loadB((s + 1) * kBlockK);
    }
#pragma unroll
    for (int k = 0; k < kBlockK; ++k) {
      const float4 a0 = *reinterpret_cast<const float4*>(&As[cur][k][ty * 4]);
      const float4 a1 = *reinterpret_cast<const float4*>(&As[cur][k][64 + ty * 4]);
      const float4 b0 = *reinterpret_cast<const float4*>(&Bs[cur][k][tx * 4]);
      const float4 b1 = *reinterpret_cast<const float4*>(&Bs[cur][k][64 + tx * 4]);
      const float a[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
      const float b[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
      for (int i = 0; i < 8; ++i)
#pragma unroll
        for (int j = 0; j < 8; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    if (more) {  // the other buffer was last read before the previous barrier
      storeA(cur ^ 1, nextA);
      storeB(cur ^ 1, nextB);
    }
    __syncthreads();
  }

  // Rows ty*4+i and 64+ty*4+i, columns tx*4+j and 64+tx*4+j of the block.
#pragma unroll
  for (int i = 0; i < 8; ++i) {
    const int64_t row = m0 + (i < 4 ? ty * 4 + i : 64 + ty * 4 + (i - 4));
    if (row >= p.M) continue;
    float* crow = C + row * p.ldc;
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int64_t col = n0 + h * 64 + tx * 4;
      float v[4];
#pragma unroll
      for (int j = 0; j < 4; ++j) v[j] = p.alpha * acc[i][h * 4 + j];
      if (p.vecC && col + 3 < p.N) {
        float4* dst = reinterpret_cast<float4*>(crow + col);
        if (p.beta != 0.f) {
          const float4 old = *dst;
          v[0] += p.beta * old.x;
          v[1] += p.beta * old.y;
          v[2] += p.beta * old.z;
          v[3] += p.beta * old.w;
        }
        *dst = make_float4(v[0], v[1], v[2], v[3]);
      } else {
#pragma unroll
        for (int j = 0; j < 4; ++j) {
          if (col + j >= p.N) break;
          crow[col + j] = p.beta != 0.f ? v[j] + p.beta * crow[col + j] : v[j];
        }
      }
    }
  }
}

std::atomic<bool>& tf32Setting() {
  static std::atomic<bool> on{[] {
    const char* v = std::getenv("ATROUS_CUDA_TF32");
    return v != nullptr && std::strcmp(v, "1") == 0;
  }()};
  return on;
}

}  // namespace

void setSgemmTf32(bool on) { tf32Setting().store(on); }
bool sgemmTf32() { return tf32Setting().load(); }

Status sgemmBatched(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                    int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
                    const GemmBatch& batch, Stream stream) {
  if (sgemmTf32()) return sgemmTf32Batched(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, batch, stream);
  static const GemmKernel kernels[2][2] = {{sgemmTiled<false, false>, sgemmTiled<false, true>},
                                           {sgemmTiled<true, false>, sgemmTiled<true, true>}};
  return launchGemmTiles(kernels, kGemmThreads, "sgemmTiled", transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C,
                         ldc, batch, stream);
}

Status sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, ConstFloatSpan A, int64_t lda,
             ConstFloatSpan B, int64_t ldb, float beta, FloatSpan C, int64_t ldc, Stream stream) {
  Status s = checkGemmArguments("sgemm (cuda)", transA, transB, M, N, K, A.data, A.size, lda, B.data, B.size, ldb,
                                C.data, C.size, ldc);
  if (!s.isOk()) return s;
  return sgemmBatched(transA, transB, M, N, K, alpha, A.data, lda, B.data, ldb, beta, C.data, ldc, GemmBatch{},
                      stream);
}

}  // namespace atrous::cuda
