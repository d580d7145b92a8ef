// Checks of values that live on the device (class targets, pool argmax, running variances), so the
// CUDA kernels reject what the CPU ones reject, with the same message, before writing anything: a
// kernel finds the first bad position, and the call waits for it (one stream synchronization).
#pragma once
#include <cstdint>

#include "../status.h"
#include "cuda_status.h"

namespace atrous::cuda {

// "<fn>: <arg>[i] expects <what> in [0, limit), but got v" for the first i with data[i] outside.
Status checkIndicesOnDevice(const char* fn, const char* arg, const char* what, const int32_t* data, int64_t n,
                            int64_t limit, Stream stream);

// "<fn>: <arg>[i] + eps expects a positive number, but got v" for the first i with !(data[i] + eps > 0).
Status checkPositiveWithEps(const char* fn, const char* arg, const float* data, int64_t n, double eps, Stream stream);

}  // namespace atrous::cuda
