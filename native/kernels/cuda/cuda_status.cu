#include "cuda_status.h"

#include <cuda_runtime.h>

#include <cstdint>

namespace atrous::cuda {
namespace {

__global__ void probeKernel(int* out) {
  if (out != nullptr) *out = 1;
}

std::string errorText(cudaError_t e) {
  return std::string(cudaGetErrorName(e)) + ": " + cudaGetErrorString(e);
}

CudaAvailability probe() {
  CudaAvailability a;
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    a.reason = "no usable CUDA device (" + errorText(e) + ")";
    return a;
  }
  if (count == 0) {
    a.reason = "no CUDA device (the driver reports 0 devices)";
    return a;
  }
  cudaDeviceProp prop;
  e = cudaGetDeviceProperties(&prop, 0);
  if (e != cudaSuccess) {
    a.reason = "cannot read device 0's properties (" + errorText(e) + ")";
    return a;
  }
  const std::string name = std::string(prop.name) + " (sm_" + std::to_string(prop.major) +
                           std::to_string(prop.minor) + ", " + std::to_string(prop.multiProcessorCount) + " SMs)";
  // The library carries sm_80 and sm_90 code and compute_90 PTX: 8.x and >= 9.0 can run it.
  if (prop.major < 8) {
    a.reason = "device 0, " + name + ", is older than sm_80, the oldest architecture this library is built for";
    return a;
  }
  probeKernel<<<1, 1>>>(nullptr);
  e = cudaGetLastError();
  if (e == cudaSuccess) e = cudaDeviceSynchronize();
  if (e != cudaSuccess) {
    a.reason = "a test kernel does not run on device 0, " + name + " (" + errorText(e) + ")";
    return a;
  }
  // Workspaces come from the stream-ordered pool (cudaMallocAsync): keep what it holds across
  // synchronisations instead of returning it to the driver at each one (the default threshold is 0).
  cudaMemPool_t pool;
  if (cudaDeviceGetDefaultMemPool(&pool, 0) == cudaSuccess) {
    uint64_t keepAll = UINT64_MAX;
    cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keepAll);
  }
  a.usable = true;
  a.device = name;
  return a;
}

}  // namespace

const CudaAvailability& cudaAvailability() {
  static const CudaAvailability cached = probe();
  return cached;
}

Status checkCuda(int code, const char* op, const char* what) {
  if (code == cudaSuccess) return Status::ok();
  const cudaError_t e = static_cast<cudaError_t>(code);
  return Status::error(std::string(op) + ": CUDA " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ") in " +
                       what);
}

}  // namespace atrous::cuda
