#include "argmax_rows.h"

#include <algorithm>

#include "../cpu/argmax_rows.h"
#include "launch.h"

namespace atrous::cuda {
namespace {

__global__ void argmaxRowsKernel(const float* __restrict__ x, int64_t rows, int64_t cols, int32_t* __restrict__ out) {
  for (int64_t r = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; r < rows; r += int64_t(gridDim.x) * blockDim.x)
    out[r] = argmaxOfRow(x + r * cols, cols);
}

}  // namespace

Status argmaxRows(ConstFloatSpan x, int64_t rows, int64_t cols, int32_t* out, long long outSize, Stream stream) {
  const char* fn = "argmaxRows (cuda)";
  ATROUS_RETURN_IF_ERROR(validateArgmaxRows(fn, x, rows, cols, outSize));
  if (rows == 0) return Status::ok();
  const unsigned blocks = static_cast<unsigned>(std::min<int64_t>((rows + kThreads - 1) / kThreads, 65535 * 8));
  argmaxRowsKernel<<<blocks, kThreads, 0, stream>>>(x.data, rows, cols, out);
  return launchStatus(fn, "argmaxRowsKernel");
}

}  // namespace atrous::cuda
