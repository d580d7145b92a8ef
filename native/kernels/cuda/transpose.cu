#include "transpose.h"

#include <algorithm>

#include "../cpu/op_checks.h"
#include "../cpu/transpose.h"
#include "launch.h"

namespace atrous::cuda {
namespace {

constexpr int kTile = 32;  // a 32 x 32 tile per block of 32 x 8 threads, each moving 4 elements

// Block (bx, by, bz) moves tile (by, bx) of matrices bz, bz + gridDim.z, ...: reads along rows of x
// and writes along rows of out, both coalesced; the +1 column keeps the shared reads conflict-free.
__global__ void transposeKernel(const float* __restrict__ x, int64_t batch, int64_t rows, int64_t cols,
                                float* __restrict__ out) {
  __shared__ float tile[kTile][kTile + 1];
  const int64_t r0 = int64_t(blockIdx.y) * kTile, c0 = int64_t(blockIdx.x) * kTile;
  for (int64_t b = blockIdx.z; b < batch; b += gridDim.z) {
    const float* xb = x + b * rows * cols;
    float* ob = out + b * rows * cols;
    for (int i = threadIdx.y; i < kTile; i += blockDim.y) {
      const int64_t r = r0 + i, c = c0 + threadIdx.x;
      if (r < rows && c < cols) tile[i][threadIdx.x] = xb[r * cols + c];
    }
    __syncthreads();
    for (int i = threadIdx.y; i < kTile; i += blockDim.y) {
      const int64_t c = c0 + i, r = r0 + threadIdx.x;  // out is cols x rows
      if (c < cols && r < rows) ob[c * rows + r] = tile[threadIdx.x][i];
    }
    __syncthreads();  // the tile is reused by the next matrix
  }
}

}  // namespace

Status transposeBatched(ConstFloatSpan x, int64_t batch, int64_t rows, int64_t cols, FloatSpan out, Stream stream) {
  const char* fn = "transposeBatched (cuda)";
  ATROUS_RETURN_IF_ERROR(validateTransposeBatched(fn, x, batch, rows, cols, out));
  // rows and cols < 2^31 (their product is), so the tile counts fit gridDim.x (2^31-1) but not always
  // gridDim.y (65535): rows too tall for it are refused rather than half done.
  const int64_t tilesC = (cols + kTile - 1) / kTile, tilesR = (rows + kTile - 1) / kTile;
  if (tilesR > 65535)
    return Status::error(std::string(fn) + ": rows expects at most " + std::to_string(65535 * kTile) + ", but got " +
                         std::to_string(rows));
  const dim3 grid(static_cast<unsigned>(tilesC), static_cast<unsigned>(tilesR),
                  static_cast<unsigned>(std::min<int64_t>(batch, 65535)));
  transposeKernel<<<grid, dim3(kTile, 8), 0, stream>>>(x.data, batch, rows, cols, out.data);
  return launchStatus(fn, "transposeKernel");
}

}  // namespace atrous::cuda
