#include "pool.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "../checked_math.h"
#include "cpu_features.h"
#include "maxpool_rows.h"
#include "op_checks.h"
#include "parallel_ranges.h"

namespace atrous {

void maxPoolRow2x2Scalar(const float* r0, const float* r1, int64_t outW, int32_t base, int32_t rowStride, float* y,
                         int32_t* argmax) {
  for (int64_t ow = 0; ow < outW; ++ow) {
    const int64_t iw = 2 * ow;
    const float v[4] = {r0[iw], r0[iw + 1], r1[iw], r1[iw + 1]};
    const int32_t at0 = base + static_cast<int32_t>(iw);
    const int32_t at[4] = {at0, at0 + 1, at0 + rowStride, at0 + rowStride + 1};
    float best = -std::numeric_limits<float>::infinity();
    int32_t bestIndex = at[0];
    for (int k = 0; k < 4; ++k) {
      const bool take = v[k] > best || v[k] != v[k];  // v != v: NaN, as std::isnan
      best = take ? v[k] : best;
      bestIndex = take ? at[k] : bestIndex;
    }
    y[ow] = best;
    argmax[ow] = bestIndex;
  }
}

namespace {

constexpr int64_t kMaxElements = 2147483647;  // 2^31 - 1

std::string pair(int64_t a, int64_t b) { return "[" + std::to_string(a) + ", " + std::to_string(b) + "]"; }
std::string shapeText(const Nchw& s) {
  return "[" + std::to_string(s.n) + ", " + std::to_string(s.c) + ", " + std::to_string(s.h) + ", " +
         std::to_string(s.w) + "]";
}

// Rows [start, end) of adaptive window i when `in` rows become `out`: floor(i*in/out), ceil((i+1)*in/out).
int64_t adaptiveStart(int64_t i, int64_t in, int64_t out) { return i * in / out; }
int64_t adaptiveEnd(int64_t i, int64_t in, int64_t out) { return ((i + 1) * in + out - 1) / out; }

// The max of rows [hs, he) x columns [ws, we) and its flat index in the plane: the first of equal
// maxima, the last NaN (PyTorch propagates it), the first cell when every value is -inf.
void windowMax(const float* xp, int64_t width, int64_t hs, int64_t he, int64_t ws, int64_t we, float* y,
               int32_t* argmax) {
  float best = -std::numeric_limits<float>::infinity();
  int64_t bestIndex = hs * width + ws;
  for (int64_t ih = hs; ih < he; ++ih)
    for (int64_t iw = ws; iw < we; ++iw) {
      const float v = xp[ih * width + iw];
      if (v > best || std::isnan(v)) {  // strict: the first of equal maxima stays
        best = v;
        bestIndex = ih * width + iw;
      }
    }
  *y = best;
  *argmax = static_cast<int32_t>(bestIndex);
}

// The common 2x2, stride-2, unpadded window: fixed trip counts, no clamping, a row at a time
// (maxpool_rows.h); same comparison order as below.
void maxPoolPlane2x2(const float* xp, const Nchw& x, const Nchw& y, float* yp, int32_t* ap) {
  const auto row = forActiveIsa<decltype(&maxPoolRow2x2Scalar)>(
      maxPoolRow2x2Scalar, nullptr, ATROUS_X86_ONLY(maxPoolRow2x2Avx512), ATROUS_ARM64_ONLY(maxPoolRow2x2Neon));
  const int32_t stride = static_cast<int32_t>(x.w);
  for (int64_t oh = 0; oh < y.h; ++oh) {
    const float* r0 = xp + 2 * oh * x.w;
    row(r0, r0 + x.w, y.w, static_cast<int32_t>(2 * oh * x.w), stride, yp + oh * y.w, ap + oh * y.w);
  }
}

void maxPoolPlane(const float* xp, const Nchw& x, const PoolWindow& p, const Nchw& y, float* yp, int32_t* ap) {
  if (p.kernelH == 2 && p.kernelW == 2 && p.strideH == 2 && p.strideW == 2 && p.padH == 0 && p.padW == 0)
    return maxPoolPlane2x2(xp, x, y, yp, ap);
  for (int64_t oh = 0; oh < y.h; ++oh) {
    const int64_t h0 = oh * p.strideH - p.padH;
    const int64_t hs = std::max<int64_t>(h0, 0), he = std::min(h0 + p.kernelH, x.h);
    for (int64_t ow = 0; ow < y.w; ++ow) {
      const int64_t w0 = ow * p.strideW - p.padW;
      const int64_t ws = std::max<int64_t>(w0, 0), we = std::min(w0 + p.kernelW, x.w);
      windowMax(xp, x.w, hs, he, ws, we, yp + oh * y.w + ow, ap + oh * y.w + ow);
    }
  }
}

// Calls body(window sum's rows [hs, he), columns [ws, we), divisor, output index) for each avg window.
template <typename Body>
void forEachAvgWindow(const Nchw& x, const PoolWindow& p, const Nchw& y, Body body) {
  for (int64_t oh = 0; oh < y.h; ++oh) {
    const int64_t h0 = oh * p.strideH - p.padH, h1 = std::min(h0 + p.kernelH, x.h + p.padH);
    const int64_t hs = std::max<int64_t>(h0, 0), he = std::min(h1, x.h);
    for (int64_t ow = 0; ow < y.w; ++ow) {
      const int64_t w0 = ow * p.strideW - p.padW, w1 = std::min(w0 + p.kernelW, x.w + p.padW);
      const int64_t ws = std::max<int64_t>(w0, 0), we = std::min(w1, x.w);
      body(hs, he, ws, we, (h1 - h0) * (w1 - w0), oh * y.w + ow);  // padded cells count in the divisor
    }
  }
}

template <typename Body>
void forEachAdaptiveWindow(const Nchw& x, const Nchw& y, Body body) {
  for (int64_t oh = 0; oh < y.h; ++oh) {
    const int64_t hs = adaptiveStart(oh, x.h, y.h), he = adaptiveEnd(oh, x.h, y.h);
    for (int64_t ow = 0; ow < y.w; ++ow) {
      const int64_t ws = adaptiveStart(ow, x.w, y.w), we = adaptiveEnd(ow, x.w, y.w);
      body(hs, he, ws, we, (he - hs) * (we - ws), oh * y.w + ow);
    }
  }
}

double windowSum(const float* xp, int64_t width, int64_t hs, int64_t he, int64_t ws, int64_t we) {
  double s = 0;
  for (int64_t ih = hs; ih < he; ++ih)
    for (int64_t iw = ws; iw < we; ++iw) s += xp[ih * width + iw];
  return s;
}

void windowAdd(float* dxp, int64_t width, int64_t hs, int64_t he, int64_t ws, int64_t we, float g) {
  for (int64_t ih = hs; ih < he; ++ih)
    for (int64_t iw = ws; iw < we; ++iw) dxp[ih * width + iw] += g;
}

// Runs body(plane) over the N*C planes, in parallel when there is enough work.
template <typename Body>
void forEachPlane(const Nchw& x, const Nchw& y, Body body) {
  parallelRanges(x.planes(), std::max(x.planeSize(), y.planeSize()), [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) body(plane);
  });
}

}  // namespace

Status Nchw::validate(const char* fn, const char* arg) const {
  const int64_t dims[4] = {n, c, h, w};
  int64_t count = 0;
  if (n < 1 || c < 1 || h < 1 || w < 1)
    return Status::error(std::string(fn) + ": " + arg + " expects every dim >= 1, but got " + shapeText(*this));
  if (!checkedProduct(dims, 4, &count) || count > kMaxElements)
    return Status::error(std::string(fn) + ": " + arg + " expects at most 2^31-1 elements, but got shape " +
                         shapeText(*this));
  return Status::ok();
}

Status validatePool(const char* fn, const Nchw& x, const PoolWindow& p) {
  ATROUS_RETURN_IF_ERROR(x.validate(fn, "xShape"));
  const std::string f(fn);
  if (p.kernelH < 1 || p.kernelW < 1 || p.kernelH > kMaxElements || p.kernelW > kMaxElements)
    return Status::error(f + ": kernel expects integers in 1..2^31-1, but got " + pair(p.kernelH, p.kernelW));
  if (p.strideH < 1 || p.strideW < 1 || p.strideH > kMaxElements || p.strideW > kMaxElements)
    return Status::error(f + ": stride expects integers in 1..2^31-1, but got " + pair(p.strideH, p.strideW));
  if (p.padH < 0 || p.padW < 0 || 2 * p.padH > p.kernelH || 2 * p.padW > p.kernelW)
    return Status::error(f + ": padding expects integers in 0..kernel/2 (kernel " + pair(p.kernelH, p.kernelW) +
                         "), but got " + pair(p.padH, p.padW));
  if (x.h + 2 * p.padH < p.kernelH || x.w + 2 * p.padW < p.kernelW)
    return Status::error(f + ": output would be empty: xShape " + shapeText(x) + " with padding " +
                         pair(p.padH, p.padW) + " is smaller than kernel " + pair(p.kernelH, p.kernelW));
  const Nchw y = pooledShape(x, p);
  const int64_t dims[4] = {y.n, y.c, y.h, y.w};
  int64_t count = 0;
  if (!checkedProduct(dims, 4, &count) || count > kMaxElements)
    return Status::error(f + ": output expects at most 2^31-1 elements, but shape " + shapeText(y) + " has more");
  return Status::ok();
}

Nchw pooledShape(const Nchw& x, const PoolWindow& p) {
  return Nchw{x.n, x.c, (x.h + 2 * p.padH - p.kernelH) / p.strideH + 1, (x.w + 2 * p.padW - p.kernelW) / p.strideW + 1};
}

Status validatePoolLengths(const char* fn, const char* inArg, long long inSize, long long inWant, const char* outArg,
                           FloatSpan out, long long outWant, const void* in) {
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, inArg, inSize, inWant));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, outArg, out.size, outWant));
  return opcheck::disjoint(fn, outArg, out.data, out.size * 4, inArg, in, inSize * 4);
}

Status validateMaxPoolForward(const char* fn, const Nchw& x, const PoolWindow& p, ConstFloatSpan xData, FloatSpan y,
                              Int32Span argmax) {
  ATROUS_RETURN_IF_ERROR(validatePool(fn, x, p));
  const Nchw ys = pooledShape(x, p);
  ATROUS_RETURN_IF_ERROR(validatePoolLengths(fn, "x", xData.size, x.size(), "y", y, ys.size(), xData.data));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "argmax", argmax.size, ys.size()));
  ATROUS_RETURN_IF_ERROR(
      opcheck::disjoint(fn, "argmax", argmax.data, argmax.size * 4, "x", xData.data, xData.size * 4));
  return opcheck::disjoint(fn, "argmax", argmax.data, argmax.size * 4, "y", y.data, y.size * 4);
}

Status maxPool2dForward(const Nchw& x, const PoolWindow& p, ConstFloatSpan xData, FloatSpan y, Int32Span argmax) {
  ATROUS_RETURN_IF_ERROR(validateMaxPoolForward("maxPool2dForward", x, p, xData, y, argmax));
  const Nchw ys = pooledShape(x, p);
  forEachPlane(x, ys, [&](int64_t plane) {
    maxPoolPlane(xData.data + plane * x.planeSize(), x, p, ys, y.data + plane * ys.planeSize(),
                 argmax.data + plane * ys.planeSize());
  });
  return Status::ok();
}

Status validateMaxPoolBackward(const char* fn, const Nchw& x, const Nchw& y) {
  ATROUS_RETURN_IF_ERROR(x.validate(fn, "xShape"));
  ATROUS_RETURN_IF_ERROR(y.validate(fn, "yShape"));
  if (x.n != y.n || x.c != y.c)
    return Status::error(std::string(fn) + ": yShape expects the batch and channels of xShape " + shapeText(x) +
                         ", but got " + shapeText(y));
  return Status::ok();
}

Status maxPool2dBackward(const Nchw& x, const Nchw& y, ConstFloatSpan dy, ConstInt32Span argmax, FloatSpan dx) {
  const char* fn = "maxPool2dBackward";
  ATROUS_RETURN_IF_ERROR(validateMaxPoolBackward(fn, x, y));
  ATROUS_RETURN_IF_ERROR(validatePoolLengths(fn, "dy", dy.size, y.size(), "dx", dx, x.size(), dy.data));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "argmax", argmax.size, y.size()));
  ATROUS_RETURN_IF_ERROR(opcheck::disjoint(fn, "dx", dx.data, dx.size * 4, "argmax", argmax.data, argmax.size * 4));
  const int64_t planeSize = x.planeSize();
  for (int64_t o = 0; o < argmax.size; ++o)  // all checked before anything is written
    if (argmax.data[o] < 0 || argmax.data[o] >= planeSize)
      return Status::error(std::string(fn) + ": argmax[" + std::to_string(o) + "] expects an index in [0, " +
                           std::to_string(planeSize) + "), but got " + std::to_string(argmax.data[o]));
  forEachPlane(x, y, [&](int64_t plane) {
    float* dxp = dx.data + plane * planeSize;
    const float* g = dy.data + plane * y.planeSize();
    const int32_t* a = argmax.data + plane * y.planeSize();
    std::memset(dxp, 0, static_cast<size_t>(planeSize) * sizeof(float));
    for (int64_t o = 0; o < y.planeSize(); ++o) dxp[a[o]] += g[o];
  });
  return Status::ok();
}

Status avgPool2dForward(const Nchw& x, const PoolWindow& p, ConstFloatSpan xData, FloatSpan y) {
  const char* fn = "avgPool2dForward";
  ATROUS_RETURN_IF_ERROR(validatePool(fn, x, p));
  const Nchw ys = pooledShape(x, p);
  ATROUS_RETURN_IF_ERROR(validatePoolLengths(fn, "x", xData.size, x.size(), "y", y, ys.size(), xData.data));
  forEachPlane(x, ys, [&](int64_t plane) {
    const float* xp = xData.data + plane * x.planeSize();
    float* yp = y.data + plane * ys.planeSize();
    forEachAvgWindow(x, p, ys, [&](int64_t hs, int64_t he, int64_t ws, int64_t we, int64_t divisor, int64_t o) {
      yp[o] = static_cast<float>(windowSum(xp, x.w, hs, he, ws, we) / static_cast<double>(divisor));
    });
  });
  return Status::ok();
}

Status avgPool2dBackward(const Nchw& x, const PoolWindow& p, ConstFloatSpan dy, FloatSpan dx) {
  const char* fn = "avgPool2dBackward";
  ATROUS_RETURN_IF_ERROR(validatePool(fn, x, p));
  const Nchw ys = pooledShape(x, p);
  ATROUS_RETURN_IF_ERROR(validatePoolLengths(fn, "dy", dy.size, ys.size(), "dx", dx, x.size(), dy.data));
  forEachPlane(x, ys, [&](int64_t plane) {
    float* dxp = dx.data + plane * x.planeSize();
    const float* g = dy.data + plane * ys.planeSize();
    std::memset(dxp, 0, static_cast<size_t>(x.planeSize()) * sizeof(float));
    forEachAvgWindow(x, p, ys, [&](int64_t hs, int64_t he, int64_t ws, int64_t we, int64_t divisor, int64_t o) {
      windowAdd(dxp, x.w, hs, he, ws, we, g[o] / static_cast<float>(divisor));
    });
  });
  return Status::ok();
}

Status validateAdaptivePool(const char* fn, const Nchw& x, int64_t outH, int64_t outW) {
  ATROUS_RETURN_IF_ERROR(x.validate(fn, "xShape"));
  if (outH < 1 || outW < 1 || outH > kMaxElements || outW > kMaxElements)
    return Status::error(std::string(fn) + ": outHW expects integers in 1..2^31-1, but got " + pair(outH, outW));
  const int64_t dims[4] = {x.n, x.c, outH, outW};
  int64_t count = 0;
  if (!checkedProduct(dims, 4, &count) || count > kMaxElements)
    return Status::error(std::string(fn) + ": output expects at most 2^31-1 elements, but shape " +
                         shapeText(Nchw{x.n, x.c, outH, outW}) + " has more");
  return Status::ok();
}

Status adaptiveAvgPool2dForward(const Nchw& x, int64_t outH, int64_t outW, ConstFloatSpan xData, FloatSpan y) {
  const char* fn = "adaptiveAvgPool2dForward";
  ATROUS_RETURN_IF_ERROR(validateAdaptivePool(fn, x, outH, outW));
  const Nchw ys{x.n, x.c, outH, outW};
  ATROUS_RETURN_IF_ERROR(validatePoolLengths(fn, "x", xData.size, x.size(), "y", y, ys.size(), xData.data));
  forEachPlane(x, ys, [&](int64_t plane) {
    const float* xp = xData.data + plane * x.planeSize();
    float* yp = y.data + plane * ys.planeSize();
    forEachAdaptiveWindow(x, ys, [&](int64_t hs, int64_t he, int64_t ws, int64_t we, int64_t count, int64_t o) {
      yp[o] = static_cast<float>(windowSum(xp, x.w, hs, he, ws, we) / static_cast<double>(count));
    });
  });
  return Status::ok();
}

Status adaptiveMaxPool2dForward(const Nchw& x, int64_t outH, int64_t outW, ConstFloatSpan xData, FloatSpan y,
                                Int32Span argmax) {
  const char* fn = "adaptiveMaxPool2dForward";
  ATROUS_RETURN_IF_ERROR(validateAdaptivePool(fn, x, outH, outW));
  const Nchw ys{x.n, x.c, outH, outW};
  ATROUS_RETURN_IF_ERROR(validatePoolLengths(fn, "x", xData.size, x.size(), "y", y, ys.size(), xData.data));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "argmax", argmax.size, ys.size()));
  ATROUS_RETURN_IF_ERROR(
      opcheck::disjoint(fn, "argmax", argmax.data, argmax.size * 4, "x", xData.data, xData.size * 4));
  ATROUS_RETURN_IF_ERROR(opcheck::disjoint(fn, "argmax", argmax.data, argmax.size * 4, "y", y.data, y.size * 4));
  forEachPlane(x, ys, [&](int64_t plane) {
    const float* xp = xData.data + plane * x.planeSize();
    float* yp = y.data + plane * ys.planeSize();
    int32_t* ap = argmax.data + plane * ys.planeSize();
    forEachAdaptiveWindow(x, ys, [&](int64_t hs, int64_t he, int64_t ws, int64_t we, int64_t, int64_t o) {
      windowMax(xp, x.w, hs, he, ws, we, yp + o, ap + o);
    });
  });
  return Status::ok();
}

Status adaptiveAvgPool2dBackward(const Nchw& x, int64_t outH, int64_t outW, ConstFloatSpan dy, FloatSpan dx) {
  const char* fn = "adaptiveAvgPool2dBackward";
  ATROUS_RETURN_IF_ERROR(validateAdaptivePool(fn, x, outH, outW));
  const Nchw ys{x.n, x.c, outH, outW};
  ATROUS_RETURN_IF_ERROR(validatePoolLengths(fn, "dy", dy.size, ys.size(), "dx", dx, x.size(), dy.data));
  forEachPlane(x, ys, [&](int64_t plane) {
    float* dxp = dx.data + plane * x.planeSize();
    const float* g = dy.data + plane * ys.planeSize();
    std::memset(dxp, 0, static_cast<size_t>(x.planeSize()) * sizeof(float));
    forEachAdaptiveWindow(x, ys, [&](int64_t hs, int64_t he, int64_t ws, int64_t we, int64_t count, int64_t o) {
      windowAdd(dxp, x.w, hs, he, ws, we, g[o] / static_cast<float>(count));
    });
  });
  return Status::ok();
}

}  // namespace atrous
