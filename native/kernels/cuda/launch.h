// Shared by the .cu files only: block sizes, grid arithmetic and the launch-error check.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "cuda_status.h"

namespace atrous::cuda {

constexpr int kThreads = 256;  // elementwise and im2col blocks

// Blocks of kThreads that cover n items; callers keep n < 2^31 so one thread per item fits a 1-d grid.
inline unsigned blocksFor(int64_t n) { return static_cast<unsigned>((n + kThreads - 1) / kThreads); }

// Four consecutive floats line[g .. g+3], zero past extent: one 16-byte load where vec allows it
// (the GEMM tiles' edge-safe load, shared by the FP32 and TF32 kernels).
__device__ __forceinline__ float4 loadFour(const float* line, int64_t g, int64_t extent, bool vec) {
  if (vec && g + 3 < extent) return *reinterpret_cast<const float4*>(line + g);
  float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
  if (g + 0 < extent) v.x = line[g + 0];
  if (g + 1 < extent) v.y = line[g + 1];
  if (g + 2 < extent) v.z = line[g + 2];
  if (g + 3 < extent) v.w = line[g + 3];
  return v;
}

// The sum of every thread's v over one block of kThreads threads, in a tree order fixed by kThreads
// alone (so results never depend on timing); the result is valid in thread 0. Every thread must call it.
__device__ inline double blockSum(double v) {
  __shared__ double s[kThreads];
  s[threadIdx.x] = v;
  __syncthreads();
  for (int half = kThreads / 2; half > 0; half /= 2) {
    if (int(threadIdx.x) < half) s[threadIdx.x] += s[threadIdx.x + half];
    __syncthreads();
  }
  return s[0];
}

// Whether every row of every GEMM in a batch starts 16-byte aligned (float4 loads): the base is, and the
// leading dimension and batch strides are multiples of 4 floats.
inline bool vectorizable16(const void* base, int64_t ld, int64_t outerStride, int64_t innerStride) {
  return reinterpret_cast<uintptr_t>(base) % 16 == 0 && ld % 4 == 0 && outerStride % 4 == 0 && innerStride % 4 == 0;
}

// A launch's configuration error, if any (kernel faults surface later, at a synchronizing call).
inline Status launchStatus(const char* op, const char* kernel) { return checkCuda(cudaGetLastError(), op, kernel); }

}  // namespace atrous::cuda

#ifndef ATROUS_RETURN_IF_ERROR
#define ATROUS_RETURN_IF_ERROR(expr)     \
  do {                                   \
    ::atrous::Status status_ = (expr);   \
    if (!status_.isOk()) return status_; \
  } while (0)
#endif

namespace atrous::cuda {

// Stream-ordered scratch memory (cudaMallocAsync's pool): freed on the same stream when it goes out
// of scope, so the kernels queued before that still see it.
class StreamScratch {
 public:
  explicit StreamScratch(Stream stream) : stream_(stream) {}
  StreamScratch(const StreamScratch&) = delete;
  StreamScratch& operator=(const StreamScratch&) = delete;
  ~StreamScratch() {
    if (data_ != nullptr) cudaFreeAsync(data_, stream_);
  }
  Status allocate(size_t bytes, const char* op) {
    if (bytes == 0) return Status::ok();
    return checkCuda(cudaMallocAsync(&data_, bytes, stream_), op, "cudaMallocAsync (workspace)");
  }
  template <class T>
  T* as() const { return static_cast<T*>(data_); }

 private:
  Stream stream_;
  void* data_ = nullptr;
};

}  // namespace atrous::cuda
