// The TF32 tensor-core SGEMM behind sgemmBatched when setSgemmTf32(true) (see sgemm.h for the
// precision trade). 128x128 blocks of C, 256 threads = 8 warps in a 2 x 4 grid, each warp 64x32 of C
// as 4 x 2 wmma m16n16k8 accumulators (float). K moves in steps of 16 through double-buffered shared
// tiles kept in the operand's own contiguity (no transposing stores: a transposed operand becomes a
// col_major fragment instead), rounded to TF32 once as they are stored. Tiles past M, N or K are
// zero-filled; the epilogue stages each 16x16 accumulator in shared memory and writes alpha*acc +
// beta*C with guards (with beta == 0, C is never read).
#include "sgemm_tf32.h"

#include <mma.h>

#include <algorithm>
#include <string>
#include <type_traits>

#include "launch.h"
#include "sgemm_launch.h"

namespace atrous::cuda {
namespace {

namespace wmma = nvcuda::wmma;

constexpr int kBlockM = 128, kBlockN = 128, kBlockK = 16;
constexpr int kTf32Threads = 256;
constexpr int kWarpM = 64, kWarpN = 32;                    // 2 x 4 warps cover the block
constexpr int kFragsM = kWarpM / 16, kFragsN = kWarpN / 16;  // 4 x 2 accumulators per warp
constexpr int kPieces = kBlockM * kBlockK / 4 / kTf32Threads;  // float4 pieces per thread per operand tile
// Shared tiles, padded by 4 floats: rows stay 16-byte aligned for the float4 stores, and the fragment
// origins (16 lines or 8 k apart) stay 32-byte aligned as wmma::load_matrix_sync requires.
constexpr int kLdAlongK = kBlockK + 4;   // 128 lines (m or n) of 16 k
constexpr int kLdAlongMN = kBlockM + 4;  // 16 k rows of 128 (m or n)
constexpr int kTileFloats = kBlockM * kLdAlongK;
static_assert(kBlockM == kBlockN, "one tile shape serves both operands");
static_assert(kTileFloats >= kBlockK * kLdAlongMN, "a tile buffer holds either layout");
static_assert(kPieces * kTf32Threads * 4 == kBlockM * kBlockK, "the threads cover a tile exactly");
static_assert((kWarpM / kFragsM) == 16 && (kBlockM / kWarpM) * (kBlockN / kWarpN) == kTf32Threads / 32,
              "8 warps of 4 x 2 fragments cover the block");
static_assert(kTf32Threads / 32 * 256 <= kTileFloats, "the epilogue's per-warp 16x16 staging fits in one tile");

static_assert(kBlockM == kGemmTile && kBlockN == kGemmTile, "the shared launch's tile");

__device__ __forceinline__ float4 toTf32(float4 v) {
  return make_float4(wmma::__float_to_tf32(v.x), wmma::__float_to_tf32(v.y), wmma::__float_to_tf32(v.z),
                     wmma::__float_to_tf32(v.w));
}

// Piece f (0..511) of a 128 x 16 tile of an operand contiguous along k (A plain, B transposed):
// line mn = f / 4, k = 4 * (f % 4) .. +3. Zero outside the matrix.
__device__ __forceinline__ float4 loadAlongK(const float* p, int64_t ld, int64_t mn0, int64_t extentMN, int64_t k0,
                                             int64_t extentK, bool vec, int f) {
  const int mn = f >> 2, k = (f & 3) * 4;
  const int64_t gmn = mn0 + mn, gk = k0 + k;
  if (gmn >= extentMN) return make_float4(0.f, 0.f, 0.f, 0.f);
  return loadFour(p + gmn * ld, gk, extentK, vec);
}

// Piece f of a 16 x 128 tile of an operand contiguous along m or n (A transposed, B plain):
// k row = f / 32, mn = 4 * (f % 32) .. +3.
__device__ __forceinline__ float4 loadAlongMN(const float* p, int64_t ld, int64_t mn0, int64_t extentMN, int64_t k0,
                                              int64_t extentK, bool vec, int f) {
  const int k = f >> 5, mn = (f & 31) * 4;
  const int64_t gk = k0 + k, gmn = mn0 + mn;
  if (gk >= extentK) return make_float4(0.f, 0.f, 0.f, 0.f);
  return loadFour(p + gk * ld, gmn, extentMN, vec);
}

// Where element (mn, k) of a shared tile lies, for either contiguity, and the tile's leading dimension.
template <bool AlongK>
__device__ __forceinline__ int tileOffset(int mn, int k) {
  return AlongK ? mn * kLdAlongK + k : k * kLdAlongMN + mn;
}
template <bool AlongK>
constexpr unsigned kTileLd = AlongK ? kLdAlongK : kLdAlongMN;

template <bool AlongK>
__device__ __forceinline__ void storePiece(float* tile, float4 v, int f) {
  const int offset = AlongK ? tileOffset<true>(f >> 2, (f & 3) * 4) : tileOffset<false>((f & 31) * 4, f >> 5);
  *reinterpret_cast<float4*>(tile + offset) = toTf32(v);
}

template <bool TransA, bool TransB>
__global__ void __launch_bounds__(kTf32Threads, 2) sgemmTf32Tiled(GemmParams p) {
  // A is contiguous along k when plain, B when transposed; a k-contiguous tile is a row_major
  // matrix_a (m, k) or a col_major matrix_b (k, n), and the other way round.
  constexpr bool kAAlongK = !TransA, kBAlongK = TransB;
  using LayoutA = std::conditional_t<kAAlongK, wmma::row_major, wmma::col_major>;
  using LayoutB = std::conditional_t<kBAlongK, wmma::col_major, wmma::row_major>;
  using FragA = wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, LayoutA>;
  using FragB = wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, LayoutB>;
  using FragC = wmma::fragment<wmma::accumulator, 16, 16, 8, float>;

  __shared__ __align__(128) float As[2][kTileFloats];
  __shared__ __align__(128) float Bs[2][kTileFloats];

  const int64_t z = p.zBase + blockIdx.z;
  const int64_t outer = z / p.batch.inner, inner = z % p.batch.inner;
  const float* A = p.A + outer * p.batch.aOuter + inner * p.batch.aInner;
  const float* B = p.B + outer * p.batch.bOuter + inner * p.batch.bInner;
  float* C = p.C + outer * p.batch.cOuter + inner * p.batch.cInner;

  const int64_t m0 = (blockIdx.x / p.tilesN) * kBlockM, n0 = (blockIdx.x % p.tilesN) * kBlockN;
  const int t = threadIdx.x, warp = t >> 5, lane = t & 31;
  const int wm = (warp >> 2) * kWarpM, wn = (warp & 3) * kWarpN;  // the warp's corner in the block

  auto loadA = [&](int64_t k0, int f) {
    return kAAlongK ? loadAlongK(A, p.lda, m0, p.M, k0, p.K, p.vecA, f)
                    : loadAlongMN(A, p.lda, m0, p.M, k0, p.K, p.vecA, f);
  };
  auto loadB = [&](int64_t k0, int f) {
    return kBAlongK ? loadAlongK(B, p.ldb, n0, p.N, k0, p.K, p.vecB, f)
                    : loadAlongMN(B, p.ldb, n0, p.N, k0, p.K, p.vecB, f);
  };

  FragC acc[kFragsM][kFragsN];
#pragma unroll
  for (int i = 0; i < kFragsM; ++i)
#pragma unroll
    for (int j = 0; j < kFragsN; ++j) wmma::fill_fragment(acc[i][j], 0.f);

  const int64_t steps = (p.K + kBlockK - 1) / kBlockK;
  if (steps > 0) {
#pragma unroll
    for (int r = 0; r < kPieces; ++r) {
      storePiece<kAAlongK>(As[0], loadA(0, t + r * kTf32Threads), t + r * kTf32Threads);
      storePiece<kBAlongK>(Bs[0], loadB(0, t + r * kTf32Threads), t + r * kTf32Threads);
    }
  }
  __syncthreads();
  for (int64_t s = 0; s < steps; ++s) {
    const int cur = static_cast<int>(s & 1);
    const bool more = s + 1 < steps;
    float4 nextA[kPieces], nextB[kPieces];
#pragma unroll
    for (int r = 0; r < kPieces; ++r) {  // the next tile's global loads are in flight during the mma
      nextA[r] = more ? loadA((s + 1) * kBlockK, t + r * kTf32Threads) : make_float4(0.f, 0.f, 0.f, 0.f);
      nextB[r] = more ? loadB((s + 1) * kBlockK, t + r * kTf32Threads) : make_float4(0.f, 0.f, 0.f, 0.f);
    }
#pragma unroll
    for (int kk = 0; kk < kBlockK; kk += 8) {
      FragB b[kFragsN];
#pragma unroll
      for (int j = 0; j < kFragsN; ++j)
        wmma::load_matrix_sync(b[j], Bs[cur] + tileOffset<kBAlongK>(wn + 16 * j, kk), kTileLd<kBAlongK>);
#pragma unroll
      for (int i = 0; i < kFragsM; ++i) {  // one A fragment live at a time: the kernel fits 128 registers
        FragA a;
        wmma::load_matrix_sync(a, As[cur] + tileOffset<kAAlongK>(wm + 16 * i, kk), kTileLd<kAAlongK>);
#pragma unroll
        for (int j = 0; j < kFragsN; ++j) wmma::mma_sync(acc[i][j], a, b[j], acc[i][j]);
      }
    }
    if (more) {  // the other buffer was last read before the previous barrier
#pragma unroll
      for (int r = 0; r < kPieces; ++r) {
        storePiece<kAAlongK>(As[cur ^ 1], nextA[r], t + r * kTf32Threads);
        storePiece<kBAlongK>(Bs[cur ^ 1], nextB[r], t + r * kTf32Threads);
      }
    }
    __syncthreads();
  }

  // Epilogue: the loop's last barrier freed the tiles; each warp stages one 16x16 accumulator at a
  // time in its own 256 floats, then its lanes write two rows of 16 per pass, guarded.
  float* stage = As[0] + warp * 256;
#pragma unroll
  for (int i = 0; i < kFragsM; ++i)
#pragma unroll
    for (int j = 0; j < kFragsN; ++j) {
      const int64_t row0 = m0 + wm + 16 * i, col0 = n0 + wn + 16 * j;
      if (row0 >= p.M || col0 >= p.N) continue;  // uniform across the warp
      wmma::store_matrix_sync(stage, acc[i][j], 16, wmma::mem_row_major);
      __syncwarp();
      for (int e = lane; e < 256; e += 32) {
        const int64_t row = row0 + (e >> 4), col = col0 + (e & 15);
        if (row >= p.M || col >= p.N) continue;
        float* dst = C + row * p.ldc + col;
        const float v = p.alpha * stage[e];
        *dst = p.beta != 0.f ? v + p.beta * *dst : v;
      }
      __syncwarp();
    }
}


}  // namespace

Status sgemmTf32Batched(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                        int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
                        const GemmBatch& batch, Stream stream) {
  static const GemmKernel kernels[2][2] = {{sgemmTf32Tiled<false, false>, sgemmTf32Tiled<false, true>},
                                           {sgemmTf32Tiled<true, false>, sgemmTf32Tiled<true, true>}};
  return launchGemmTiles(kernels, kTf32Threads, "sgemmTf32Tiled", transA, transB, M, N, K, alpha, A, lda, B, ldb, beta,
                         C, ldc, batch, stream);
}

}  // namespace atrous::cuda
