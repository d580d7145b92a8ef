// What the FP32 and TF32 GEMM kernels share (.cu files only): their parameters and their launch over
// 128 x 128 tiles of C, the batch in chunks of 65535 GEMMs (gridDim.z's limit).
#pragma once
#include <algorithm>
#include <string>

#include "launch.h"
#include "sgemm.h"

namespace atrous::cuda {

constexpr int64_t kGemmTile = 128;  // both kernels' block of C is kGemmTile x kGemmTile
constexpr int64_t kMaxGridZ = 65535;

struct GemmParams {
  const float* A;
  const float* B;
  float* C;
  int64_t M, N, K, lda, ldb, ldc;
  float alpha, beta;
  GemmBatch batch;
  int64_t zBase;
  int64_t tilesN;
  bool vecA, vecB, vecC;  // whether each operand allows 16-byte accesses everywhere in the batch
};

using GemmKernel = void (*)(GemmParams);

// Launches kernels[transA][transB] with `threads` per block over every tile of every GEMM of batch.
inline Status launchGemmTiles(const GemmKernel (&kernels)[2][2], int threads, const char* kernelName, bool transA,
                              bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                              const float* B, int64_t ldb, float beta, float* C, int64_t ldc, const GemmBatch& batch,
                              Stream stream) {
  if (M == 0 || N == 0 || batch.count == 0) return Status::ok();
  const int64_t tilesM = (M + kGemmTile - 1) / kGemmTile, tilesN = (N + kGemmTile - 1) / kGemmTile;
  if (tilesM > (int64_t{1} << 31) / tilesN)
    return Status::error("sgemm (cuda): " + std::to_string(M) + "x" + std::to_string(N) +
                         " needs more than 2^31 blocks of 128x128");
  GemmParams p{A, B, C, M, N, K, lda, ldb, ldc, alpha, beta, batch, 0, tilesN,
               vectorizable16(A, lda, batch.aOuter, batch.aInner), vectorizable16(B, ldb, batch.bOuter, batch.bInner),
               vectorizable16(C, ldc, batch.cOuter, batch.cInner)};
  const GemmKernel kernel = kernels[transA ? 1 : 0][transB ? 1 : 0];
  for (int64_t z0 = 0; z0 < batch.count; z0 += kMaxGridZ) {
    p.zBase = z0;
    const dim3 grid(static_cast<unsigned>(tilesM * tilesN), 1, static_cast<unsigned>(std::min(kMaxGridZ, batch.count - z0)));
    kernel<<<grid, threads, 0, stream>>>(p);
    ATROUS_RETURN_IF_ERROR(launchStatus("sgemm (cuda)", kernelName));
  }
  return Status::ok();
}

}  // namespace atrous::cuda
