#include "stride_fold.h"

#include <algorithm>
#include <cstring>
#include <numeric>

#include "../parallel_ranges.h"

namespace atrous {
namespace {

struct AxisFold {
  int64_t factor, in, stride, padBefore, padAfter, dilation;
};

// Folds one axis (input `in`, `out` outputs, kernel k). The folded input keeps the subsampled
// positions [0, in') that some output reads; the trailing padding makes the output size `out` again.
// Returns false when nothing folds or when every tap lands in the leading padding.
bool foldAxis(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t padBefore, int64_t dilation,
              AxisFold* a) {
  // With one tap the dilation never moves a read.
  const int64_t f = std::gcd(stride, std::gcd(padBefore, k == 1 ? int64_t{0} : dilation));
  if (f <= 1) return false;
  a->factor = f;
  a->stride = stride / f;
  a->padBefore = padBefore / f;
  a->dilation = k == 1 ? 1 : dilation / f;
  const int64_t extent = (out - 1) * a->stride + a->dilation * (k - 1) + 1;  // padded positions read
  const int64_t used = extent - a->padBefore;  // subsampled positions [0, used) that some tap may read
  if (used < 1) return false;
  const int64_t available = (in + f - 1) / f;  // subsampled positions inside the input
  a->in = std::min(used, available);
  a->padAfter = used - a->in;
  return true;
}

void keepAxis(int64_t in, int64_t stride, int64_t padBefore, int64_t padAfter, int64_t dilation, AxisFold* a) {
  *a = {1, in, stride, padBefore, padAfter, dilation};
}

}  // namespace

bool planStrideFold(const ConvGeometry& g, StrideFold* fold) {
  AxisFold h, w;
  const bool foldH = foldAxis(g.inH, g.outH(), g.kernelH, g.strideH, g.padTop, g.dilationH, &h);
  const bool foldW = foldAxis(g.inW, g.outW(), g.kernelW, g.strideW, g.padLeft, g.dilationW, &w);
  if (!foldH && !foldW) return false;
  if (!foldH) keepAxis(g.inH, g.strideH, g.padTop, g.padBottom, g.dilationH, &h);
  if (!foldW) keepAxis(g.inW, g.strideW, g.padLeft, g.padRight, g.dilationW, &w);
  fold->factorH = h.factor;
  fold->factorW = w.factor;
  ConvGeometry& f = fold->folded;
  f = g;
  f.inH = h.in;
  f.strideH = h.stride;
  f.padTop = h.padBefore;
  f.padBottom = h.padAfter;
  f.dilationH = h.dilation;
  f.inW = w.in;
  f.strideW = w.stride;
  f.padLeft = w.padBefore;
  f.padRight = w.padAfter;
  f.dilationW = w.dilation;
  return true;
}

void subsampleInput(const ConvGeometry& g, const StrideFold& fold, const float* x, int64_t images, float* xs) {
  const int64_t H = g.inH, W = g.inW, SH = fold.folded.inH, SW = fold.folded.inW;
  const int64_t fH = fold.factorH, fW = fold.factorW;
  parallelRanges(images * g.inChannels, SH * SW, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const float* s = x + plane * H * W;
      float* d = xs + plane * SH * SW;
      for (int64_t i = 0; i < SH; ++i, d += SW) {
        const float* row = s + i * fH * W;
        if (fW == 1) std::memcpy(d, row, static_cast<size_t>(SW) * sizeof(float));
        else if (fW == 2) for (int64_t j = 0; j < SW; ++j) d[j] = row[2 * j];  // a constant stride vectorizes
        else for (int64_t j = 0; j < SW; ++j) d[j] = row[j * fW];
      }
    }
  });
}

void scatterSubsampled(const ConvGeometry& g, const StrideFold& fold, const float* dxs, int64_t images, float* dx) {
  const int64_t H = g.inH, W = g.inW, SH = fold.folded.inH, SW = fold.folded.inW;
  const int64_t fH = fold.factorH, fW = fold.factorW;
  parallelRanges(images * g.inChannels, H * W, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) {
      const float* s = dxs + plane * SH * SW;
      float* d = dx + plane * H * W;
      for (int64_t r = 0; r < H; ++r, d += W) {
        if (r % fH != 0 || r / fH >= SH) {
          std::fill(d, d + W, 0.f);
          continue;
        }
        const float* row = s + r / fH * SW;
        if (fW == 1) {
          std::memcpy(d, row, static_cast<size_t>(SW) * sizeof(float));
          std::fill(d + SW, d + W, 0.f);
        } else {
          std::fill(d, d + W, 0.f);
          for (int64_t j = 0; j < SW; ++j) d[j * fW] = row[j];
        }
      }
    }
  });
}

}  // namespace atrous
