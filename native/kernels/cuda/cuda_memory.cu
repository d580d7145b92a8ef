#include "cuda_memory.h"

#include <cuda_runtime.h>

namespace atrous::cuda {

Status deviceAllocate(size_t bytes, void** out) {
  *out = nullptr;
  if (bytes == 0) return Status::ok();
  return checkCuda(cudaMalloc(out, bytes), "deviceAllocate", "cudaMalloc");
}

Status deviceFree(void* p) {
  if (p == nullptr) return Status::ok();
  return checkCuda(cudaFree(p), "deviceFree", "cudaFree");
}

Status copyToDevice(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return Status::ok();
  return checkCuda(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), "copyToDevice", "cudaMemcpy");
}

Status copyToHost(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return Status::ok();
  return checkCuda(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost), "copyToHost", "cudaMemcpy");
}

Status deviceSynchronize() {
  return checkCuda(cudaDeviceSynchronize(), "deviceSynchronize", "cudaDeviceSynchronize");
}

}  // namespace atrous::cuda
