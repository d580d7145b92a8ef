#include "gemm_paths.h"

#include <algorithm>
#include <vector>

#include "../gemm.h"
#include "../parallel_ranges.h"
#include "../thread_pool.h"

namespace atrous {
namespace {

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
          const BPanelSource& B, float beta, float* C, int64_t ldc, const float* rowBias = nullptr) {
  if (parallel)
    sgemmWithSource(transA, M, N, K, 1.f, A, lda, B, beta, C, ldc, rowBias);
  else
    sgemmWithSourceSerial(transA, M, N, K, 1.f, A, lda, B, beta, C, ldc, rowBias);
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

}  // namespace

// Dense forward over the whole output, padding taps included: one GEMM per image and group,
// written straight into y.
void denseForwardWhole(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y) {
  const int64_t P = g.outH() * g.outW(), cinG = g.inChannelsPerGroup(), coutG = g.outChannelsPerGroup();
  const int64_t Kdim = cinG * g.kernelH * g.kernelW;
  const ColumnWindow whole = ColumnWindow::whole(g);
  forEachImageGroup(g, [&](int64_t n, int64_t grp, bool parallel) {
    float* yg = y + (n * g.outChannels + grp * coutG) * P;
    ImageColumnsSource cols(g, x + (n * g.inChannels + grp * cinG) * g.inH * g.inW, cinG, whole);
    // The bias goes on each tile as the GEMM writes it: filling y with it first was a separate pass
    // over y, 6-8% of S5's forward.
    gemm(parallel, false, coutG, P, Kdim, w + grp * coutG * Kdim, Kdim, cols, 0.f, yg, P,
         bias ? bias + grp * coutG : nullptr);
  });
}

// Dense forward region by region, each region's GEMM over only the taps that land in the image.
// Regions are small (a border strip, a corner), so one GEMM covers the region in every image of the
// batch: the weight block is packed once per region, not once per image.
void denseForwardByRegion(const ConvGeometry& g, const std::vector<ColumnWindow>& windows, int64_t scratchFloats,
                          const float* x, const float* w, const float* bias, float* y) {
  const int64_t OW = g.outW(), P = g.outH() * OW, cinG = g.inChannelsPerGroup(), coutG = g.outChannelsPerGroup();
  const int64_t imageStride = g.inChannels * g.inH * g.inW;
  const bool groupsInParallel = g.groups >= 2 * numThreads();
  const std::vector<float> wTapMajor = tapMajorWeight(g, w);
  for (const ColumnWindow& region : windows) {
    const int64_t Kr = cinG * region.taps();
    std::vector<float> wr;
    if (Kr > 0) wr = weightForTaps(g, wTapMajor.data(), region);
    const int64_t maxPixels = std::max<int64_t>(1, scratchFloats / (coutG * g.batch));
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
void backwardDataByColumns(const ConvGeometry& g, int64_t tile, const float* dy, const float* w, float* dx) {
  const int64_t P = g.outH() * g.outW(), cinG = g.inChannelsPerGroup(), coutG = g.outChannelsPerGroup();
  const int64_t Kdim = cinG * g.kernelH * g.kernelW, plane = g.inH * g.inW;
  tile = std::clamp<int64_t>(tile, 1, P);
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
void backwardWeightDense(const ConvGeometry& g, int64_t tile, bool perThread, const float* x, const float* dy,
                         float* dw) {
  const int64_t P = g.outH() * g.outW(), cinG = g.inChannelsPerGroup(), coutG = g.outChannelsPerGroup();
  const int64_t Kdim = cinG * g.kernelH * g.kernelW, plane = g.inH * g.inW, wsize = g.weightSize();
  const int threads = numThreads();
  const int64_t imageGroups = g.batch * g.groups;
  tile = std::clamp<int64_t>(tile, 1, P);
  const int64_t tiles = (P + tile - 1) / tile;
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
  if (perThread && threads > 1) {
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
void backwardWeightByRegion(const ConvGeometry& g, const std::vector<ColumnWindow>& windows, int64_t bandFloats,
                            const float* x, const float* dy, float* dw) {
  const int64_t OW = g.outW(), P = g.outH() * OW, cinG = g.inChannelsPerGroup(), coutG = g.outChannelsPerGroup();
  const int64_t imageStride = g.inChannels * g.inH * g.inW, KH = g.kernelH, KW = g.kernelW;
  // Bands as large as the share allows: small bands make GEMMs too short in K.
  std::fill(dw, dw + g.weightSize(), 0.f);
  std::vector<float> dyBand, colBand, dwBand;
  for (const ColumnWindow& region : windows) {
    const int64_t Kr = cinG * region.taps();
    if (Kr == 0) continue;
    const int64_t maxPixels = std::max<int64_t>(1, bandFloats / ((Kr + coutG) * g.batch));
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

}  // namespace atrous
