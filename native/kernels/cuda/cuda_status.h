// CUDA errors as atrous::Status, and whether a usable device is present (and if not, why). Free of
// CUDA headers, so code that only links the CUDA library (tests, later the addon) needs no toolkit.
#pragma once
#include <string>

#include "../status.h"

struct CUstream_st;  // cudaStream_t is CUstream_st*

namespace atrous::cuda {

// A CUDA stream; nullptr is the legacy default stream.
using Stream = CUstream_st*;

struct CudaAvailability {
  bool usable = false;
  std::string reason;  // why not, when !usable: the CUDA error name and message, or what is missing
  std::string device;  // "NVIDIA H100 80GB HBM3 (sm_90, 132 SMs)" when usable
};

// Probes device 0 once (count, compute capability >= 8.0, a kernel launch from this library's
// fatbinary) and caches the answer.
const CudaAvailability& cudaAvailability();

// Status::ok() for cudaSuccess, else "<op>: CUDA <name> (<message>) in <what>". code is a cudaError_t.
Status checkCuda(int code, const char* op, const char* what);

}  // namespace atrous::cuda
