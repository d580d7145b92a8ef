// Random numbers from a counter-based generator (Philox4x32-10): value i of a stream is a pure
// function of (seed, offset + i), so a seed replays a stream exactly whatever the thread count, and a
// stream drawn in pieces equals the same stream drawn at once.
#pragma once
#include <array>
#include <cstdint>

#include "../status.h"

namespace atrous {

// One Philox4x32 block with 10 rounds (Salmon et al., SC'11; Random123's philox4x32_10): random_draws.h's.
std::array<uint32_t, 4> philox4x32_10(std::array<uint32_t, 4> counter, std::array<uint32_t, 2> key);

// out[i] uniform on [lo, hi) from 24 random bits (lo == hi gives lo). lo, hi finite, lo <= hi.
Status fillUniform(FloatSpan out, double lo, double hi, uint64_t seed, uint64_t offset);
// out[i] = mean + stddev * z, z standard normal by Box-Muller (cosine branch) from two 32-bit
// uniforms of its own. mean finite, stddev finite and >= 0.
Status fillNormal(FloatSpan out, double mean, double stddev, uint64_t seed, uint64_t offset);
// Inverted dropout: mask[i] = u[i] < keep ? 1/keep : 0 with u[i] the value fillUniform(0, 1) draws at
// (seed, offset + i), and out = x * mask. keep in (0, 1]; out may be x itself; mask is its own buffer.
Status dropout(ConstFloatSpan x, double keep, uint64_t seed, uint64_t offset, FloatSpan mask, FloatSpan out);

// Each entry's argument checks, in its order and with its messages (fn names the caller): shared
// with the CUDA kernels (cuda/random.h), which draw the same values (random_draws.h).
Status validateUniform(const char* fn, double lo, double hi);
Status validateNormal(const char* fn, double mean, double stddev);
Status validateDropout(const char* fn, ConstFloatSpan x, double keep, FloatSpan mask, FloatSpan out);

}  // namespace atrous
