#include "weight_by_tap.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "../gemm.h"
#include "../parallel_ranges.h"
#include "../reusable_scratch.h"
#include "../thread_pool.h"

namespace atrous {
namespace {

// The outputs o in [begin, end) whose tap at offset `tapOffset` lands inside [0, in): one range.
void validOutputs(int64_t in, int64_t out, int64_t stride, int64_t tapOffset, int64_t* begin, int64_t* end) {
  *begin = 0;
  while (*begin < out && *begin * stride + tapOffset < 0) ++*begin;
  *end = *begin;
  while (*end < out && *end * stride + tapOffset < in) ++*end;
}

// dst[(n * pixels + p) * channels + c] = src[(n * channels + c) * pixels + p] for n < images, in
// tiles of 16 x 16 that stay in L1.
void toChannelsLast(const float* src, int64_t images, int64_t channels, int64_t pixels, float* dst) {
  constexpr int64_t T = 16;
  const int64_t cTiles = (channels + T - 1) / T;
  parallelRanges(images * cTiles, T * pixels, [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      const int64_t n = task / cTiles, c0 = task % cTiles * T, c1 = std::min(channels, c0 + T);
      const float* s = src + n * channels * pixels;
      float* d = dst + n * pixels * channels;
      for (int64_t p0 = 0; p0 < pixels; p0 += T) {
        const int64_t p1 = std::min(pixels, p0 + T);
        for (int64_t p = p0; p < p1; ++p)
          for (int64_t c = c0; c < c1; ++c) d[p * channels + c] = s[c * pixels + p];
      }
    }
  });
}

// Copies `count` floats and zero-fills the panel up to `width`; fixed widths unroll into vector moves.
template <int Width>
inline void copyPanelRowFixed(float* d, const float* s, int count) {
  if (count == Width) {
    for (int i = 0; i < Width; ++i) d[i] = s[i];
    return;
  }
  for (int i = 0; i < count; ++i) d[i] = s[i];
  for (int i = count; i < Width; ++i) d[i] = 0.f;
}

inline void copyPanelRow(float* d, const float* s, int count, int width) {
  switch (width) {
    case 4: return copyPanelRowFixed<4>(d, s, count);
    case 6: return copyPanelRowFixed<6>(d, s, count);
    case 8: return copyPanelRowFixed<8>(d, s, count);
    case 16: return copyPanelRowFixed<16>(d, s, count);
    case 48: return copyPanelRowFixed<48>(d, s, count);
    default:
      for (int i = 0; i < count; ++i) d[i] = s[i];
      for (int i = count; i < width; ++i) d[i] = 0.f;
  }
}

// op(A)(i, k) = a[rows[k] * ld + i]: dy channels-last, K running over a list of pixels.
class PixelListA final : public APanelSource {
 public:
  PixelListA(const float* a, int64_t ld, const int64_t* rows) : a_(a), ld_(ld), rows_(rows) {}
  void packPanels(int64_t i0, int64_t mc, int64_t k0, int64_t kc, int mr, float* dst) const override {
    for (int64_t p = 0; p < mc; p += mr, dst += kc * mr) {
      const int count = static_cast<int>(std::min<int64_t>(mr, mc - p));
      for (int64_t k = 0; k < kc; ++k) copyPanelRow(dst + k * mr, a_ + rows_[k0 + k] * ld_ + i0 + p, count, mr);
    }
  }

 private:
  const float* a_;
  int64_t ld_;
  const int64_t* rows_;
};

// B(k, j) = b[rows[k] * ld + j]: x channels-last, K running over a list of pixels.
class PixelListB final : public BPanelSource {
 public:
  PixelListB(const float* b, int64_t ld, const int64_t* rows) : b_(b), ld_(ld), rows_(rows) {}
  void packPanels(int64_t k0, int64_t kc, int64_t j0, int64_t nc, int nr, float* dst) const override {
    for (int64_t p = 0; p < nc; p += nr, dst += kc * nr) {
      const int count = static_cast<int>(std::min<int64_t>(nr, nc - p));
      for (int64_t k = 0; k < kc; ++k) copyPanelRow(dst + k * nr, b_ + rows_[k0 + k] * ld_ + j0 + p, count, nr);
    }
  }

 private:
  const float* b_;
  int64_t ld_;
  const int64_t* rows_;
};

}  // namespace

void backwardWeightByTap(const ConvGeometry& g, const float* x, const float* dy, float* dw, int64_t chunkImages) {
  const int64_t OH = g.outH(), OW = g.outW(), outPlane = OH * OW, inPlane = g.inH * g.inW;
  const int64_t KH = g.kernelH, KW = g.kernelW, taps = KH * KW;
  const int64_t cinG = g.inChannelsPerGroup(), coutG = g.outChannelsPerGroup();
  chunkImages = std::clamp<int64_t>(chunkImages, 1, g.batch);
  const int64_t chunks = (g.batch + chunkImages - 1) / chunkImages;

  // Per tap, the pixels (image of the chunk, output row, output column) where it lands inside the
  // input, as rows of dy and x channels-last; the same list serves every chunk (a prefix when shorter).
  std::vector<std::vector<int64_t>> dyRows(taps), xRows(taps);
  std::vector<int64_t> tapPixels(taps);
  for (int64_t kh = 0; kh < KH; ++kh)
    for (int64_t kw = 0; kw < KW; ++kw) {
      const int64_t tap = kh * KW + kw, offH = kh * g.dilationH - g.padTop, offW = kw * g.dilationW - g.padLeft;
      int64_t oh0, oh1, ow0, ow1;
      validOutputs(g.inH, OH, g.strideH, offH, &oh0, &oh1);
      validOutputs(g.inW, OW, g.strideW, offW, &ow0, &ow1);
      tapPixels[tap] = (oh1 - oh0) * (ow1 - ow0);
      for (int64_t n = 0; n < chunkImages; ++n)
        for (int64_t oh = oh0; oh < oh1; ++oh)
          for (int64_t ow = ow0; ow < ow1; ++ow) {
            dyRows[tap].push_back(n * outPlane + oh * OW + ow);
            xRows[tap].push_back(n * inPlane + (oh * g.strideH + offH) * g.inW + ow * g.strideW + offW);
          }
    }

  thread_local ReusableScratch xScratch, dyScratch, dwScratch;
  float* xLast = xScratch.floats(chunkImages * g.inChannels * inPlane);
  float* dyLast = dyScratch.floats(chunkImages * g.outChannels * outPlane);
  float* dwTaps = dwScratch.floats(g.groups * taps * coutG * cinG);  // [group][tap][co][c]
  for (int64_t chunk = 0; chunk < chunks; ++chunk) {
    const int64_t n0 = chunk * chunkImages, images = std::min(chunkImages, g.batch - n0);
    toChannelsLast(x + n0 * g.inChannels * inPlane, images, g.inChannels, inPlane, xLast);
    toChannelsLast(dy + n0 * g.outChannels * outPlane, images, g.outChannels, outPlane, dyLast);
    for (int64_t grp = 0; grp < g.groups; ++grp)
      for (int64_t tap = 0; tap < taps; ++tap) {
        PixelListA a(dyLast + grp * coutG, g.outChannels, dyRows[tap].data());
        PixelListB b(xLast + grp * cinG, g.inChannels, xRows[tap].data());
        sgemmWithSources(coutG, cinG, images * tapPixels[tap], 1.f, a, b, chunk == 0 ? 0.f : 1.f,
                         dwTaps + (grp * taps + tap) * coutG * cinG, cinG);
      }
  }
  // dw[grp][co][c][tap] = dwTaps[grp][tap][co][c]
  parallelRanges(g.outChannels, cinG * taps, [&](int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; ++o) {
      const int64_t grp = o / coutG, co = o % coutG;
      float* d = dw + o * cinG * taps;
      for (int64_t c = 0; c < cinG; ++c)
        for (int64_t tap = 0; tap < taps; ++tap) d[c * taps + tap] = dwTaps[((grp * taps + tap) * coutG + co) * cinG + c];
    }
  });
}

}  // namespace atrous
