// The counter-based draws of cpu/random.cpp and cuda/random.cu, one copy for both: the Philox4x32-10
// block, where each kind of draw finds its block, and the conversion of its words to floats. Every
// operation is rounded on its own (cuda/host_device.h), so uniform and dropout values are the same
// bits on either side; normals go through the platform's float64 log and cos (see normalValue).
#pragma once
#include <cmath>
#include <cstdint>

#include "cuda/host_device.h"

namespace atrous::randomdraw {

struct Block {
  uint32_t w[4];
};

// One Philox4x32 block with 10 rounds (Salmon et al., SC'11; Random123's philox4x32_10).
ATROUS_HD Block philox4x32_10(Block c, uint32_t key0, uint32_t key1) {
  constexpr uint64_t kMul0 = 0xD2511F53, kMul1 = 0xCD9E8D57;
  constexpr uint32_t kWeyl0 = 0x9E3779B9, kWeyl1 = 0xBB67AE85;
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = kMul0 * c.w[0], p1 = kMul1 * c.w[2];
    c = Block{{static_cast<uint32_t>(p1 >> 32) ^ c.w[1] ^ key0, static_cast<uint32_t>(p1),
               static_cast<uint32_t>(p0 >> 32) ^ c.w[3] ^ key1, static_cast<uint32_t>(p0)}};
    key0 += kWeyl0;
    key1 += kWeyl1;
  }
  return c;
}

// Counter word 2 tells the kinds of draw apart, so a normal draw never reuses a uniform draw's bits
// (their counters advance at different rates through the same offsets).
constexpr uint32_t kUniformStream = 0;
constexpr uint32_t kNormalStream = 1;

// Uniform-stream position p is word p & 3 of block p >> 2.
constexpr unsigned kUniformsPerBlock = 4;
// Normal-stream position p uses words 2(p & 1) and 2(p & 1) + 1 of block p >> 1.
constexpr unsigned kNormalsPerBlock = 2;

ATROUS_HD Block streamBlock(uint64_t seed, uint32_t stream, uint64_t index) {
  return philox4x32_10(Block{{static_cast<uint32_t>(index), static_cast<uint32_t>(index >> 32), stream, 0}},
                       static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
}

// [0, 1) on a 2^-24 grid: every value is exact in float32 (and the product is exact in float64).
ATROUS_HD double unitUniform(uint32_t word) { return static_cast<double>(word >> 8) * (1.0 / 16777216.0); }

// fillUniform's interval, prepared once on the host: lo, hi as given, and the float just below hi
// that a value rounding up to hi becomes, so the interval stays half-open.
struct UniformRange {
  double lo, span;  // span = hi - lo
  float hi, below;
  bool halfOpen;    // lo < hi in float32 (lo == hi gives lo everywhere)
};

inline UniformRange uniformRange(double lo, double hi) {
  const float loF = static_cast<float>(lo), hiF = static_cast<float>(hi);
  const bool halfOpen = loF < hiF;
  return UniformRange{lo, hi - lo, hiF, halfOpen ? std::nextafter(hiF, loF) : loF, halfOpen};
}

ATROUS_HD float uniformValue(uint32_t word, const UniformRange& r) {
  const float v = static_cast<float>(cuda::addRn(r.lo, cuda::mulRn(r.span, unitUniform(word))));
  return v < r.hi || !r.halfOpen ? v : r.below;
}

// Inverted dropout's mask value: scale (= float(1 / keep)) where the uniform falls below keep.
ATROUS_HD float dropoutMask(uint32_t word, double keep, float scale) { return unitUniform(word) < keep ? scale : 0.f; }

// mean + stddev * z with z standard normal by Box-Muller (cosine branch) from two words. log and cos
// are the platform's float64 ones: glibc's and CUDA's may differ in their last bit, which the
// rounding to float32 hides except near a rounding boundary (then 1 float ulp apart).
ATROUS_HD float normalValue(uint32_t word1, uint32_t word2, double mean, double stddev) {
  constexpr double kTwoPi = 6.283185307179586476925286766559;
  constexpr double kInv2Pow32 = 1.0 / 4294967296.0;
  const double u1 = (static_cast<double>(word1) + 1.0) * kInv2Pow32;  // (0, 1], exact: log is finite
  const double u2 = static_cast<double>(word2) * kInv2Pow32;          // [0, 1), exact
  const double z = cuda::mulRn(sqrt(-2.0 * log(u1)), cos(cuda::mulRn(kTwoPi, u2)));
  return static_cast<float>(cuda::addRn(mean, cuda::mulRn(stddev, z)));
}

}  // namespace atrous::randomdraw
