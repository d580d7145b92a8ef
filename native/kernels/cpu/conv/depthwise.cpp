#include "depthwise.h"

#include <algorithm>
#include <vector>

#include "depthwise_rows.h"
#include "../parallel_ranges.h"
#include "../reusable_scratch.h"
#include "../thread_pool.h"
#include "../../portability.h"

namespace atrous {
namespace {

inline int64_t floorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
inline int64_t ceilDiv(int64_t a, int64_t b) { return -floorDiv(-a, b); }

// Outputs o in [lo, hi) whose input position o*stride + offset lies in [0, in).
inline void validRange(int64_t offset, int64_t stride, int64_t in, int64_t out, int64_t* lo, int64_t* hi) {
  *lo = std::clamp<int64_t>(ceilDiv(-offset, stride), 0, out);
  *hi = std::clamp<int64_t>(floorDiv(in - 1 - offset, stride) + 1, *lo, out);
}

// Stride 1. Per kernel column kw, a copy of one input channel's zero-padded plane cut to the OW
// columns that column's taps read: shifted[kw][r][ow] = xPad[r][ow + kw * dilationW], PH rows each.
// It has the output's row pitch, so tap (kh, kw) over output rows [r0, r1) is the flat range
// shifted[kw] from row r0 + kh * dilationH, as long as the output rows themselves: whole planes or
// bands in one vector pass, with no border cases and no per-row calls.
void shiftColumns(const ConvGeometry& g, const float* plane, float* shifted) {
  const int64_t H = g.inH, W = g.inW, OW = g.outW(), PH = H + g.padTop + g.padBottom;
  for (int64_t kw = 0; kw < g.kernelW; ++kw) {
    float* d = shifted + kw * PH * OW;
    const int64_t shift = kw * g.dilationW - g.padLeft;  // d[r][ow] = x[r - padTop][ow + shift]
    const int64_t lo = std::clamp<int64_t>(-shift, 0, OW), hi = std::clamp<int64_t>(W - shift, lo, OW);
    for (int64_t r = 0; r < PH; ++r, d += OW) {
      const int64_t ih = r - g.padTop;
      if (ih < 0 || ih >= H) {
        std::fill(d, d + OW, 0.f);
        continue;
      }
      std::fill(d, d + lo, 0.f);
      std::copy(plane + ih * W + lo + shift, plane + ih * W + hi + shift, d + lo);
      std::fill(d + hi, d + OW, 0.f);
    }
  }
}

// padded[r][c] = plane[r - padTop][c - padLeft], zero outside the plane: every float is written once,
// so the buffer needs no zero fill of its own.
void padPlane(const ConvGeometry& g, const float* plane, float* padded) {
  const int64_t H = g.inH, W = g.inW, PW = W + g.padLeft + g.padRight;
  std::fill(padded, padded + g.padTop * PW, 0.f);
  float* row = padded + g.padTop * PW;
  for (int64_t ih = 0; ih < H; ++ih, row += PW) {
    std::fill(row, row + g.padLeft, 0.f);
    std::copy(plane + ih * W, plane + (ih + 1) * W, row + g.padLeft);
    std::fill(row + g.padLeft + W, row + PW, 0.f);
  }
  std::fill(row, row + g.padBottom * PW, 0.f);
}

}  // namespace

// Stride 1, from shiftColumns' copies: an output plane takes all its taps in one vector pass (one
// call per plane, where the padded rows made one call and one fill per output row: L1 of the training
// CNN, 28-wide rows, 64 x 32 x 28 of them). The copies serve all the channel's outputs; each output
// adds its taps in the same order as the row path, so the sums are the same.
void depthwiseForwardShifted(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y) {
  const int64_t OH = g.outH(), OW = g.outW(), H = g.inH, W = g.inW, KH = g.kernelH, KW = g.kernelW;
  const int64_t PH = H + g.padTop + g.padBottom, mult = g.outChannelsPerGroup(), plane = PH * OW;
  const depthwise::RowKernels& rows = depthwise::activeRowKernels();
  parallelEach(g.batch * g.inChannels, mult * OH * OW * KH * KW, [&](int64_t task) {
    const int64_t n = task / g.inChannels, ci = task % g.inChannels;
    thread_local ReusableScratch scratch;
    float* shifted = scratch.floats(KW * plane);  // [kw][PH][OW]
    shiftColumns(g, x + (n * g.inChannels + ci) * H * W, shifted);
    const float* tapSrc[64];
    for (int64_t kh = 0; kh < KH; ++kh)
      for (int64_t kw = 0; kw < KW; ++kw) tapSrc[kh * KW + kw] = shifted + kw * plane + kh * g.dilationH * OW;
    for (int64_t co = ci * mult; co < (ci + 1) * mult; ++co) {
      float* yp = y + (n * g.outChannels + co) * OH * OW;
      std::fill(yp, yp + OH * OW, bias ? bias[co] : 0.f);
      rows.accumulateTaps(yp, tapSrc, w + co * KH * KW, static_cast<int>(KH * KW), OH * OW);
    }
  });
}

// Stride-1 rows: the plane is copied once into a zero-padded buffer, so that every tap of every
// output row lands inside it and a row takes all its taps in one vector pass, with no border cases.
// Each thread takes runs of consecutive planes (parallelRanges), so its reads and writes stream.
void depthwiseForwardPadded(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y) {
  const int64_t OH = g.outH(), OW = g.outW(), H = g.inH, W = g.inW, KH = g.kernelH, KW = g.kernelW;
  const int64_t PH = H + g.padTop + g.padBottom, PW = W + g.padLeft + g.padRight, mult = g.outChannelsPerGroup();
  const depthwise::RowKernels& rows = depthwise::activeRowKernels();
  parallelRanges(g.batch * g.inChannels, mult * OH * OW * KH * KW, [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      const int64_t n = task / g.inChannels, ci = task % g.inChannels;
      thread_local ReusableScratch scratch;
      float* padded = scratch.floats(PH * PW);
      padPlane(g, x + (n * g.inChannels + ci) * H * W, padded);
      const float* nextPlane = task + 1 < end ? x + (task + 1) * H * W : nullptr;
      const float* tapSrc[64];
      for (int64_t co = ci * mult; co < (ci + 1) * mult; ++co) {
        const float* wk = w + co * KH * KW;
        float* yp = y + (n * g.outChannels + co) * OH * OW;
        const float b = bias ? bias[co] : 0.f;
        for (int64_t oh = 0; oh < OH; ++oh) {
          // The next plane's rows, one per output row, fetched while this one computes (S7: 3.2 -> 3.0 ms).
          if (nextPlane && co == ci * mult && oh < H)
            for (int64_t i = 0; i < W; i += 16) port::prefetch(nextPlane + oh * W + i);
          float* yr = yp + oh * OW;
          std::fill(yr, yr + OW, b);
          for (int64_t kh = 0; kh < KH; ++kh)
            for (int64_t kw = 0; kw < KW; ++kw)
              tapSrc[kh * KW + kw] = padded + (oh * g.strideH + kh * g.dilationH) * PW + kw * g.dilationW;
          rows.accumulateTaps(yr, tapSrc, wk, static_cast<int>(KH * KW), OW);
        }
      }
    }
  });
}

void depthwiseForwardRows(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y) {
  const int64_t OH = g.outH(), OW = g.outW(), H = g.inH, W = g.inW, KH = g.kernelH, KW = g.kernelW;
  const int64_t mult = g.outChannelsPerGroup(), sw = g.strideW;
  parallelEach(g.batch * g.outChannels, OH * OW * KH * KW, [&](int64_t task) {
    const int64_t n = task / g.outChannels, co = task % g.outChannels, ci = co / mult;
    const float* xp = x + (n * g.inChannels + ci) * H * W;
    const float* wk = w + co * KH * KW;
    float* yp = y + (n * g.outChannels + co) * OH * OW;
    const float b = bias ? bias[co] : 0.f;
    for (int64_t oh = 0; oh < OH; ++oh) {
      float* yr = yp + oh * OW;
      std::fill(yr, yr + OW, b);
      for (int64_t kh = 0; kh < KH; ++kh) {
        const int64_t ih = oh * g.strideH - g.padTop + kh * g.dilationH;
        if (ih < 0 || ih >= H) continue;
        const float* xr = xp + ih * W;
        for (int64_t kw = 0; kw < KW; ++kw) {
          const int64_t off = kw * g.dilationW - g.padLeft;
          int64_t lo, hi;
          validRange(off, sw, W, OW, &lo, &hi);
          const float wv = wk[kh * KW + kw];
          for (int64_t ow = lo; ow < hi; ++ow) yr[ow] += wv * xr[ow * sw + off];
        }
      }
    }
  });
}

void depthwiseBackwardData(const ConvGeometry& g, const float* dy, const float* w, float* dx) {
  const int64_t OH = g.outH(), OW = g.outW(), H = g.inH, W = g.inW, KH = g.kernelH, KW = g.kernelW;
  const int64_t mult = g.outChannelsPerGroup(), sw = g.strideW;
  parallelEach(g.batch * g.inChannels, mult * OH * OW * KH * KW, [&](int64_t task) {
    const int64_t n = task / g.inChannels, ci = task % g.inChannels;
    float* dxp = dx + (n * g.inChannels + ci) * H * W;
    std::fill(dxp, dxp + H * W, 0.f);
    for (int64_t co = ci * mult; co < (ci + 1) * mult; ++co) {
      const float* dyp = dy + (n * g.outChannels + co) * OH * OW;
      const float* wk = w + co * KH * KW;
      for (int64_t oh = 0; oh < OH; ++oh) {
        const float* dyr = dyp + oh * OW;
        for (int64_t kh = 0; kh < KH; ++kh) {
          const int64_t ih = oh * g.strideH - g.padTop + kh * g.dilationH;
          if (ih < 0 || ih >= H) continue;
          float* dxr = dxp + ih * W;
          for (int64_t kw = 0; kw < KW; ++kw) {
            const int64_t off = kw * g.dilationW - g.padLeft;
            int64_t lo, hi;
            validRange(off, sw, W, OW, &lo, &hi);
            const float wv = wk[kh * KW + kw];
            if (sw == 1) {
              float* ds = dxr + off;
              for (int64_t ow = lo; ow < hi; ++ow) ds[ow] += wv * dyr[ow];
            } else {
              for (int64_t ow = lo; ow < hi; ++ow) dxr[ow * sw + off] += wv * dyr[ow];
            }
          }
        }
      }
    }
  });
}

// Stride 1, from shiftColumns' copies: a tap's sum over a band of output rows is one dot product of
// two flat ranges, dy's rows in place and the copy. One dot of ~1000 floats per tap and band
// instead of one per tap and output row; the copies are made once per image and input channel and
// serve all its output channels. A task is an input channel over a fixed piece of the batch (pieces
// only when there are too few channels for the threads, as in L1 of the training CNN: one input
// channel, 32 outputs, 28-wide rows, where 64 x 32 x 28 x 9 dots of 28 floats cost their reductions
// and calls); the pieces' sums are added in order, whichever thread took which.
void depthwiseBackwardWeightShifted(const ConvGeometry& g, const float* x, const float* dy, float* dw) {
  const int64_t OH = g.outH(), OW = g.outW(), H = g.inH, W = g.inW, KH = g.kernelH, KW = g.kernelW, taps = KH * KW;
  const int64_t PH = H + g.padTop + g.padBottom, mult = g.outChannelsPerGroup(), plane = PH * OW;
  const int64_t pieces = std::min<int64_t>(g.batch, (4 * numThreads() + g.inChannels - 1) / g.inChannels);
  // Rows per dot: long enough to amortise its reduction, short enough that each float lane sums a
  // few dozen products before the double accumulation.
  constexpr int64_t kBandFloats = 1024;
  const int64_t bandRows = std::max<int64_t>(1, kBandFloats / OW);
  const depthwise::RowKernels& rows = depthwise::activeRowKernels();
  std::vector<double> partial(static_cast<size_t>(pieces * g.outChannels * taps), 0.0);  // [piece][co][tap]
  parallelFor(g.inChannels * pieces, [&](int64_t task) {
    const int64_t ci = task / pieces, piece = task % pieces;
    thread_local ReusableScratch scratch;
    float* shifted = scratch.floats(KW * plane);  // [kw][PH][OW]
    for (int64_t n = g.batch * piece / pieces, nEnd = g.batch * (piece + 1) / pieces; n < nEnd; ++n) {
      shiftColumns(g, x + (n * g.inChannels + ci) * H * W, shifted);
      for (int64_t co = ci * mult; co < (ci + 1) * mult; ++co) {
        const float* dyp = dy + (n * g.outChannels + co) * OH * OW;
        double* acc = partial.data() + (piece * g.outChannels + co) * taps;
        for (int64_t r0 = 0; r0 < OH; r0 += bandRows) {
          const int64_t length = (std::min(OH, r0 + bandRows) - r0) * OW;
          for (int64_t kh = 0; kh < KH; ++kh)
            for (int64_t kw = 0; kw < KW; ++kw)
              acc[kh * KW + kw] +=
                  rows.dot(dyp + r0 * OW, shifted + kw * plane + (r0 + kh * g.dilationH) * OW, length);
        }
      }
    }
  });
  for (int64_t i = 0; i < g.outChannels * taps; ++i) {
    double sum = 0;
    for (int64_t piece = 0; piece < pieces; ++piece) sum += partial[piece * g.outChannels * taps + i];
    dw[i] = static_cast<float>(sum);
  }
}

void depthwiseBackwardWeightRows(const ConvGeometry& g, const float* x, const float* dy, float* dw) {
  const int64_t OH = g.outH(), OW = g.outW(), H = g.inH, W = g.inW, KH = g.kernelH, KW = g.kernelW;
  const int64_t mult = g.outChannelsPerGroup(), sw = g.strideW;
  const depthwise::RowKernels& rows = depthwise::activeRowKernels();
  parallelFor(g.outChannels, [&](int64_t co) {
    const int64_t ci = co / mult;
    std::vector<double> acc(static_cast<size_t>(KH * KW), 0.0);  // long sums: accumulate rows in double
    for (int64_t n = 0; n < g.batch; ++n) {
      const float* xp = x + (n * g.inChannels + ci) * H * W;
      const float* dyp = dy + (n * g.outChannels + co) * OH * OW;
      for (int64_t oh = 0; oh < OH; ++oh) {
        const float* dyr = dyp + oh * OW;
        for (int64_t kh = 0; kh < KH; ++kh) {
          const int64_t ih = oh * g.strideH - g.padTop + kh * g.dilationH;
          if (ih < 0 || ih >= H) continue;
          const float* xr = xp + ih * W;
          for (int64_t kw = 0; kw < KW; ++kw) {
            const int64_t off = kw * g.dilationW - g.padLeft;
            int64_t lo, hi;
            validRange(off, sw, W, OW, &lo, &hi);
            if (sw == 1) {
              if (hi > lo) acc[kh * KW + kw] += rows.dot(dyr + lo, xr + off + lo, hi - lo);
            } else {
              double s = 0;
              for (int64_t ow = lo; ow < hi; ++ow) s += static_cast<double>(dyr[ow]) * xr[ow * sw + off];
              acc[kh * KW + kw] += s;
            }
          }
        }
      }
    }
    for (int64_t t = 0; t < KH * KW; ++t) dw[co * KH * KW + t] = static_cast<float>(acc[t]);
  });
}

}  // namespace atrous
