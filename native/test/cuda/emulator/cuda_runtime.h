// The CUDA emulator's stand-in for <cuda_runtime.h>: what our .cu files use of CUDA, for g++. Kernels
// run on the CPU, each block's threads as fibers that switch only at barriers (__syncthreads,
// __syncwarp, __match_any_sync), so the kernels' own indexing, barriers and warp logic run as
// written, with no GPU. Test-only: it checks our kernels' logic in CI, never their speed, and it is
// never shipped. The launch syntax kernel<<<grid, block, shared, stream>>>(args) is rewritten to
// atrous_emu::launch(...) by emulate_cuda_source.cmake before compiling (C++ cannot parse <<<).
// Nothing here defines __CUDACC__ or __CUDA_ARCH__: host_device.h takes its host branch.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <tuple>
#include <utility>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
// Blocks run one at a time and their threads share one OS thread, so a function-local static is
// exactly one block's shared memory.
#define __shared__ static
#define __align__(n) __attribute__((aligned(n)))
#define __launch_bounds__(...)

struct CUstream_st;
using cudaStream_t = CUstream_st*;

enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInvalidDevicePointer = 17,
  cudaErrorLaunchFailure = 719,
};

enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
};

struct uint3 {
  unsigned x, y, z;
};
struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  constexpr dim3(unsigned vx = 1, unsigned vy = 1, unsigned vz = 1) : x(vx), y(vy), z(vz) {}
};
struct alignas(16) float4 {
  float x, y, z, w;
};
struct alignas(16) double2 {
  double x, y;
};
struct alignas(8) float2 {
  float x, y;
};
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
inline double2 make_double2(double x, double y) { return {x, y}; }
inline float2 make_float2(float x, float y) { return {x, y}; }

struct cudaDeviceProp {
  char name[256];
  int major, minor, multiProcessorCount;
};

using cudaMemPool_t = struct EmulatedMemPool*;
enum cudaMemPoolAttr { cudaMemPoolAttrReleaseThreshold = 4 };

// The runtime API subset our sources call (cuda_emulator.cpp).
cudaError_t cudaGetDeviceCount(int* count);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device);
cudaError_t cudaGetLastError();
cudaError_t cudaPeekAtLastError();
cudaError_t cudaDeviceSynchronize();
cudaError_t cudaStreamSynchronize(cudaStream_t stream);
const char* cudaGetErrorName(cudaError_t e);
const char* cudaGetErrorString(cudaError_t e);
cudaError_t cudaMalloc(void** p, size_t bytes);
cudaError_t cudaFree(void* p);
cudaError_t cudaMallocAsync(void** p, size_t bytes, cudaStream_t stream);
cudaError_t cudaFreeAsync(void* p, cudaStream_t stream);
cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream);
cudaError_t cudaMemset(void* p, int value, size_t bytes);
cudaError_t cudaMemsetAsync(void* p, int value, size_t bytes, cudaStream_t stream = nullptr);
cudaError_t cudaMemset2DAsync(void* p, size_t pitch, int value, size_t width, size_t height,
                              cudaStream_t stream = nullptr);
cudaError_t cudaDeviceGetDefaultMemPool(cudaMemPool_t* pool, int device);
cudaError_t cudaMemPoolSetAttribute(cudaMemPool_t pool, cudaMemPoolAttr attr, void* value);

namespace atrous_emu {

// The emulated thread now running: its indices, and its block's and grid's shape.
struct ThreadIndices {
  uint3 thread, block;
  dim3 blockShape, gridShape;
};
extern const ThreadIndices* current;

void syncThreads();
void syncWarp(unsigned mask);
unsigned matchAny(unsigned mask, unsigned long long value);

struct Config {
  dim3 grid, block;
  size_t sharedBytes;
  cudaStream_t stream;
  Config(dim3 g, dim3 b, size_t shared = 0, cudaStream_t s = nullptr) : grid(g), block(b), sharedBytes(shared), stream(s) {}
};

// Runs body once per thread of every block of config (or records cudaErrorInvalidConfiguration).
void run(const Config& config, const char* kernelName, const std::function<void()>& body);

// kernel<<<config>>>(args...): the arguments are copied once, as CUDA copies them into the launch;
// every thread calls kernel (a lambda around the kernel's name) with those copies.
template <class Kernel, class... Args>
void launch(const Config& config, const char* kernelName, Kernel kernel, Args&&... args) {
  const std::tuple<std::decay_t<Args>...> copied(std::forward<Args>(args)...);
  run(config, kernelName, [&] { std::apply(kernel, copied); });
}

}  // namespace atrous_emu

#define threadIdx (::atrous_emu::current->thread)
#define blockIdx (::atrous_emu::current->block)
#define blockDim (::atrous_emu::current->blockShape)
#define gridDim (::atrous_emu::current->gridShape)
constexpr int warpSize = 32;

inline void __syncthreads() { atrous_emu::syncThreads(); }
inline void __syncwarp(unsigned mask = 0xffffffffu) { atrous_emu::syncWarp(mask); }
template <class T>
unsigned __match_any_sync(unsigned mask, T value) {
  static_assert(sizeof(T) <= 8, "__match_any_sync takes 32- or 64-bit values");
  unsigned long long bits = 0;
  std::memcpy(&bits, &value, sizeof(T));
  return atrous_emu::matchAny(mask, bits);
}
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __ffs(unsigned x) { return __builtin_ffs(static_cast<int>(x)); }

// Round-to-nearest arithmetic: g++ for baseline x86-64 never fuses a*b+c, so plain operators are exact.
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dmul_rn(double a, double b) { return a * b; }

// Atomics: one emulated thread runs at a time, so a plain read-modify-write is atomic.
template <class T>
T atomicMin(T* p, T v) {
  const T old = *p;
  if (v < old) *p = v;
  return old;
}
template <class T>
T atomicAdd(T* p, T v) {
  const T old = *p;
  *p = old + v;
  return old;
}

// CUDA's global min/max overloads for device code.
#define ATROUS_EMU_MINMAX(T)                       \
  inline T min(T a, T b) { return b < a ? b : a; } \
  inline T max(T a, T b) { return a < b ? b : a; }
ATROUS_EMU_MINMAX(int)
ATROUS_EMU_MINMAX(unsigned)
ATROUS_EMU_MINMAX(long)
ATROUS_EMU_MINMAX(unsigned long)
ATROUS_EMU_MINMAX(long long)
ATROUS_EMU_MINMAX(unsigned long long)
#undef ATROUS_EMU_MINMAX
