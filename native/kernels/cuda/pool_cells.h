// The per-cell arithmetic of the CUDA pooling kernels, in the CPU kernels' order (cpu/pool.cpp):
// one output of a forward, or one input cell's gradient gathered from the windows that hold it,
// added in the CPU's output order. The host tests run these same functions against the CPU kernels.
#pragma once
#include <cmath>
#include <cstdint>

#include "../cpu/pool.h"
#include "host_device.h"

namespace atrous::cuda::poolcell {

ATROUS_HD int64_t maxOf(int64_t a, int64_t b) { return a > b ? a : b; }
ATROUS_HD int64_t minOf(int64_t a, int64_t b) { return a < b ? a : b; }

// The first window index i with i * stride >= num, i.e. ceil(num / stride) clamped at 0.
ATROUS_HD int64_t firstWindowFrom(int64_t num, int64_t stride) { return num <= 0 ? 0 : (num + stride - 1) / stride; }

// Output (oh, ow) of max pooling plane xp, and its argmax (flat index in the plane). Padding is never
// picked; the first of equal maxima stays; a NaN wins (the last NaN, as the CPU loop goes).
ATROUS_HD float maxPoolOutput(const float* xp, const Nchw& x, const PoolWindow& p, int64_t oh, int64_t ow,
                              int32_t* argmax) {
  const int64_t h0 = oh * p.strideH - p.padH, w0 = ow * p.strideW - p.padW;
  const int64_t hs = maxOf(h0, 0), he = minOf(h0 + p.kernelH, x.h);
  const int64_t ws = maxOf(w0, 0), we = minOf(w0 + p.kernelW, x.w);
  float best = -INFINITY;
  int64_t bestIndex = hs * x.w + ws;  // PyTorch's choice when every value is -inf
  for (int64_t ih = hs; ih < he; ++ih)
    for (int64_t iw = ws; iw < we; ++iw) {
      const float v = xp[ih * x.w + iw];
      if (v > best || isNan(v)) {
        best = v;
        bestIndex = ih * x.w + iw;
      }
    }
  *argmax = static_cast<int32_t>(bestIndex);
  return best;
}

// count_include_pad: the divisor counts the window's padded cells (clipped to the padded input).
ATROUS_HD int64_t avgDivisor(const Nchw& x, const PoolWindow& p, int64_t oh, int64_t ow) {
  const int64_t h0 = oh * p.strideH - p.padH, w0 = ow * p.strideW - p.padW;
  const int64_t h1 = minOf(h0 + p.kernelH, x.h + p.padH), w1 = minOf(w0 + p.kernelW, x.w + p.padW);
  return (h1 - h0) * (w1 - w0);
}

ATROUS_HD float avgPoolOutput(const float* xp, const Nchw& x, const PoolWindow& p, int64_t oh, int64_t ow) {
  const int64_t h0 = oh * p.strideH - p.padH, w0 = ow * p.strideW - p.padW;
  const int64_t hs = maxOf(h0, 0), he = minOf(h0 + p.kernelH, x.h);
  const int64_t ws = maxOf(w0, 0), we = minOf(w0 + p.kernelW, x.w);
  double s = 0;
  for (int64_t ih = hs; ih < he; ++ih)
    for (int64_t iw = ws; iw < we; ++iw) s += xp[ih * x.w + iw];
  return static_cast<float>(s / static_cast<double>(avgDivisor(x, p, oh, ow)));
}

// dx at input cell (ih, iw) of one plane: the sum over the windows holding it of dy / divisor, in
// output order (the order the CPU's scatter adds them in), from 0.
ATROUS_HD float avgPoolInputGradient(const float* gp, const Nchw& x, const PoolWindow& p, const Nchw& y, int64_t ih,
                                     int64_t iw) {
  // Window oh holds ih when oh*s - pad <= ih < oh*s - pad + kernel.
  const int64_t ohFirst = firstWindowFrom(ih + p.padH - p.kernelH + 1, p.strideH);
  const int64_t ohLast = minOf(y.h - 1, (ih + p.padH) / p.strideH);
  const int64_t owFirst = firstWindowFrom(iw + p.padW - p.kernelW + 1, p.strideW);
  const int64_t owLast = minOf(y.w - 1, (iw + p.padW) / p.strideW);
  float acc = 0.f;
  for (int64_t oh = ohFirst; oh <= ohLast; ++oh)
    for (int64_t ow = owFirst; ow <= owLast; ++ow)
      acc = addRn(acc, gp[oh * y.w + ow] / static_cast<float>(avgDivisor(x, p, oh, ow)));
  return acc;
}

// Adaptive window i of `in` cells pooled to `out`: [floor(i*in/out), ceil((i+1)*in/out)).
ATROUS_HD int64_t adaptiveStart(int64_t i, int64_t in, int64_t out) { return i * in / out; }
ATROUS_HD int64_t adaptiveEnd(int64_t i, int64_t in, int64_t out) { return ((i + 1) * in + out - 1) / out; }

ATROUS_HD float adaptiveAvgOutput(const float* xp, const Nchw& x, const Nchw& y, int64_t oh, int64_t ow) {
  const int64_t hs = adaptiveStart(oh, x.h, y.h), he = adaptiveEnd(oh, x.h, y.h);
  const int64_t ws = adaptiveStart(ow, x.w, y.w), we = adaptiveEnd(ow, x.w, y.w);
  double s = 0;
  for (int64_t ih = hs; ih < he; ++ih)
    for (int64_t iw = ws; iw < we; ++iw) s += xp[ih * x.w + iw];
  return static_cast<float>(s / static_cast<double>((he - hs) * (we - ws)));
}

ATROUS_HD float adaptiveAvgInputGradient(const float* gp, const Nchw& x, const Nchw& y, int64_t ih, int64_t iw) {
  // Window o holds i when floor(o*in/out) <= i < ceil((o+1)*in/out): o from floor(i*out/in) to
  // ceil((i+1)*out/in) - 1.
  const int64_t ohFirst = ih * y.h / x.h, ohLast = minOf(y.h - 1, ((ih + 1) * y.h + x.h - 1) / x.h - 1);
  const int64_t owFirst = iw * y.w / x.w, owLast = minOf(y.w - 1, ((iw + 1) * y.w + x.w - 1) / x.w - 1);
  float acc = 0.f;
  for (int64_t oh = ohFirst; oh <= ohLast; ++oh) {
    const int64_t rows = adaptiveEnd(oh, x.h, y.h) - adaptiveStart(oh, x.h, y.h);
    for (int64_t ow = owFirst; ow <= owLast; ++ow) {
      const int64_t count = rows * (adaptiveEnd(ow, x.w, y.w) - adaptiveStart(ow, x.w, y.w));
      acc = addRn(acc, gp[oh * y.w + ow] / static_cast<float>(count));
    }
  }
  return acc;
}

}  // namespace atrous::cuda::poolcell
