#include "random.h"

#include <algorithm>

#include "../cpu/random.h"
#include "launch.h"
#include "random_blocks.h"

namespace atrous::cuda {
namespace {

using randomblock::Cover;

unsigned gridFor(int64_t items) {
  return static_cast<unsigned>(std::min<int64_t>((items + kThreads - 1) / kThreads, 65535 * 8));
}

// Grid-stride loops over the Philox blocks a stream touches: one block per thread, 4 uniforms or 2
// normals each.
__global__ void fillUniformKernel(float* __restrict__ out, int64_t n, randomdraw::UniformRange range, uint64_t seed,
                                  uint64_t offset, Cover cover) {
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < cover.blocks; t += int64_t(gridDim.x) * blockDim.x)
    randomblock::fillUniformBlock(t, cover, out, n, range, seed, offset);
}

__global__ void fillNormalKernel(float* __restrict__ out, int64_t n, double mean, double stddev, uint64_t seed,
                                 uint64_t offset, Cover cover) {
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < cover.blocks; t += int64_t(gridDim.x) * blockDim.x)
    randomblock::fillNormalBlock(t, cover, out, n, mean, stddev, seed, offset);
}

// x and out not __restrict__: out may be x.
__global__ void dropoutKernel(const float* x, float* __restrict__ mask, float* out, int64_t n, double keep,
                              float scale, uint64_t seed, uint64_t offset, Cover cover) {
  for (int64_t t = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; t < cover.blocks; t += int64_t(gridDim.x) * blockDim.x)
    randomblock::dropoutBlock(t, cover, x, mask, out, n, keep, scale, seed, offset);
}

}  // namespace

Status fillUniform(FloatSpan out, double lo, double hi, uint64_t seed, uint64_t offset, Stream stream) {
  const char* fn = "fillUniform (cuda)";
  ATROUS_RETURN_IF_ERROR(validateUniform(fn, lo, hi));
  const Cover cover = randomblock::coverFor(out.size, offset, randomdraw::kUniformsPerBlock);
  if (cover.blocks == 0) return Status::ok();
  fillUniformKernel<<<gridFor(cover.blocks), kThreads, 0, stream>>>(out.data, out.size, randomdraw::uniformRange(lo, hi),
                                                                   seed, offset, cover);
  return launchStatus(fn, "fillUniformKernel");
}

Status fillNormal(FloatSpan out, double mean, double stddev, uint64_t seed, uint64_t offset, Stream stream) {
  const char* fn = "fillNormal (cuda)";
  ATROUS_RETURN_IF_ERROR(validateNormal(fn, mean, stddev));
  const Cover cover = randomblock::coverFor(out.size, offset, randomdraw::kNormalsPerBlock);
  if (cover.blocks == 0) return Status::ok();
  fillNormalKernel<<<gridFor(cover.blocks), kThreads, 0, stream>>>(out.data, out.size, mean, stddev, seed, offset,
                                                                  cover);
  return launchStatus(fn, "fillNormalKernel");
}

Status dropout(ConstFloatSpan x, double keep, uint64_t seed, uint64_t offset, FloatSpan mask, FloatSpan out,
               Stream stream) {
  const char* fn = "dropout (cuda)";
  ATROUS_RETURN_IF_ERROR(validateDropout(fn, x, keep, mask, out));
  const Cover cover = randomblock::coverFor(x.size, offset, randomdraw::kUniformsPerBlock);
  if (cover.blocks == 0) return Status::ok();
  const float scale = static_cast<float>(1.0 / keep);  // on the host, as the CPU kernel does
  dropoutKernel<<<gridFor(cover.blocks), kThreads, 0, stream>>>(x.data, mask.data, out.data, x.size, keep, scale, seed,
                                                               offset, cover);
  return launchStatus(fn, "dropoutKernel");
}

}  // namespace atrous::cuda
