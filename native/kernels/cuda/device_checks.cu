#include "device_checks.h"

#include <algorithm>
#include <string>

#include "launch.h"

namespace atrous::cuda {
namespace {

constexpr unsigned long long kNone = ~0ull;

// *first = the smallest i with bad(i), by an integer atomicMin: the same answer in any order.
template <class Bad>
__global__ void firstBadKernel(int64_t n, Bad bad, unsigned long long* first) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    if (bad(i)) atomicMin(first, static_cast<unsigned long long>(i));
}

struct IndexOutside {
  const int32_t* data;
  int64_t limit;
  __device__ bool operator()(int64_t i) const { return data[i] < 0 || data[i] >= limit; }
};

struct NotPositiveWithEps {
  const float* data;
  double eps;
  __device__ bool operator()(int64_t i) const { return !(static_cast<double>(data[i]) + eps > 0); }
};

// Runs firstBadKernel and waits for its answer; *index = -1 when every element passed.
template <class Bad>
Status firstBad(const char* fn, int64_t n, Bad bad, Stream stream, int64_t* index) {
  *index = -1;
  if (n <= 0) return Status::ok();
  StreamScratch first(stream);
  ATROUS_RETURN_IF_ERROR(first.allocate(sizeof(unsigned long long), fn));
  ATROUS_RETURN_IF_ERROR(checkCuda(cudaMemsetAsync(first.as<void>(), 0xff, sizeof(unsigned long long), stream), fn,
                                   "cudaMemsetAsync (check)"));
  const unsigned blocks = static_cast<unsigned>(std::min<int64_t>((n + kThreads - 1) / kThreads, 65535 * 8));
  firstBadKernel<<<blocks, kThreads, 0, stream>>>(n, bad, first.as<unsigned long long>());
  ATROUS_RETURN_IF_ERROR(launchStatus(fn, "firstBadKernel"));
  unsigned long long host = kNone;
  ATROUS_RETURN_IF_ERROR(checkCuda(
      cudaMemcpyAsync(&host, first.as<void>(), sizeof host, cudaMemcpyDeviceToHost, stream), fn, "cudaMemcpyAsync (check)"));
  ATROUS_RETURN_IF_ERROR(checkCuda(cudaStreamSynchronize(stream), fn, "cudaStreamSynchronize (check)"));
  if (host != kNone) *index = static_cast<int64_t>(host);
  return Status::ok();
}

template <class T>
Status copyOne(const char* fn, const T* deviceValue, T* host) {
  return checkCuda(cudaMemcpy(host, deviceValue, sizeof(T), cudaMemcpyDeviceToHost), fn, "cudaMemcpy (check)");
}

}  // namespace

Status checkIndicesOnDevice(const char* fn, const char* arg, const char* what, const int32_t* data, int64_t n,
                            int64_t limit, Stream stream) {
  int64_t i = -1;
  ATROUS_RETURN_IF_ERROR(firstBad(fn, n, IndexOutside{data, limit}, stream, &i));
  if (i < 0) return Status::ok();
  int32_t v = 0;
  ATROUS_RETURN_IF_ERROR(copyOne(fn, data + i, &v));
  return Status::error(std::string(fn) + ": " + arg + "[" + std::to_string(i) + "] expects " + what + " in [0, " +
                       std::to_string(limit) + "), but got " + std::to_string(v));
}

Status checkPositiveWithEps(const char* fn, const char* arg, const float* data, int64_t n, double eps, Stream stream) {
  int64_t i = -1;
  ATROUS_RETURN_IF_ERROR(firstBad(fn, n, NotPositiveWithEps{data, eps}, stream, &i));
  if (i < 0) return Status::ok();
  float v = 0;
  ATROUS_RETURN_IF_ERROR(copyOne(fn, data + i, &v));
  return Status::error(std::string(fn) + ": " + arg + "[" + std::to_string(i) +
                       "] + eps expects a positive number, but got " + std::to_string(v + eps));
}

}  // namespace atrous::cuda
