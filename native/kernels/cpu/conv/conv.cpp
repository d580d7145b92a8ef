#include "conv.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "depthwise.h"
#include "direct.h"
#include "forward_channels_last.h"
#include "im2col.h"
#include "stride_fold.h"
#include "tap_regions.h"
#include "weight_channels_last.h"
#include "weight_by_tap.h"
#include "../cpu_features.h"
#include "../gemm.h"
#include "../parallel_ranges.h"
#include "../reusable_scratch.h"
#include "../thread_pool.h"

namespace atrous {
namespace {

// Below this share of taps landing inside the image, per-region GEMMs skip the padding taps.
constexpr double kTapSkipThreshold = 0.85;
// ... unless the channels-last tiles take the shape (small planes, many images) and at least this share
// of taps is inside: they multiply the padding taps too, yet beat the by-region GEMMs and the by-tap
// weight gradient by 2-3x there. Measured on 64 -> 64, 14x14, batch 64 (the training CNN's L4 and its
// dilation 3 and 4 variants: 82%, 73%, 66% inside), interleaved medians, 2 threads, loaded machine:
// fwd 17.0 -> 5.4 ms, bwd-data 17.2 -> 6.0, bwd-weight 22.5 -> 7.0 (82%); 17.1 -> 5.5, 17.1 -> 6.1,
// 20.5 -> 7.7 (66%); the minima 2-5x apart too. S1 with dilation 4 and 5 (84%, 80% inside), 1 thread:
// fwd 57 -> 36 and 60 -> 32 ms, bwd-weight 99 -> 34 ms. Below 66% unmeasured: by region as before.
constexpr double kChannelsLastOverRegion = 0.65;
// Per-thread scratch (a GEMM output or column tile) stays under this, so the conv's workspace is
// bounded whatever the layer: threads x this, plus at most two re-laid-out copies of the weight (the
// forward by region: the tap-major weight and one region's block of it).
constexpr int64_t kScratchFloats = (4ll << 20) / sizeof(float);

Status checkLength(const char* op, const char* arg, long long got, int64_t expected) {
  if (got == expected) return Status::ok();
  return Status::error(std::string(op) + ": " + arg + " expects " + std::to_string(expected) +
                       " elements, but got " + std::to_string(got));
}

Status checkBuffers(const char* op, std::initializer_list<std::pair<const char*, std::pair<long long, int64_t>>> list) {
  for (const auto& [arg, lens] : list) {
    Status s = checkLength(op, arg, lens.first, lens.second);
    if (!s.isOk()) return s;
  }
  return Status::ok();
}

// Runs body(n, group) for every image and group: spread over the pool when there are enough
// tasks to keep every thread busy (then each GEMM is serial), else one at a time with each GEMM
// using the pool itself.
template <class Body>
void forEachImageGroup(const ConvGeometry& g, Body body) {
  const int64_t tasks = g.batch * g.groups;
  if (tasks >= 2 * numThreads()) {
    parallelFor(tasks, [&](int64_t t) { body(t / g.groups, t % g.groups, /*parallelGemm=*/false); });
  } else {
    for (int64_t t = 0; t < tasks; ++t) body(t / g.groups, t % g.groups, /*parallelGemm=*/true);
  }
}

void gemm(bool parallel, bool transA, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
          const BPanelSource& B, float beta, float* C, int64_t ldc) {
  if (parallel)
    sgemmWithSource(transA, M, N, K, 1.f, A, lda, B, beta, C, ldc);
  else
    sgemmWithSourceSerial(transA, M, N, K, 1.f, A, lda, B, beta, C, ldc);
}

// Splits a window into row bands of at most maxPixels (at least one row each; a single row wider
// than that is split by columns).
std::vector<ColumnWindow> splitWindow(const ColumnWindow& w, int64_t maxPixels) {
  std::vector<ColumnWindow> parts;
  const int64_t width = w.owEnd - w.owBegin;
  if (width > maxPixels) {
    for (int64_t r = w.ohBegin; r < w.ohEnd; ++r)
      for (int64_t c = w.owBegin; c < w.owEnd; c += maxPixels)
        parts.push_back({r, r + 1, c, std::min(c + maxPixels, w.owEnd), w.khBegin, w.khEnd, w.kwBegin, w.kwEnd});
    return parts;
  }
  const int64_t bandRows = std::max<int64_t>(1, maxPixels / width);
  for (int64_t r = w.ohBegin; r < w.ohEnd; r += bandRows)
    parts.push_back({r, std::min(r + bandRows, w.ohEnd), w.owBegin, w.owEnd, w.khBegin, w.khEnd, w.kwBegin, w.kwEnd});
  return parts;
}

// The weight tap-major: out[co][kh][kw][c], so that the taps of a window are runs of whole channel rows.
std::vector<float> tapMajorWeight(const ConvGeometry& g, const float* w) {
  const int64_t cinG = g.inChannelsPerGroup(), taps = g.kernelH * g.kernelW;
  std::vector<float> out(static_cast<size_t>(g.weightSize()));
  parallelRanges(g.outChannels, cinG * taps, [&](int64_t coBegin, int64_t coEnd) {
    for (int64_t co = coBegin; co < coEnd; ++co)
      for (int64_t c = 0; c < cinG; ++c)
        for (int64_t t = 0; t < taps; ++t) out[(co * taps + t) * cinG + c] = w[(co * cinG + c) * taps + t];
  });
  return out;
}

// Weight columns of the taps in a window, tap-major: out[co][(kh, kw) restricted][c], from the
// tap-major weight (copies of whole channel rows).
std::vector<float> weightForTaps(const ConvGeometry& g, const float* wTapMajor, const ColumnWindow& win) {
  const int64_t cinG = g.inChannelsPerGroup(), taps = win.taps();
  std::vector<float> out(static_cast<size_t>(g.outChannels * cinG * taps));
  parallelRanges(g.outChannels, cinG * taps, [&](int64_t coBegin, int64_t coEnd) {
    float* d = out.data() + coBegin * cinG * taps;
    for (int64_t co = coBegin; co < coEnd; ++co)
      for (int64_t kh = win.khBegin; kh < win.khEnd; ++kh)
        for (int64_t kw = win.kwBegin; kw < win.kwEnd; ++kw, d += cinG) {
          const float* src = wTapMajor + ((co * g.kernelH + kh) * g.kernelW + kw) * cinG;
          std::copy(src, src + cinG, d);
        }
  });
  return out;
}

// Dense forward over the whole output, padding taps included: one GEMM per image and group,
// written straight into y.
void denseForwardWhole(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y) {
  const int64_t P = g.outH() * g.outW(), cinG = g.inChannelsPerGroup(), coutG = g.outChannelsPerGroup();
  const int64_t Kdim = cinG * g.kernelH * g.kernelW;
  const ColumnWindow whole = ColumnWindow::whole(g);
  forEachImageGroup(g, [&](int64_t n, int64_t grp, bool parallel) {
    float* yg = y + (n * g.outChannels + grp * coutG) * P;
    if (bias)
      for (int64_t co = 0; co < coutG; ++co) std::fill(yg + co * P, yg + (co + 1) * P, bias[grp * coutG + co]);
    ImageColumnsSource cols(g, x + (n * g.inChannels + grp * cinG) * g.inH * g.inW, cinG, whole);
    gemm(parallel, false, coutG, P, Kdim, w + grp * coutG * Kdim, Kdim, cols, bias ? 1.f : 0.f, yg, P);
  });
}

// Dense forward region by region, each region's GEMM over only the taps that land in the image.
// Regions are small (a border strip, a corner), so one GEMM covers the region in every image of the
// batch: the weight block is packed once per region, not once per image.
void denseForwardByRegion(const ConvGeometry& g, const std::vector<ColumnWindow>& windows, const float* x,
                          const float* w, const float* bias, float* y) {
  const int64_t OW = g.outW(), P = g.outH() * OW, cinG = g.inChannelsPerGroup(), coutG = g.outChannelsPerGroup();
  const int64_t imageStride = g.inChannels * g.inH * g.inW;
  const bool groupsInParallel = g.groups >= 2 * numThreads();
  const std::vector<float> wTapMajor = tapMajorWeight(g, w);
  for (const ColumnWindow& region : windows) {
    const int64_t Kr = cinG * region.taps();
    std::vector<float> wr;
    if (Kr > 0) wr = weightForTaps(g, wTapMajor.data(), region);
    const int64_t maxPixels = std::max<int64_t>(1, kScratchFloats / (coutG * g.batch));
    for (const ColumnWindow& band : splitWindow(region, maxPixels)) {
      const int64_t pixels = band.pixels(), bandW = band.owEnd - band.owBegin, columns = g.batch * pixels;
      auto oneGroup = [&](int64_t grp) {
        thread_local std::vector<float> scratch;
        scratch.resize(static_cast<size_t>(coutG * columns));
        if (Kr > 0) {
          ImageColumnsSource cols(g, x + grp * cinG * g.inH * g.inW, cinG, band, g.batch, imageStride,
                                  /*tapMajor=*/true);
          gemm(!groupsInParallel, false, coutG, columns, Kr, wr.data() + grp * coutG * Kr, Kr, cols, 0.f,
               scratch.data(), columns);
        } else {
          std::fill(scratch.begin(), scratch.end(), 0.f);  // every tap in padding: only the bias
        }
        const float* out = scratch.data();  // the calling thread's scratch, read by the pool's threads
        parallelRanges(coutG, columns, [&](int64_t coBegin, int64_t coEnd) {
          for (int64_t co = coBegin; co < coEnd; ++co) {
            const float b = bias ? bias[grp * coutG + co] : 0.f;
            const float* s = out + co * columns;
            for (int64_t n = 0; n < g.batch; ++n) {
              float* yc = y + (n * g.outChannels + grp * coutG + co) * P;
              for (int64_t r = band.ohBegin; r < band.ohEnd; ++r, s += bandW)
                for (int64_t c = 0; c < bandW; ++c) yc[r * OW + band.owBegin + c] = s[c] + b;
            }
          }
        });
      };
      if (groupsInParallel)
        parallelFor(g.groups, oneGroup);
      else
        for (int64_t grp = 0; grp < g.groups; ++grp) oneGroup(grp);
    }
  }
}

enum class ForwardPath { Depthwise, ByRegion, Direct, ChannelsLast, Dense };

// The forward path a geometry takes (windows: its tap regions, for the by-region path).
ForwardPath forwardPath(const ConvGeometry& g, std::vector<ColumnWindow>* windows) {
  if (g.inChannelsPerGroup() == 1) return ForwardPath::Depthwise;
  double validFraction = 1.0;
  *windows = tapWindows(g, &validFraction);
  if (windows->size() > 1 && validFraction < kTapSkipThreshold)
    return validFraction >= kChannelsLastOverRegion && forwardChannelsLastApplies(g) ? ForwardPath::ChannelsLast
                                                                                      : ForwardPath::ByRegion;
  if (directForwardApplies(g)) return ForwardPath::Direct;
  if (forwardChannelsLastApplies(g)) return ForwardPath::ChannelsLast;
  return ForwardPath::Dense;
}

void forwardUnfolded(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y) {
  std::vector<ColumnWindow> windows;
  switch (forwardPath(g, &windows)) {
    case ForwardPath::Depthwise: return depthwiseForward(g, x, w, bias, y);
    case ForwardPath::ByRegion: return denseForwardByRegion(g, windows, x, w, bias, y);
    case ForwardPath::Direct: return directForward(g, x, w, bias, y);
    case ForwardPath::ChannelsLast: return forwardChannelsLast(g, x, w, bias, y);
    case ForwardPath::Dense: return denseForwardWhole(g, x, w, bias, y);
  }
}

// The subsampled operand of a folded conv (see conv_stride_fold.h) for a chunk of images stays under this.
constexpr int64_t kFoldChunkFloats = (4ll << 20) / sizeof(float);

// Chunks of equal size whose subsampled planes (floatsPerImage each) fit the fold's workspace.
int64_t foldChunkImages(int64_t batch, int64_t floatsPerImage) {
  const int64_t most = std::max<int64_t>(1, kFoldChunkFloats / floatsPerImage);
  const int64_t chunks = (batch + most - 1) / most;
  return (batch + chunks - 1) / chunks;
}

void foldedForward(const ConvGeometry& g, const StrideFold& fold, const float* x, const float* w, const float* bias,
                   float* y) {
  ConvGeometry f = fold.folded;
  const int64_t perImage = f.inChannels * f.inH * f.inW, chunk = foldChunkImages(g.batch, perImage);
  thread_local std::vector<float> xs;
  xs.resize(static_cast<size_t>(chunk * perImage));
  for (int64_t n0 = 0; n0 < g.batch; n0 += chunk) {
    f.batch = std::min(chunk, g.batch - n0);
    subsampleInput(g, fold, x + n0 * g.inChannels * g.inH * g.inW, f.batch, xs.data());
    forwardUnfolded(f, xs.data(), w, bias, y + n0 * g.outChannels * g.outH() * g.outW());
  }
}

void forwardUnchecked(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y) {
  StrideFold fold;
  std::vector<ColumnWindow> windows;
  if (!planStrideFold(g, &fold)) return forwardUnfolded(g, x, w, bias, y);
  if (forwardPath(fold.folded, &windows) == ForwardPath::ChannelsLast)  // it subsamples as it copies (S6)
    return forwardChannelsLast(fold.folded, x, w, bias, y, {fold.factorH, fold.factorW, g.inH, g.inW});
  foldedForward(g, fold, x, w, bias, y);
}

// With stride 1 the data gradient is itself a convolution: of dy with the weight flipped in space
// and transposed in channels, padded by extent - pad. It then gets the forward's fused packing and
// tap skipping. Needs pad <= extent on every side (otherwise the padding would be negative).
bool backwardDataAsForward(const ConvGeometry& g, ConvGeometry* t) {
  const int64_t extH = g.dilationH * (g.kernelH - 1), extW = g.dilationW * (g.kernelW - 1);
  if (g.strideH != 1 || g.strideW != 1 || g.padTop > extH || g.padBottom > extH || g.padLeft > extW ||
      g.padRight > extW)
    return false;
  *t = g;
  t->inChannels = g.outChannels;
  t->inH = g.outH();
  t->inW = g.outW();
  t->outChannels = g.inChannels;
  t->padTop = extH - g.padTop;
  t->padBottom = extH - g.padBottom;
  t->padLeft = extW - g.padLeft;
  t->padRight = extW - g.padRight;
  return true;
}

// Into the calling thread's reusable scratch: a fresh vector per call (147 KiB for L4 of the training
// CNN) came from mmap and page-faulted every time.
const float* flippedTransposedWeight(const ConvGeometry& g, const float* w, ReusableScratch& scratch) {
  const int64_t cinG = g.inChannelsPerGroup(), coutG = g.outChannelsPerGroup(), KH = g.kernelH, KW = g.kernelW;
  float* t = scratch.floats(g.weightSize());
  for (int64_t grp = 0; grp < g.groups; ++grp)
    for (int64_t ci = 0; ci < cinG; ++ci)
      for (int64_t co = 0; co < coutG; ++co)
        for (int64_t kh = 0; kh < KH; ++kh)
          for (int64_t kw = 0; kw < KW; ++kw)
            t[((((grp * cinG + ci) * coutG + co) * KH + kh) * KW) + kw] =
                w[(((grp * coutG + co) * cinG + ci) * KH + (KH - 1 - kh)) * KW + (KW - 1 - kw)];
  return t;
}

// General data gradient: column tiles dcol = W^T dy, scattered back with col2im.
void backwardDataByColumns(const ConvGeometry& g, const float* dy, const float* w, float* dx) {
  const int64_t P = g.outH() * g.outW(), cinG = g.inChannelsPerGroup(), coutG = g.outChannelsPerGroup();
  const int64_t Kdim = cinG * g.kernelH * g.kernelW, plane = g.inH * g.inW;
  const int64_t tile = std::clamp<int64_t>(kScratchFloats / Kdim, 1, P);
  forEachImageGroup(g, [&](int64_t n, int64_t grp, bool parallel) {
    thread_local std::vector<float> columns;
    columns.resize(static_cast<size_t>(Kdim * tile));
    float* dxg = dx + (n * g.inChannels + grp * cinG) * plane;
    std::fill(dxg, dxg + cinG * plane, 0.f);
    const float* dyg = dy + (n * g.outChannels + grp * coutG) * P;
    for (int64_t p0 = 0; p0 < P; p0 += tile) {
      const int64_t pc = std::min(tile, P - p0);
      MatrixBSource dyTile(dyg + p0, P, false);
      gemm(parallel, true, Kdim, pc, coutG, w + grp * coutG * Kdim, Kdim, dyTile, 0.f, columns.data(), pc);
      col2imAdd(g, columns.data(), pc, cinG, p0, p0 + pc, dxg);
    }
  });
}

// Weight gradient dW_g += dy_ng * col_ng^T, the columns materialized in bounded tiles of pixels
// (a plain matrix lets the GEMM pack them transposed with its vectorizing packer).
void backwardWeightDense(const ConvGeometry& g, const float* x, const float* dy, float* dw) {
  const int64_t P = g.outH() * g.outW(), cinG = g.inChannelsPerGroup(), coutG = g.outChannelsPerGroup();
  const int64_t Kdim = cinG * g.kernelH * g.kernelW, plane = g.inH * g.inW, wsize = g.weightSize();
  const int threads = numThreads();
  const int64_t imageGroups = g.batch * g.groups;
  // Tiles of pixels: bounded by the scratch, and small enough that a batch of one image still
  // gives every thread tiles of its own (the column tile is built by one thread).
  int64_t tiles = (P + kScratchFloats / Kdim - 1) / std::max<int64_t>(1, kScratchFloats / Kdim);
  if (imageGroups * tiles < 2 * threads) tiles = std::min(P, (2 * threads + imageGroups - 1) / imageGroups);
  const int64_t tile = (P + tiles - 1) / tiles;
  tiles = (P + tile - 1) / tile;
  const ColumnWindow whole = ColumnWindow::whole(g);
  // Adds tile t of image n, group grp into dwOut (beta 0 when overwrite: the first term of a sum).
  auto accumulate = [&](int64_t n, int64_t grp, int64_t t, bool parallel, float* dwOut, bool overwrite) {
    thread_local std::vector<float> columns;
    columns.resize(static_cast<size_t>(Kdim * tile));
    const int64_t p0 = t * tile, pc = std::min(tile, P - p0);
    const float* dyg = dy + (n * g.outChannels + grp * coutG) * P;
    im2colTile(g, x + (n * g.inChannels + grp * cinG) * plane, cinG, whole, 1, 0, p0, pc, columns.data(), pc);
    MatrixBSource colsT(columns.data(), pc, /*trans=*/true);
    gemm(parallel, false, coutG, Kdim, pc, dyg + p0, P, colsT, overwrite ? 0.f : 1.f, dwOut + grp * coutG * Kdim, Kdim);
  };
  const int64_t tasks = imageGroups * tiles;
  if (threads > 1 && tasks >= 2 * threads && wsize * (threads - 1) <= 4 * kScratchFloats) {
    // Each thread sums its share of the tiles into its own copy of dw; the copies are added at the end.
    std::vector<std::vector<float>> partial(static_cast<size_t>(threads));
    std::fill(dw, dw + wsize, 0.f);
    parallelRun([&](int t, int count) {
      float* mine = dw;
      if (t > 0) {
        partial[t].assign(static_cast<size_t>(wsize), 0.f);
        mine = partial[t].data();
      }
      for (int64_t task = t; task < tasks; task += count) {
        const int64_t imageGroup = task / tiles;
        accumulate(imageGroup / g.groups, imageGroup % g.groups, task % tiles, false, mine, false);
      }
    });
    for (int t = 1; t < threads; ++t)
      if (!partial[t].empty())
        for (int64_t i = 0; i < wsize; ++i) dw[i] += partial[t][i];
    return;
  }
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t grp = 0; grp < g.groups; ++grp)
      for (int64_t t = 0; t < tiles; ++t) accumulate(n, grp, t, true, dw, n == 0 && t == 0);
}

// Weight gradient region by region (see denseForwardByRegion): taps that only ever land in padding
// get no work. One GEMM per region band covers every image: dW[:, band taps] = dy_band * col_band^T.
void backwardWeightByRegion(const ConvGeometry& g, const std::vector<ColumnWindow>& windows, const float* x,
                            const float* dy, float* dw) {
  const int64_t OW = g.outW(), P = g.outH() * OW, cinG = g.inChannelsPerGroup(), coutG = g.outChannelsPerGroup();
  const int64_t imageStride = g.inChannels * g.inH * g.inW, KH = g.kernelH, KW = g.kernelW;
  // Bands as large as the 16 MiB workspace goal allows: small bands make GEMMs too short in K.
  constexpr int64_t kBandFloats = 3ll << 20;
  std::fill(dw, dw + g.weightSize(), 0.f);
  std::vector<float> dyBand, colBand, dwBand;
  for (const ColumnWindow& region : windows) {
    const int64_t Kr = cinG * region.taps();
    if (Kr == 0) continue;
    const int64_t maxPixels = std::max<int64_t>(1, kBandFloats / ((Kr + coutG) * g.batch));
    for (const ColumnWindow& band : splitWindow(region, maxPixels)) {
      const int64_t pixels = band.pixels(), bandW = band.owEnd - band.owBegin, columns = g.batch * pixels;
      dyBand.resize(static_cast<size_t>(coutG * columns));
      colBand.resize(static_cast<size_t>(Kr * columns));
      dwBand.resize(static_cast<size_t>(coutG * Kr));
      for (int64_t grp = 0; grp < g.groups; ++grp) {
        parallelFor(coutG, [&](int64_t co) {  // the band's gradient rows, columns (image, pixel)
          float* d = dyBand.data() + co * columns;
          for (int64_t n = 0; n < g.batch; ++n) {
            const float* src = dy + (n * g.outChannels + grp * coutG + co) * P;
            for (int64_t r = band.ohBegin; r < band.ohEnd; ++r, d += bandW)
              std::copy(src + r * OW + band.owBegin, src + r * OW + band.owEnd, d);
          }
        });
        const int64_t taps = band.taps(), plane = g.inH * g.inW;
        parallelFor(cinG, [&](int64_t c) {  // rows are channel-major: each channel fills its own rows
          im2colTile(g, x + (grp * cinG + c) * plane, 1, band, g.batch, imageStride, 0, columns,
                     colBand.data() + c * taps * columns, columns);
        });
        MatrixBSource colsT(colBand.data(), columns, /*trans=*/true);
        gemm(true, false, coutG, Kr, columns, dyBand.data(), columns, colsT, 0.f, dwBand.data(), Kr);
        const float* s = dwBand.data();
        for (int64_t co = 0; co < coutG; ++co)
          for (int64_t c = 0; c < cinG; ++c)
            for (int64_t kh = band.khBegin; kh < band.khEnd; ++kh)
              for (int64_t kw = band.kwBegin; kw < band.kwEnd; ++kw)
                dw[(((grp * coutG + co) * cinG + c) * KH + kh) * KW + kw] += *s++;
      }
    }
  }
}

void backwardDataUnfolded(const ConvGeometry& g, const float* dy, const float* w, float* dx) {
  ConvGeometry t;
  if (backwardDataAsForward(g, &t)) {  // depthwise too: its transpose is depthwise again (multiplier 1)
    thread_local ReusableScratch weightScratch;
    forwardUnchecked(t, dy, flippedTransposedWeight(g, w, weightScratch), nullptr, dx);
  } else if (g.inChannelsPerGroup() == 1) {
    depthwiseBackwardData(g, dy, w, dx);
  } else {
    backwardDataByColumns(g, dy, w, dx);
  }
}

// The folded conv's data gradient lands on the subsampled positions; every other position of dx is zero.
// As a forward only when the channels-last tile takes it (S6: 6% faster than by columns); the GEMM
// as a forward has only Cin = 64 rows per packed column there and was 12% slower than by columns.
void foldedBackwardData(const ConvGeometry& g, const StrideFold& fold, const float* dy, const float* w, float* dx) {
  ConvGeometry f = fold.folded;
  const int64_t perImage = f.inChannels * f.inH * f.inW, chunk = foldChunkImages(g.batch, perImage);
  ConvGeometry chunkGeometry = f, t;
  chunkGeometry.batch = chunk;
  const bool asForward = backwardDataAsForward(chunkGeometry, &t) && forwardChannelsLastApplies(t);
  thread_local std::vector<float> dxs;
  dxs.resize(static_cast<size_t>(chunk * perImage));
  for (int64_t n0 = 0; n0 < g.batch; n0 += chunk) {
    f.batch = std::min(chunk, g.batch - n0);
    const float* dyChunk = dy + n0 * g.outChannels * g.outH() * g.outW();
    if (asForward) backwardDataUnfolded(f, dyChunk, w, dxs.data());
    else backwardDataByColumns(f, dyChunk, w, dxs.data());
    scatterSubsampled(g, fold, dxs.data(), f.batch, dx + n0 * g.inChannels * g.inH * g.inW);
  }
}

enum class WeightPath { Depthwise, ByTap, ByRegion, ChannelsLast, Dense };

// The weight-gradient path a geometry takes (windows: its tap regions, for the by-region path).
WeightPath weightPath(const ConvGeometry& g, std::vector<ColumnWindow>* windows = nullptr) {
  if (g.inChannelsPerGroup() == 1) return WeightPath::Depthwise;
  double validFraction = 1.0;
  std::vector<ColumnWindow> w = tapWindows(g, &validFraction);
  const bool skip = w.size() > 1 && validFraction < kTapSkipThreshold &&
                    !(validFraction >= kChannelsLastOverRegion && activeIsa() == Isa::Avx512 &&
                      backwardWeightChannelsLastApplies(g));
  if (windows) *windows = std::move(w);
  if (skip) return backwardWeightByTapApplies(g) ? WeightPath::ByTap : WeightPath::ByRegion;
  return backwardWeightChannelsLastApplies(g) ? WeightPath::ChannelsLast : WeightPath::Dense;
}

void backwardWeightUnfolded(const ConvGeometry& g, const float* x, const float* dy, float* dw) {
  std::vector<ColumnWindow> windows;
  switch (weightPath(g, &windows)) {
    case WeightPath::Depthwise: return depthwiseBackwardWeight(g, x, dy, dw);
    case WeightPath::ByTap: return backwardWeightByTap(g, x, dy, dw);
    case WeightPath::ByRegion: return backwardWeightByRegion(g, windows, x, dy, dw);  // too large for by tap
    case WeightPath::ChannelsLast: return backwardWeightChannelsLast(g, x, dy, dw);
    case WeightPath::Dense: return backwardWeightDense(g, x, dy, dw);
  }
}

// The folded conv's weight gradient of the subsampled input, summed over the chunks of images.
void foldedBackwardWeight(const ConvGeometry& g, const StrideFold& fold, const float* x, const float* dy, float* dw) {
  ConvGeometry f = fold.folded;
  if (weightPath(f) == WeightPath::ChannelsLast)  // its copy subsamples as it goes: no subsampled copy first
    return backwardWeightChannelsLast(f, x, dy, dw, {fold.factorH, fold.factorW, g.inH, g.inW});
  const int64_t perImage = f.inChannels * f.inH * f.inW, chunk = foldChunkImages(g.batch, perImage);
  const int64_t wsize = g.weightSize();
  thread_local std::vector<float> xs;
  xs.resize(static_cast<size_t>(chunk * perImage));
  std::vector<float> dwChunk(chunk < g.batch ? static_cast<size_t>(wsize) : 0);
  for (int64_t n0 = 0; n0 < g.batch; n0 += chunk) {
    f.batch = std::min(chunk, g.batch - n0);
    subsampleInput(g, fold, x + n0 * g.inChannels * g.inH * g.inW, f.batch, xs.data());
    const float* dyChunk = dy + n0 * g.outChannels * g.outH() * g.outW();
    if (n0 == 0) {
      backwardWeightUnfolded(f, xs.data(), dyChunk, dw);
      continue;
    }
    backwardWeightUnfolded(f, xs.data(), dyChunk, dwChunk.data());
    for (int64_t i = 0; i < wsize; ++i) dw[i] += dwChunk[i];
  }
}

}  // namespace

Status convForward(const ConvGeometry& g, ConstFloatSpan x, ConstFloatSpan w, ConstFloatSpan bias, FloatSpan y) {
  const char* op = "convForward";
  Status s = g.validate(op);
  if (s.isOk())
    s = checkBuffers(op, {{"input", {x.size, g.inputSize()}}, {"weight", {w.size, g.weightSize()}},
                          {"output", {y.size, g.outputSize()}}});
  if (s.isOk() && bias.size != 0) s = checkLength(op, "bias", bias.size, g.outChannels);
  if (!s.isOk()) return s;
  forwardUnchecked(g, x.data, w.data, bias.size ? bias.data : nullptr, y.data);
  return Status::ok();
}

Status convBackwardData(const ConvGeometry& g, ConstFloatSpan dy, ConstFloatSpan w, FloatSpan dx) {
  const char* op = "convBackwardData";
  Status s = g.validate(op);
  if (s.isOk())
    s = checkBuffers(op, {{"gradOutput", {dy.size, g.outputSize()}}, {"weight", {w.size, g.weightSize()}},
                          {"gradInput", {dx.size, g.inputSize()}}});
  if (!s.isOk()) return s;
  StrideFold fold;
  if (planStrideFold(g, &fold)) foldedBackwardData(g, fold, dy.data, w.data, dx.data);
  else backwardDataUnfolded(g, dy.data, w.data, dx.data);
  return Status::ok();
}

Status convBackwardWeight(const ConvGeometry& g, ConstFloatSpan x, ConstFloatSpan dy, FloatSpan dw) {
  const char* op = "convBackwardWeight";
  Status s = g.validate(op);
  if (s.isOk())
    s = checkBuffers(op, {{"input", {x.size, g.inputSize()}}, {"gradOutput", {dy.size, g.outputSize()}},
                          {"gradWeight", {dw.size, g.weightSize()}}});
  if (!s.isOk()) return s;
  StrideFold fold;
  if (planStrideFold(g, &fold)) foldedBackwardWeight(g, fold, x.data, dy.data, dw.data);
  else backwardWeightUnfolded(g, x.data, dy.data, dw.data);
  return Status::ok();
}

Status convBackwardBias(const ConvGeometry& g, ConstFloatSpan dy, FloatSpan db) {
  const char* op = "convBackwardBias";
  Status s = g.validate(op);
  if (s.isOk()) s = checkBuffers(op, {{"gradOutput", {dy.size, g.outputSize()}}, {"gradBias", {db.size, g.outChannels}}});
  if (!s.isOk()) return s;
  const int64_t P = g.outH() * g.outW();
  parallelFor(g.outChannels, [&](int64_t co) {
    double total = 0;
    for (int64_t n = 0; n < g.batch; ++n) {
      const float* row = dy.data + (n * g.outChannels + co) * P;
      for (int64_t p = 0; p < P; ++p) total += row[p];  // double: a channel's sum may cancel to near zero
    }
    db.data[co] = static_cast<float>(total);
  });
  return Status::ok();
}

}  // namespace atrous
