#include "conv_depthwise.h"

#include <algorithm>
#include <climits>

#include "launch.h"

namespace atrous::cuda {
namespace {

// The weight gradient cuts each weight element's sum into chunks until about this many blocks run
// (a few per SM on the largest devices) ...
constexpr int64_t kWeightTargetBlocks = 1024;
// ... but gives every chunk at least this many terms, so that the tree sums stay a small part.
constexpr int64_t kMinTermsPerChunk = 16 * kThreads;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Blocks for a grid-stride loop over n items: one item per thread up to a cap, then threads loop.
unsigned gridStrideBlocks(int64_t n) {
  return static_cast<unsigned>(std::min<int64_t>(ceilDiv(n, kThreads), 65535 * 8));
}

// The geometry in the kernels' index type: int where every position and product fits (always, but
// for paddings or strides near 2^31), since 64-bit division costs several times 32-bit on the device.
template <class Index>
struct DepthwiseShape {
  Index inChannels, outChannels, multiplier, inH, inW, outH, outW, kernelH, kernelW;
  Index strideH, strideW, padTop, padLeft, dilationH, dilationW;
};

template <class Index>
DepthwiseShape<Index> shapeOf(const ConvGeometry& g) {
  return {Index(g.inChannels), Index(g.outChannels), Index(g.outChannelsPerGroup()), Index(g.inH),
          Index(g.inW),        Index(g.outH()),      Index(g.outW()),                Index(g.kernelH),
          Index(g.kernelW),    Index(g.strideH),     Index(g.strideW),               Index(g.padTop),
          Index(g.padLeft),    Index(g.dilationH),   Index(g.dilationW)};
}

#define ATROUS_GRID_STRIDE(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

// One thread per output element (consecutive threads along a row: coalesced writes and reads).
template <class Index>
__global__ void depthwiseForwardKernel(const float* __restrict__ x, const float* __restrict__ w,
                                       const float* __restrict__ bias, float* __restrict__ y, DepthwiseShape<Index> s,
                                       int64_t total) {
  ATROUS_GRID_STRIDE(e, total) {
    const Index o = Index(e);
    const Index ow = o % s.outW, rows = o / s.outW, oh = rows % s.outH, plane = rows / s.outH;
    const Index co = plane % s.outChannels, n = plane / s.outChannels;
    const float* xp = x + (n * s.inChannels + co / s.multiplier) * s.inH * s.inW;
    const float* wk = w + co * s.kernelH * s.kernelW;
    const Index ih0 = oh * s.strideH - s.padTop, iw0 = ow * s.strideW - s.padLeft;
    float acc = bias != nullptr ? bias[co] : 0.f;
    for (Index kh = 0; kh < s.kernelH; ++kh) {
      const Index ih = ih0 + kh * s.dilationH;
      if (ih < 0 || ih >= s.inH) continue;
      const float* xr = xp + ih * s.inW;
      const float* wr = wk + kh * s.kernelW;
      for (Index kw = 0; kw < s.kernelW; ++kw) {
        const Index iw = iw0 + kw * s.dilationW;
        if (iw >= 0 && iw < s.inW) acc += wr[kw] * xr[iw];
      }
    }
    y[e] = acc;
  }
}

// The output position o that reads padded position t (= o * stride), if there is one below out.
template <class Index>
__device__ inline bool outputReading(Index t, Index stride, Index out, Index* o) {
  if (t < 0) return false;
  if (stride == 1) {
    *o = t;
  } else {
    if (t % stride != 0) return false;
    *o = t / stride;
  }
  return *o < out;
}

// One thread per input element: the sum over its taps (kh, kw) whose output position exists, and
// over its group's output channels, in that order.
template <class Index>
__global__ void depthwiseBackwardDataKernel(const float* __restrict__ dy, const float* __restrict__ w,
                                            float* __restrict__ dx, DepthwiseShape<Index> s, int64_t total) {
  const Index taps = s.kernelH * s.kernelW, outPlane = s.outH * s.outW;
  ATROUS_GRID_STRIDE(e, total) {
    const Index i = Index(e);
    const Index iw = i % s.inW, rows = i / s.inW, ih = rows % s.inH, plane = rows / s.inH;
    const Index ci = plane % s.inChannels, n = plane / s.inChannels;
    const Index co0 = ci * s.multiplier;  // the group's first output channel
    const float* dyp = dy + (n * s.outChannels + co0) * outPlane;
    const float* wg = w + co0 * taps;
    const Index th0 = ih + s.padTop, tw0 = iw + s.padLeft;
    float acc = 0.f;
    for (Index kh = 0; kh < s.kernelH; ++kh) {
      Index oh;
      if (!outputReading(th0 - kh * s.dilationH, s.strideH, s.outH, &oh)) continue;
      for (Index kw = 0; kw < s.kernelW; ++kw) {
        Index ow;
        if (!outputReading(tw0 - kw * s.dilationW, s.strideW, s.outW, &ow)) continue;
        const float* d = dyp + oh * s.outW + ow;
        const float* wt = wg + kh * s.kernelW + kw;
        for (Index m = 0; m < s.multiplier; ++m) acc += wt[m * taps] * d[m * outPlane];
      }
    }
    dx[e] = acc;
  }
}

// floor(a / b) and ceil(a / b) for b > 0, without the a + b - 1 that could overflow Index.
template <class Index>
__device__ inline Index floorDivide(Index a, Index b) { return a / b - (a % b != 0 && a < 0); }
template <class Index>
__device__ inline Index ceilDivide(Index a, Index b) { return a / b + (a % b != 0 && a > 0); }

// Outputs o in [*lo, *hi) whose input position o * stride + offset lies in [0, in).
template <class Index>
__device__ inline void outputsInside(Index offset, Index stride, Index in, Index out, Index* lo, Index* hi) {
  *lo = max(Index(0), ceilDivide(-offset, stride));
  *hi = max(*lo, min(out, floorDivide(in - 1 - offset, stride) + 1));
}

// Block (weight element, chunk): the chunk's share of the sum over (n, oh, ow) of dy * x for the
// element's tap, only over the outputs whose tap lands inside the input (no bounds checks, and
// none of the padding's work). Float64 per thread, then the block's fixed tree. With one chunk the
// block writes dw; else its partial, summed by sumChunksKernel.
template <class Index>
__global__ void depthwiseBackwardWeightKernel(const float* __restrict__ x, const float* __restrict__ dy,
                                              DepthwiseShape<Index> s, Index batch, int chunks,
                                              double* __restrict__ partial, float* __restrict__ dw) {
  const Index weight = Index(blockIdx.x), taps = s.kernelH * s.kernelW;
  const Index co = weight / taps, tap = weight % taps, kh = tap / s.kernelW, kw = tap % s.kernelW;
  const Index offH = kh * s.dilationH - s.padTop, offW = kw * s.dilationW - s.padLeft;
  Index ohLo, ohHi, owLo, owHi;
  outputsInside(offH, s.strideH, s.inH, s.outH, &ohLo, &ohHi);
  outputsInside(offW, s.strideW, s.inW, s.outW, &owLo, &owHi);
  const Index rows = ohHi - ohLo, cols = owHi - owLo;
  const int64_t terms = int64_t(batch) * rows * cols, perChunk = (terms + chunks - 1) / chunks;
  const int64_t begin = blockIdx.y * perChunk, end = min(terms, begin + perChunk);
  const float* xc = x + co / s.multiplier * s.inH * s.inW;
  const float* dyc = dy + co * s.outH * s.outW;
  const Index xImage = s.inChannels * s.inH * s.inW, dyImage = s.outChannels * s.outH * s.outW;
  double sum = 0;
  for (int64_t t = begin + threadIdx.x; t < end; t += blockDim.x) {
    const Index e = Index(t);  // < batch * OH * OW: fits
    const Index ow = owLo + e % cols, r = e / cols, oh = ohLo + r % rows, n = r / rows;
    const float d = dyc[n * dyImage + oh * s.outW + ow];
    const float v = xc[n * xImage + (oh * s.strideH + offH) * s.inW + ow * s.strideW + offW];
    sum += double(d) * double(v);
  }
  sum = blockSum(sum);
  if (threadIdx.x != 0) return;
  if (chunks == 1)
    dw[weight] = static_cast<float>(sum);
  else
    partial[int64_t(blockIdx.y) * gridDim.x + weight] = sum;
}

// dw[i] = the sum over chunks c, in order, of partial[c * count + i].
__global__ void sumChunksKernel(const double* __restrict__ partial, int chunks, int64_t count,
                                float* __restrict__ dw) {
  ATROUS_GRID_STRIDE(i, count) {
    double v = 0;
    for (int c = 0; c < chunks; ++c) v += partial[c * count + i];
    dw[i] = static_cast<float>(v);
  }
}

template <class Index>
Status forwardAs(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y, Stream stream) {
  const int64_t total = g.outputSize();
  depthwiseForwardKernel<Index><<<gridStrideBlocks(total), kThreads, 0, stream>>>(x, w, bias, y, shapeOf<Index>(g),
                                                                                  total);
  return launchStatus("convForward (cuda)", "depthwiseForwardKernel");
}

template <class Index>
Status backwardDataAs(const ConvGeometry& g, const float* dy, const float* w, float* dx, Stream stream) {
  const int64_t total = g.inputSize();
  depthwiseBackwardDataKernel<Index><<<gridStrideBlocks(total), kThreads, 0, stream>>>(dy, w, dx, shapeOf<Index>(g),
                                                                                       total);
  return launchStatus("convBackwardData (cuda)", "depthwiseBackwardDataKernel");
}

template <class Index>
Status backwardWeightAs(const ConvGeometry& g, const float* x, const float* dy, float* dw, Stream stream) {
  const char* op = "convBackwardWeight (cuda)";
  const int64_t weights = g.weightSize(), terms = g.batch * g.outH() * g.outW();  // terms: at most, per weight
  const int64_t chunks = std::max<int64_t>(1, std::min(ceilDiv(kWeightTargetBlocks, weights),
                                                       ceilDiv(terms, kMinTermsPerChunk)));
  StreamScratch partial(stream);
  if (chunks > 1) ATROUS_RETURN_IF_ERROR(partial.allocate(sizeof(double) * chunks * weights, op));
  const dim3 grid(static_cast<unsigned>(weights), static_cast<unsigned>(chunks));
  depthwiseBackwardWeightKernel<Index><<<grid, kThreads, 0, stream>>>(x, dy, shapeOf<Index>(g), Index(g.batch),
                                                                      int(chunks), partial.as<double>(), dw);
  ATROUS_RETURN_IF_ERROR(launchStatus(op, "depthwiseBackwardWeightKernel"));
  if (chunks == 1) return Status::ok();
  sumChunksKernel<<<gridStrideBlocks(weights), kThreads, 0, stream>>>(partial.as<double>(), int(chunks), weights, dw);
  return launchStatus(op, "sumChunksKernel");
}

}  // namespace

Status depthwiseForward(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y,
                        Stream stream) {
  return g.paddedExtentsFitInt32() ? forwardAs<int>(g, x, w, bias, y, stream) : forwardAs<int64_t>(g, x, w, bias, y, stream);
}

Status depthwiseBackwardData(const ConvGeometry& g, const float* dy, const float* w, float* dx, Stream stream) {
  return g.paddedExtentsFitInt32() ? backwardDataAs<int>(g, dy, w, dx, stream) : backwardDataAs<int64_t>(g, dy, w, dx, stream);
}

Status depthwiseBackwardWeight(const ConvGeometry& g, const float* x, const float* dy, float* dw, Stream stream) {
  return g.paddedExtentsFitInt32() ? backwardWeightAs<int>(g, x, dy, dw, stream)
                          : backwardWeightAs<int64_t>(g, x, dy, dw, stream);
}

}  // namespace atrous::cuda
