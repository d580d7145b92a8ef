#include "im2col.h"

#include "launch.h"

namespace atrous::cuda {
namespace {

struct Col2imParams {
  int channels, height, width, kernelH, kernelW, strideH, strideW, padTop, padLeft, dilationH, dilationW;
  int outH, outW, pixelBegin, pixels;
  int64_t imageStride, rowStride;
  bool accumulate;
};

// One thread per input pixel: it walks its taps (kh, kw), keeps those whose output pixel
// ((ih + padTop - kh*dh) / sh, likewise for w) exists and lies in the tile, and sums their entries.
// Pos holds tap positions: int unless a padded extent passes 2^31 (paddedExtentsFitInt32).
template <class Pos>
__global__ void col2imDilatedKernel(const float* __restrict__ col, float* __restrict__ dx, Col2imParams p, int total) {
  const int t = blockIdx.x * blockDim.x + threadIdx.x;
  if (t >= total) return;
  const int iw = t % p.width, ih = (t / p.width) % p.height;
  const int c = (t / (p.width * p.height)) % p.channels, n = t / (p.width * p.height * p.channels);
  const float* image = col + n * p.imageStride;
  float sum = 0.f;
  for (int kh = 0; kh < p.kernelH; ++kh) {
    const Pos hNum = Pos(ih) + p.padTop - Pos(kh) * p.dilationH;  // = oh * strideH when the tap reads (ih, .)
    if (hNum < 0) break;                                          // decreases with kh
    if (hNum % p.strideH != 0) continue;
    const Pos oh = hNum / p.strideH;
    if (oh >= p.outH) continue;
    for (int kw = 0; kw < p.kernelW; ++kw) {
      const Pos wNum = Pos(iw) + p.padLeft - Pos(kw) * p.dilationW;
      if (wNum < 0) break;
      if (wNum % p.strideW != 0) continue;
      const Pos ow = wNum / p.strideW;
      if (ow >= p.outW) continue;
      const int j = int(oh) * p.outW + int(ow) - p.pixelBegin;  // oh < outH, ow < outW: a plane index
      if (j < 0 || j >= p.pixels) continue;
      const int row = (c * p.kernelH + kh) * p.kernelW + kw;
      sum += image[row * p.rowStride + j];
    }
  }
  dx[t] = p.accumulate ? dx[t] + sum : sum;
}

}  // namespace

Status col2imDilated(const ConvGeometry& g, const float* col, const ColumnTile& tile, bool accumulate, float* dx,
                     Stream stream) {
  const int64_t total = tile.images * g.inChannels * g.inH * g.inW;
  if (total == 0) return Status::ok();
  const Col2imParams p{int(g.inChannels), int(g.inH),       int(g.inW),       int(g.kernelH),      int(g.kernelW),
                       int(g.strideH),    int(g.strideW),   int(g.padTop),    int(g.padLeft),      int(g.dilationH),
                       int(g.dilationW),  int(g.outH()),    int(g.outW()),    int(tile.pixelBegin), int(tile.pixels),
                       tile.imageStride,  tile.rowStride,   accumulate};
  if (g.paddedExtentsFitInt32())
    col2imDilatedKernel<int><<<blocksFor(total), kThreads, 0, stream>>>(col, dx, p, static_cast<int>(total));
  else
    col2imDilatedKernel<int64_t><<<blocksFor(total), kThreads, 0, stream>>>(col, dx, p, static_cast<int>(total));
  return launchStatus("col2imDilated", "col2imDilatedKernel");
}

}  // namespace atrous::cuda
