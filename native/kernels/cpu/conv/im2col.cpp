#include "im2col.h"

#include <algorithm>
#include <cstring>

#include "../../portability.h"

namespace atrous {
namespace {

constexpr int64_t kPrefetchRows = 4;  // packed rows ahead whose image rows are prefetched

// Calls f(oh, ow, len, offset) for the runs of `count` consecutive window pixels starting at
// window pixel `first`, each run staying on one output row.
template <class F>
inline void forEachRowRun(const ColumnWindow& win, int64_t first, int64_t count, F f) {
  const int64_t winW = win.owEnd - win.owBegin;
  int64_t j = first, end = first + count;
  while (j < end) {
    const int64_t col = j % winW;
    const int64_t len = std::min(winW - col, end - j);
    f(win.ohBegin + j / winW, win.owBegin + col, len, j - first);
    j += len;
  }
}

// d[t] = src[iw0 + t * sw] for t < len, zero where the column falls outside [0, W). The columns
// that land inside form one range [lo, hi), worked out once, so the copy itself has no branches.
inline void gatherRow(const float* src, int64_t W, int64_t iw0, int64_t sw, int64_t len, float* d) {
  const int64_t lo = std::clamp<int64_t>(iw0 >= 0 ? 0 : (-iw0 + sw - 1) / sw, 0, len);
  const int64_t hi = std::clamp<int64_t>(iw0 >= W ? 0 : (W - iw0 + sw - 1) / sw, lo, len);
  std::fill(d, d + lo, 0.f);
  const float* s = src + iw0;
  if (sw == 1) {
    if (hi > lo) std::memcpy(d + lo, s + lo, static_cast<size_t>(hi - lo) * sizeof(float));
  } else {
    for (int64_t t = lo; t < hi; ++t) d[t] = s[t * sw];
  }
  std::fill(d + hi, d + len, 0.f);
}

// Decodes column-matrix row k of a window: k = (channel, kh, kw) channel-major, or, given the
// channel count, k = (kh, kw, channel) tap-major.
struct TapCursor {
  int64_t c, kh, kw;
  const ColumnWindow& win;
  int64_t tapMajorChannels;  // 0: channel-major
  TapCursor(const ColumnWindow& w, int64_t k, int64_t tapMajorChannels = 0) : win(w), tapMajorChannels(tapMajorChannels) {
    const int64_t taps = w.taps(), tapsW = w.kwEnd - w.kwBegin;
    const int64_t t = tapMajorChannels ? k / tapMajorChannels : k % taps;
    c = tapMajorChannels ? k % tapMajorChannels : k / taps;
    kh = w.khBegin + t / tapsW;
    kw = w.kwBegin + t % tapsW;
  }
  void next() {
    if (tapMajorChannels && ++c < tapMajorChannels) return;
    if (tapMajorChannels) c = 0;
    if (++kw < win.kwEnd) return;
    kw = win.kwBegin;
    if (++kh < win.khEnd) return;
    kh = win.khBegin;
    if (!tapMajorChannels) ++c;
  }
};

}  // namespace

void ImageColumnsSource::packPanels(int64_t k0, int64_t kc, int64_t j0, int64_t nc, int nr, float* dst) const {
  const ConvGeometry& g = g_;
  const int64_t H = g.inH, W = g.inW, plane = H * W;
  // A panel's columns split into at most nr runs along output rows; they do not depend on k, so
  // they are worked out once per panel, not once per packed row.
  struct Run { const float* image; int64_t ihBase, iwBase, len, off; };
  Run runs[kMaxPanelWidth];
  const int64_t pixels = win_.pixels();
  for (int64_t p = 0; p * nr < nc; ++p) {
    float* panel = dst + p * kc * nr;
    const int64_t cols = std::min<int64_t>(nr, nc - p * nr);
    int runCount = 0;
    for (int64_t j = j0 + p * nr, end = j + cols; j < end;) {  // runs split at image boundaries too
      const int64_t n = j / pixels, local = j % pixels, len = std::min(end - j, pixels - local);
      const int64_t base = j - (j0 + p * nr);
      forEachRowRun(win_, local, len, [&](int64_t oh, int64_t ow, int64_t runLen, int64_t off) {
        runs[runCount++] = {image_ + n * imageStride_, oh * g.strideH - g.padTop, ow * g.strideW - g.padLeft,
                            runLen, base + off};
      });
      j += len;
    }
    const int64_t tapMajorChannels = tapMajor_ ? channels_ : 0;
    TapCursor tap(win_, k0, tapMajorChannels), ahead(win_, k0, tapMajorChannels);
    for (int64_t k = 0; k < kPrefetchRows && k < kc; ++k) ahead.next();
    for (int64_t k = 0; k < kc; ++k, tap.next()) {
      if (k + kPrefetchRows < kc) {  // the image rows are scattered: hide their cache misses
        for (int r = 0; r < runCount; ++r) {
          const int64_t ih = runs[r].ihBase + ahead.kh * g.dilationH, iw = runs[r].iwBase + ahead.kw * g.dilationW;
          if (ih < 0 || ih >= H || iw < 0 || iw + runs[r].len > W) continue;
          const float* p = runs[r].image + ahead.c * plane + ih * W + iw;
          port::prefetch(p);
          port::prefetch(p + runs[r].len - 1);
        }
        ahead.next();
      }
      float* row = panel + k * nr;
      const int64_t channelOffset = tap.c * plane;
      const int64_t ihOffset = tap.kh * g.dilationH, iwOffset = tap.kw * g.dilationW;
      for (int r = 0; r < runCount; ++r) {
        const Run& run = runs[r];
        const int64_t ih = run.ihBase + ihOffset;
        float* d = row + run.off;
        if (ih < 0 || ih >= H) {
          std::fill(d, d + run.len, 0.f);
          continue;
        }
        const float* src = run.image + channelOffset + ih * W;
        const int64_t iw0 = run.iwBase + iwOffset;
        if (g.strideW == 1 && iw0 >= 0 && iw0 + run.len <= W) {
          src += iw0;
          for (int64_t t = 0; t < run.len; ++t) d[t] = src[t];  // the common case: one contiguous row
        } else {
          gatherRow(src, W, iw0, g.strideW, run.len, d);
        }
      }
      std::fill(row + cols, row + nr, 0.f);
    }
  }
}

void im2colTile(const ConvGeometry& g, const float* image, int64_t channels, const ColumnWindow& window,
                int64_t images, int64_t imageStride, int64_t first, int64_t count, float* columns, int64_t ldColumns) {
  const int64_t H = g.inH, W = g.inW, plane = H * W, pixels = window.pixels();
  const int64_t rows = channels * window.taps();
  (void)images;  // implied by first + count; kept so calls read like ImageColumnsSource's
  TapCursor tap(window, 0);
  for (int64_t k = 0; k < rows; ++k, tap.next()) {
    float* dst = columns + k * ldColumns;
    const int64_t ihOffset = tap.kh * g.dilationH - g.padTop;
    const int64_t iwOffset = tap.kw * g.dilationW - g.padLeft;
    for (int64_t j = first, end = first + count; j < end;) {  // split at image boundaries
      const int64_t n = j / pixels, local = j % pixels, len = std::min(end - j, pixels - local);
      const float* src = image + n * imageStride + tap.c * plane;
      float* out = dst + (j - first);
      forEachRowRun(window, local, len, [&](int64_t oh, int64_t ow, int64_t runLen, int64_t off) {
        const int64_t ih = oh * g.strideH + ihOffset;
        if (ih < 0 || ih >= H) {
          std::fill(out + off, out + off + runLen, 0.f);
          return;
        }
        gatherRow(src + ih * W, W, ow * g.strideW + iwOffset, g.strideW, runLen, out + off);
      });
      j += len;
    }
  }
}

void col2imAdd(const ConvGeometry& g, const float* columns, int64_t ldColumns, int64_t channels,
               int64_t pixelBegin, int64_t pixelEnd, float* image) {
  const int64_t H = g.inH, W = g.inW, plane = H * W;
  const ColumnWindow win = ColumnWindow::whole(g);
  const int64_t rows = channels * win.taps();
  TapCursor tap(win, 0);
  for (int64_t k = 0; k < rows; ++k, tap.next()) {
    const float* src = columns + k * ldColumns;
    float* dstPlane = image + tap.c * plane;
    const int64_t ihOffset = tap.kh * g.dilationH - g.padTop;
    const int64_t iwOffset = tap.kw * g.dilationW - g.padLeft;
    forEachRowRun(win, pixelBegin, pixelEnd - pixelBegin, [&](int64_t oh, int64_t ow, int64_t len, int64_t off) {
      const int64_t ih = oh * g.strideH + ihOffset;
      if (ih < 0 || ih >= H) return;
      float* d = dstPlane + ih * W;
      const float* s = src + off;
      const int64_t iw0 = ow * g.strideW + iwOffset;
      if (g.strideW == 1) {
        const int64_t lo = std::clamp<int64_t>(-iw0, 0, len);
        const int64_t hi = std::clamp<int64_t>(W - iw0, lo, len);
        for (int64_t t = lo; t < hi; ++t) d[iw0 + t] += s[t];
      } else {
        for (int64_t t = 0; t < len; ++t) {
          const int64_t iw = iw0 + t * g.strideW;
          if (iw >= 0 && iw < W) d[iw] += s[t];
        }
      }
    });
  }
}

}  // namespace atrous
