#include "im2col.h"

#include "launch.h"

namespace atrous::cuda {
namespace {

// Plain integers, as in Caffe's im2col; every count and index of a tile fits in int.
struct Im2colParams {
  int channels, height, width, kernelH, kernelW, strideH, strideW, padTop, padLeft, dilationH, dilationW;
  int outW, pixelBegin, pixels, rows;
  int64_t imageStride, rowStride;
};

// One thread per column entry, consecutive threads along the pixels: coalesced writes. Pos holds
// tap positions: int unless a padded extent passes 2^31 (ConvGeometry::paddedExtentsFitInt32).
template <class Pos>
__global__ void im2colDilatedKernel(const float* __restrict__ x, float* __restrict__ col, Im2colParams p, int total) {
  const int t = blockIdx.x * blockDim.x + threadIdx.x;
  if (t >= total) return;
  const int j = t % p.pixels, rest = t / p.pixels;
  const int row = rest % p.rows, n = rest / p.rows;
  const int pixel = p.pixelBegin + j, oh = pixel / p.outW, ow = pixel % p.outW;
  const int taps = p.kernelH * p.kernelW;
  const int c = row / taps, tap = row % taps, kh = tap / p.kernelW, kw = tap % p.kernelW;
  const Pos ih = Pos(oh) * p.strideH - p.padTop + Pos(kh) * p.dilationH;
  const Pos iw = Pos(ow) * p.strideW - p.padLeft + Pos(kw) * p.dilationW;
  float v = 0.f;
  if (ih >= 0 && ih < p.height && iw >= 0 && iw < p.width)
    v = x[((int64_t(n) * p.channels + c) * p.height + ih) * p.width + iw];
  col[n * p.imageStride + row * p.rowStride + j] = v;
}

}  // namespace

Status im2colDilated(const ConvGeometry& g, const float* x, const ColumnTile& tile, float* col, Stream stream) {
  const int rows = static_cast<int>(g.inChannels * g.kernelH * g.kernelW);
  const int64_t total = tile.images * rows * tile.pixels;
  if (total == 0) return Status::ok();
  const Im2colParams p{int(g.inChannels), int(g.inH),       int(g.inW),           int(g.kernelH),
                       int(g.kernelW),    int(g.strideH),   int(g.strideW),       int(g.padTop),
                       int(g.padLeft),    int(g.dilationH), int(g.dilationW),     int(g.outW()),
                       int(tile.pixelBegin), int(tile.pixels), rows, tile.imageStride, tile.rowStride};
  if (g.paddedExtentsFitInt32())
    im2colDilatedKernel<int><<<blocksFor(total), kThreads, 0, stream>>>(x, col, p, static_cast<int>(total));
  else
    im2colDilatedKernel<int64_t><<<blocksFor(total), kThreads, 0, stream>>>(x, col, p, static_cast<int>(total));
  return launchStatus("im2colDilated", "im2colDilatedKernel");
}

}  // namespace atrous::cuda
