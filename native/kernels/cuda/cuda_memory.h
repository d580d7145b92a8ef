// Device memory for the tests, the benches and (later) the device tensors: synchronous allocation
// and copies, each failure as a Status naming the call.
#pragma once
#include <cstddef>

#include "cuda_status.h"

namespace atrous::cuda {

Status deviceAllocate(size_t bytes, void** out);  // *out = nullptr for 0 bytes
Status deviceFree(void* p);                         // nullptr is a no-op
Status copyToDevice(void* dst, const void* src, size_t bytes);
Status copyToHost(void* dst, const void* src, size_t bytes);
// Waits for all work on the device; reports errors of kernels that ran asynchronously.
Status deviceSynchronize();

}  // namespace atrous::cuda
