#include "elementwise.h"

#include <algorithm>
#include <string>

#include "../cpu/elementwise.h"
#include "../cpu/op_checks.h"
#include "launch.h"

namespace atrous::cuda {
namespace {

constexpr int kSumBlocks = 1024;           // at most; fewer for short inputs
constexpr int64_t kSumMinPerBlock = 4096;

// Grid-stride loops: any length up to 2^63 with a bounded grid.
template <class Op>
__global__ void mapBinaryKernel(const float* a, const float* b, float* out, int64_t n, Op op) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = op(a[i], b[i]);
}

template <class Op>
__global__ void mapUnaryKernel(const float* a, float* out, int64_t n, Op op) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = op(a[i]);
}

unsigned gridFor(int64_t n) { return static_cast<unsigned>(std::min<int64_t>((n + kThreads - 1) / kThreads, 65535 * 8)); }

struct AddOp { __device__ float operator()(float a, float b) const { return __fadd_rn(a, b); } };
struct SubOp { __device__ float operator()(float a, float b) const { return __fsub_rn(a, b); } };
struct MulOp { __device__ float operator()(float a, float b) const { return __fmul_rn(a, b); } };
struct AxpbyOp {
  float alpha, beta;
  __device__ float operator()(float a, float b) const { return __fadd_rn(__fmul_rn(a, alpha), __fmul_rn(b, beta)); }
};
struct ScaleShiftOp {
  float alpha, beta;
  __device__ float operator()(float a) const { return __fadd_rn(__fmul_rn(a, alpha), beta); }
};
struct ReluOp { __device__ float operator()(float v) const { return v < 0.f ? 0.f : v; } };
struct ReluBackwardOp { __device__ float operator()(float x, float g) const { return x <= 0.f ? 0.f : g; } };
struct FillOp {
  float value;
  __device__ float operator()(float) const { return value; }
};

template <class Op>
Status launchBinary(const char* fn, ConstFloatSpan a, ConstFloatSpan b, FloatSpan out, Op op, Stream stream) {
  if (a.size == 0) return Status::ok();
  mapBinaryKernel<<<gridFor(a.size), kThreads, 0, stream>>>(a.data, b.data, out.data, a.size, op);
  return launchStatus(fn, "mapBinaryKernel");
}

Status checkBinary(const char* fn, const char* aArg, ConstFloatSpan a, const char* bArg, ConstFloatSpan b,
                   const char* outArg, FloatSpan out) {
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, bArg, b.size, a.size));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, outArg, out.size, a.size));
  ATROUS_RETURN_IF_ERROR(opcheck::sameOrDisjoint(fn, outArg, out.data, out.size, aArg, a.data, a.size));
  return opcheck::sameOrDisjoint(fn, outArg, out.data, out.size, bArg, b.data, b.size);
}

Status checkUnary(const char* fn, const char* inArg, ConstFloatSpan in, const char* outArg, FloatSpan out) {
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, outArg, out.size, in.size));
  return opcheck::sameOrDisjoint(fn, outArg, out.data, out.size, inArg, in.data, in.size);
}

__global__ void addChannelBiasKernel(const float* a, const float* __restrict__ bias, int64_t channels, int64_t inner,
                                     float* out, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = __fadd_rn(a[i], bias[(i / inner) % channels]);
}

// Block b sums x[i] (or x[i]²) over [b * chunk, min((b+1) * chunk, n)) with a fixed per-thread
// stride, then a tree.
template <bool kSquares>
__global__ void blockSumsKernel(const float* __restrict__ x, int64_t n, int64_t chunk, double* __restrict__ partial) {
  const int64_t begin = blockIdx.x * chunk, end = min(begin + chunk, n);
  double v = 0;
  for (int64_t i = begin + threadIdx.x; i < end; i += blockDim.x) {
    const double e = x[i];
    v = __dadd_rn(v, kSquares ? __dmul_rn(e, e) : e);
  }
  const double total = blockSum(v);
  if (threadIdx.x == 0) partial[blockIdx.x] = total;
}

// One block: the partial sums in a fixed order.
__global__ void finalSumKernel(const double* __restrict__ partial, int blocks, double* __restrict__ result) {
  double v = 0;
  for (int i = threadIdx.x; i < blocks; i += blockDim.x) v += partial[i];
  const double total = blockSum(v);
  if (threadIdx.x == 0) *result = total;
}

// Fixed blocks by x's length alone, then their partial sums in order: the same on any device.
template <bool kSquares>
Status blockedSum(const char* fn, ConstFloatSpan x, double* deviceResult, Stream stream) {
  if (deviceResult == nullptr) return Status::error(std::string(fn) + ": result expects a device pointer, but got null");
  if (x.size < 0) return Status::error(std::string(fn) + ": x expects a length >= 0, but got " + std::to_string(x.size));
  const int64_t blocks = std::clamp<int64_t>((x.size + kSumMinPerBlock - 1) / kSumMinPerBlock, 1, kSumBlocks);
  const int64_t chunk = (x.size + blocks - 1) / blocks;
  StreamScratch partial(stream);
  ATROUS_RETURN_IF_ERROR(partial.allocate(sizeof(double) * blocks, fn));
  blockSumsKernel<kSquares><<<unsigned(blocks), kThreads, 0, stream>>>(x.data, x.size, chunk, partial.as<double>());
  ATROUS_RETURN_IF_ERROR(launchStatus(fn, "blockSumsKernel"));
  finalSumKernel<<<1, kThreads, 0, stream>>>(partial.as<double>(), int(blocks), deviceResult);
  return launchStatus(fn, "finalSumKernel");
}

}  // namespace

Status add(ConstFloatSpan a, ConstFloatSpan b, FloatSpan out, Stream stream) {
  ATROUS_RETURN_IF_ERROR(checkBinary("add (cuda)", "a", a, "b", b, "out", out));
  return launchBinary("add (cuda)", a, b, out, AddOp{}, stream);
}

Status sub(ConstFloatSpan a, ConstFloatSpan b, FloatSpan out, Stream stream) {
  ATROUS_RETURN_IF_ERROR(checkBinary("sub (cuda)", "a", a, "b", b, "out", out));
  return launchBinary("sub (cuda)", a, b, out, SubOp{}, stream);
}

Status addChannelBias(ConstFloatSpan a, ConstFloatSpan bias, int64_t channels, int64_t inner, FloatSpan out,
                      Stream stream) {
  const char* fn = "addChannelBias (cuda)";
  ATROUS_RETURN_IF_ERROR(validateAddChannelBias(fn, a, bias, channels, inner, out));
  if (a.size == 0) return Status::ok();
  addChannelBiasKernel<<<gridFor(a.size), kThreads, 0, stream>>>(a.data, bias.data, channels, inner, out.data, a.size);
  return launchStatus(fn, "addChannelBiasKernel");
}

Status mul(ConstFloatSpan a, ConstFloatSpan b, FloatSpan out, Stream stream) {
  ATROUS_RETURN_IF_ERROR(checkBinary("mul (cuda)", "a", a, "b", b, "out", out));
  return launchBinary("mul (cuda)", a, b, out, MulOp{}, stream);
}

Status axpby(ConstFloatSpan a, float alpha, ConstFloatSpan b, float beta, FloatSpan out, Stream stream) {
  ATROUS_RETURN_IF_ERROR(checkBinary("axpby (cuda)", "a", a, "b", b, "out", out));
  return launchBinary("axpby (cuda)", a, b, out, AxpbyOp{alpha, beta}, stream);
}

Status reluBackward(ConstFloatSpan x, ConstFloatSpan dy, FloatSpan dx, Stream stream) {
  ATROUS_RETURN_IF_ERROR(checkBinary("reluBackward (cuda)", "x", x, "dy", dy, "dx", dx));
  return launchBinary("reluBackward (cuda)", x, dy, dx, ReluBackwardOp{}, stream);
}

Status scaleShift(ConstFloatSpan a, float alpha, float beta, FloatSpan out, Stream stream) {
  ATROUS_RETURN_IF_ERROR(checkUnary("scaleShift (cuda)", "a", a, "out", out));
  if (a.size == 0) return Status::ok();
  mapUnaryKernel<<<gridFor(a.size), kThreads, 0, stream>>>(a.data, out.data, a.size, ScaleShiftOp{alpha, beta});
  return launchStatus("scaleShift (cuda)", "mapUnaryKernel");
}

Status relu(ConstFloatSpan x, FloatSpan out, Stream stream) {
  ATROUS_RETURN_IF_ERROR(checkUnary("relu (cuda)", "x", x, "out", out));
  if (x.size == 0) return Status::ok();
  mapUnaryKernel<<<gridFor(x.size), kThreads, 0, stream>>>(x.data, out.data, x.size, ReluOp{});
  return launchStatus("relu (cuda)", "mapUnaryKernel");
}

Status fill(FloatSpan out, float value, Stream stream) {
  if (out.size == 0) return Status::ok();
  mapUnaryKernel<<<gridFor(out.size), kThreads, 0, stream>>>(out.data, out.data, out.size, FillOp{value});
  return launchStatus("fill (cuda)", "mapUnaryKernel");
}

Status sum(ConstFloatSpan x, double* deviceResult, Stream stream) {
  return blockedSum<false>("sum (cuda)", x, deviceResult, stream);
}

Status sumSquares(ConstFloatSpan x, double* deviceResult, Stream stream) {
  return blockedSum<true>("sumSquares (cuda)", x, deviceResult, stream);
}

}  // namespace atrous::cuda
