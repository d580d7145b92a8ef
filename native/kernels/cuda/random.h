// Random numbers on the device, mirroring native/kernels/cpu/random.h: the same counter-based
// Philox streams (random_draws.h, shared with the CPU), the same argument checks and messages.
// Value i depends only on (seed, offset + i), so a stream is the CPU's whatever the launch shape.
// Precision: fillUniform and dropout are bit-identical to the CPU kernels (a NaN in dropout's
// output aside: host_device.h). fillNormal uses CUDA's float64 log and cos (within 1-2 ulp of
// float64) where the CPU uses glibc's: after rounding to float32 a value is the CPU's, or 1 float
// ulp from it when it lies near a rounding boundary.
#pragma once
#include <cstdint>

#include "../status.h"
#include "cuda_status.h"

namespace atrous::cuda {

// out[i] uniform on [lo, hi) from 24 random bits (lo == hi gives lo). lo, hi finite, lo <= hi.
Status fillUniform(FloatSpan out, double lo, double hi, uint64_t seed, uint64_t offset, Stream stream = nullptr);
// out[i] = mean + stddev * z, z standard normal by Box-Muller. mean finite, stddev finite and >= 0.
Status fillNormal(FloatSpan out, double mean, double stddev, uint64_t seed, uint64_t offset,
                  Stream stream = nullptr);
// Inverted dropout: mask[i] = u[i] < keep ? 1/keep : 0 (u[i] fillUniform(0, 1)'s value at
// (seed, offset + i)), out = x * mask. keep in (0, 1]; out may be x itself; mask is its own buffer.
Status dropout(ConstFloatSpan x, double keep, uint64_t seed, uint64_t offset, FloatSpan mask, FloatSpan out,
               Stream stream = nullptr);

}  // namespace atrous::cuda
