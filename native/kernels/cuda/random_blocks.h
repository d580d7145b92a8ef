// The per-thread work of the CUDA random kernels (random.cu), shared with a host test that runs it
// against the CPU kernels without a device: thread t takes the t-th Philox block that the stream
// positions [offset, offset + n) touch and writes that block's elements inside [0, n). Positions
// wrap modulo 2^64, as on the CPU.
#pragma once
#include <cstdint>

#include "../random_draws.h"
#include "host_device.h"

namespace atrous::cuda::randomblock {

struct Cover {
  int64_t blocks;  // threads needed
  int64_t lead;    // offset % perBlock: positions of the first block before element 0
};

inline Cover coverFor(int64_t n, uint64_t offset, unsigned perBlock) {
  const int64_t lead = static_cast<int64_t>(offset % perBlock);
  return Cover{n == 0 ? 0 : (n + lead + perBlock - 1) / perBlock, lead};
}

// Element of lane 0 of thread t's block; its position offset + first is a multiple of perBlock.
ATROUS_HD int64_t firstElement(int64_t t, const Cover& c, unsigned perBlock) { return t * perBlock - c.lead; }

ATROUS_HD randomdraw::Block blockOf(int64_t first, uint64_t seed, uint64_t offset, uint32_t stream, unsigned perBlock) {
  return randomdraw::streamBlock(seed, stream, (offset + static_cast<uint64_t>(first)) / perBlock);
}

ATROUS_HD void fillUniformBlock(int64_t t, const Cover& c, float* out, int64_t n, const randomdraw::UniformRange& r,
                                uint64_t seed, uint64_t offset) {
  constexpr unsigned kPer = randomdraw::kUniformsPerBlock;
  const int64_t first = firstElement(t, c, kPer);
  const randomdraw::Block b = blockOf(first, seed, offset, randomdraw::kUniformStream, kPer);
  for (unsigned lane = 0; lane < kPer; ++lane) {
    const int64_t i = first + lane;
    if (i >= 0 && i < n) out[i] = randomdraw::uniformValue(b.w[lane], r);
  }
}

ATROUS_HD void fillNormalBlock(int64_t t, const Cover& c, float* out, int64_t n, double mean, double stddev,
                               uint64_t seed, uint64_t offset) {
  constexpr unsigned kPer = randomdraw::kNormalsPerBlock;
  const int64_t first = firstElement(t, c, kPer);
  const randomdraw::Block b = blockOf(first, seed, offset, randomdraw::kNormalStream, kPer);
  for (unsigned half = 0; half < kPer; ++half) {
    const int64_t i = first + half;
    if (i >= 0 && i < n) out[i] = randomdraw::normalValue(b.w[2 * half], b.w[2 * half + 1], mean, stddev);
  }
}

// Reads x[i] before writing out[i], so out may be x.
ATROUS_HD void dropoutBlock(int64_t t, const Cover& c, const float* x, float* mask, float* out, int64_t n, double keep,
                            float scale, uint64_t seed, uint64_t offset) {
  constexpr unsigned kPer = randomdraw::kUniformsPerBlock;
  const int64_t first = firstElement(t, c, kPer);
  const randomdraw::Block b = blockOf(first, seed, offset, randomdraw::kUniformStream, kPer);
  for (unsigned lane = 0; lane < kPer; ++lane) {
    const int64_t i = first + lane;
    if (i < 0 || i >= n) continue;
    const float m = randomdraw::dropoutMask(b.w[lane], keep, scale);
    mask[i] = m;
    out[i] = mulRn(x[i], m);
  }
}

}  // namespace atrous::cuda::randomblock
