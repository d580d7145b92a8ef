#include "pool.h"

#include <algorithm>

#include "../cpu/op_checks.h"
#include "device_checks.h"
#include "launch.h"
#include "pool_cells.h"

namespace atrous::cuda {
namespace {

constexpr int kWarpsPerBlock = kThreads / 32;

unsigned gridFor(int64_t items) { return static_cast<unsigned>(std::min<int64_t>((items + kThreads - 1) / kThreads, 65535 * 8)); }

#define ATROUS_GRID_STRIDE(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

__global__ void maxPoolForwardKernel(const float* __restrict__ x, Nchw xs, PoolWindow p, Nchw ys, float* __restrict__ y,
                                     int32_t* __restrict__ argmax, int64_t total) {
  const int64_t inPlane = xs.h * xs.w, outPlane = ys.h * ys.w;
  ATROUS_GRID_STRIDE(o, total) {
    const int64_t plane = o / outPlane, r = o % outPlane;
    int32_t a = 0;
    y[o] = poolcell::maxPoolOutput(x + plane * inPlane, xs, p, r / ys.w, r % ys.w, &a);
    argmax[o] = a;
  }
}

__global__ void avgPoolForwardKernel(const float* __restrict__ x, Nchw xs, PoolWindow p, Nchw ys, float* __restrict__ y,
                                     int64_t total) {
  const int64_t inPlane = xs.h * xs.w, outPlane = ys.h * ys.w;
  ATROUS_GRID_STRIDE(o, total) {
    const int64_t plane = o / outPlane, r = o % outPlane;
    y[o] = poolcell::avgPoolOutput(x + plane * inPlane, xs, p, r / ys.w, r % ys.w);
  }
}

__global__ void avgPoolBackwardKernel(const float* __restrict__ dy, Nchw xs, PoolWindow p, Nchw ys,
                                      float* __restrict__ dx, int64_t total) {
  const int64_t inPlane = xs.h * xs.w, outPlane = ys.h * ys.w;
  ATROUS_GRID_STRIDE(i, total) {
    const int64_t plane = i / inPlane, r = i % inPlane;
    dx[i] = poolcell::avgPoolInputGradient(dy + plane * outPlane, xs, p, ys, r / xs.w, r % xs.w);
  }
}

__global__ void adaptiveForwardKernel(const float* __restrict__ x, Nchw xs, Nchw ys, float* __restrict__ y,
                                      int64_t total) {
  const int64_t inPlane = xs.h * xs.w, outPlane = ys.h * ys.w;
  ATROUS_GRID_STRIDE(o, total) {
    const int64_t plane = o / outPlane, r = o % outPlane;
    y[o] = poolcell::adaptiveAvgOutput(x + plane * inPlane, xs, ys, r / ys.w, r % ys.w);
  }
}

__global__ void adaptiveBackwardKernel(const float* __restrict__ dy, Nchw xs, Nchw ys, float* __restrict__ dx,
                                       int64_t total) {
  const int64_t inPlane = xs.h * xs.w, outPlane = ys.h * ys.w;
  ATROUS_GRID_STRIDE(i, total) {
    const int64_t plane = i / inPlane, r = i % inPlane;
    dx[i] = poolcell::adaptiveAvgInputGradient(dy + plane * outPlane, xs, ys, r / xs.w, r % xs.w);
  }
}

// One warp per plane: zero it, then take the outputs 32 at a time in order. Lanes whose argmax
// match form a group; its first lane adds the group's dy in lane (= output) order, so every dx cell
// sees exactly the CPU's sequence of additions, and no two lanes write one cell at once.
__global__ void maxPoolBackwardKernel(const float* __restrict__ dy, const int32_t* __restrict__ argmax,
                                      float* __restrict__ dx, int64_t planes, int64_t inPlane, int64_t outPlane) {
  __shared__ float values[kThreads];
  const int lane = threadIdx.x & 31;
  float* chunk = values + (threadIdx.x & ~31u);
  for (int64_t plane = blockIdx.x * int64_t(kWarpsPerBlock) + (threadIdx.x >> 5); plane < planes;
       plane += int64_t(gridDim.x) * kWarpsPerBlock) {
    float* dxp = dx + plane * inPlane;
    const float* g = dy + plane * outPlane;
    const int32_t* a = argmax + plane * outPlane;
    for (int64_t i = lane; i < inPlane; i += 32) dxp[i] = 0.f;
    __syncwarp();
    for (int64_t base = 0; base < outPlane; base += 32) {
      const int64_t o = base + lane;
      const bool active = o < outPlane;
      const int32_t target = active ? a[o] : -1 - lane;  // idle lanes get keys no argmax has
      chunk[lane] = active ? g[o] : 0.f;
      const unsigned peers = __match_any_sync(0xffffffffu, target);
      __syncwarp();
      if (active && lane == __ffs(peers) - 1) {
        float acc = dxp[target];
        for (unsigned m = peers; m != 0; m &= m - 1) acc = __fadd_rn(acc, chunk[__ffs(m) - 1]);
        dxp[target] = acc;
      }
      __syncwarp();  // the chunk's values and dx writes settle before the next chunk
    }
  }
}

}  // namespace

Status maxPool2dForward(const Nchw& x, const PoolWindow& p, ConstFloatSpan xData, FloatSpan y, Int32Span argmax,
                        Stream stream) {
  const char* fn = "maxPool2dForward (cuda)";
  ATROUS_RETURN_IF_ERROR(validateMaxPoolForward(fn, x, p, xData, y, argmax));
  const Nchw ys = pooledShape(x, p);
  maxPoolForwardKernel<<<gridFor(ys.size()), kThreads, 0, stream>>>(xData.data, x, p, ys, y.data, argmax.data,
                                                                     ys.size());
  return launchStatus(fn, "maxPoolForwardKernel");
}

Status maxPool2dBackward(const Nchw& x, const Nchw& y, ConstFloatSpan dy, ConstInt32Span argmax, FloatSpan dx,
                         Stream stream) {
  const char* fn = "maxPool2dBackward (cuda)";
  ATROUS_RETURN_IF_ERROR(validateMaxPoolBackward(fn, x, y));
  ATROUS_RETURN_IF_ERROR(validatePoolLengths(fn, "dy", dy.size, y.size(), "dx", dx, x.size(), dy.data));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "argmax", argmax.size, y.size()));
  ATROUS_RETURN_IF_ERROR(opcheck::disjoint(fn, "dx", dx.data, dx.size * 4, "argmax", argmax.data, argmax.size * 4));
  ATROUS_RETURN_IF_ERROR(
      checkIndicesOnDevice(fn, "argmax", "an index", argmax.data, argmax.size, x.planeSize(), stream));
  const int64_t blocks = std::min<int64_t>((x.planes() + kWarpsPerBlock - 1) / kWarpsPerBlock, 65535 * 8);
  maxPoolBackwardKernel<<<unsigned(blocks), kThreads, 0, stream>>>(dy.data, argmax.data, dx.data, x.planes(),
                                                                    x.planeSize(), y.planeSize());
  return launchStatus(fn, "maxPoolBackwardKernel");
}

Status avgPool2dForward(const Nchw& x, const PoolWindow& p, ConstFloatSpan xData, FloatSpan y, Stream stream) {
  const char* fn = "avgPool2dForward (cuda)";
  ATROUS_RETURN_IF_ERROR(validatePool(fn, x, p));
  const Nchw ys = pooledShape(x, p);
  ATROUS_RETURN_IF_ERROR(validatePoolLengths(fn, "x", xData.size, x.size(), "y", y, ys.size(), xData.data));
  avgPoolForwardKernel<<<gridFor(ys.size()), kThreads, 0, stream>>>(xData.data, x, p, ys, y.data, ys.size());
  return launchStatus(fn, "avgPoolForwardKernel");
}

Status avgPool2dBackward(const Nchw& x, const PoolWindow& p, ConstFloatSpan dy, FloatSpan dx, Stream stream) {
  const char* fn = "avgPool2dBackward (cuda)";
  ATROUS_RETURN_IF_ERROR(validatePool(fn, x, p));
  const Nchw ys = pooledShape(x, p);
  ATROUS_RETURN_IF_ERROR(validatePoolLengths(fn, "dy", dy.size, ys.size(), "dx", dx, x.size(), dy.data));
  avgPoolBackwardKernel<<<gridFor(x.size()), kThreads, 0, stream>>>(dy.data, x, p, ys, dx.data, x.size());
  return launchStatus(fn, "avgPoolBackwardKernel");
}

Status adaptiveAvgPool2dForward(const Nchw& x, int64_t outH, int64_t outW, ConstFloatSpan xData, FloatSpan y,
                                Stream stream) {
  const char* fn = "adaptiveAvgPool2dForward (cuda)";
  ATROUS_RETURN_IF_ERROR(validateAdaptivePool(fn, x, outH, outW));
  const Nchw ys{x.n, x.c, outH, outW};
  ATROUS_RETURN_IF_ERROR(validatePoolLengths(fn, "x", xData.size, x.size(), "y", y, ys.size(), xData.data));
  adaptiveForwardKernel<<<gridFor(ys.size()), kThreads, 0, stream>>>(xData.data, x, ys, y.data, ys.size());
  return launchStatus(fn, "adaptiveForwardKernel");
}

Status adaptiveAvgPool2dBackward(const Nchw& x, int64_t outH, int64_t outW, ConstFloatSpan dy, FloatSpan dx,
                                 Stream stream) {
  const char* fn = "adaptiveAvgPool2dBackward (cuda)";
  ATROUS_RETURN_IF_ERROR(validateAdaptivePool(fn, x, outH, outW));
  const Nchw ys{x.n, x.c, outH, outW};
  ATROUS_RETURN_IF_ERROR(validatePoolLengths(fn, "dy", dy.size, ys.size(), "dx", dx, x.size(), dy.data));
  adaptiveBackwardKernel<<<gridFor(x.size()), kThreads, 0, stream>>>(dy.data, x, ys, dx.data, x.size());
  return launchStatus(fn, "adaptiveBackwardKernel");
}

}  // namespace atrous::cuda
