#include "padded_channels_last.h"

#include <algorithm>

#include "../cpu_features.h"
#include "../parallel_ranges.h"

namespace atrous {
namespace {

int64_t paddedH(const ConvGeometry& g) { return g.inH + g.padTop + g.padBottom; }
int64_t paddedW(const ConvGeometry& g) { return g.inW + g.padLeft + g.padRight; }

// d[i * ldd + c] = s[c * lds + i * step] for c < channels, i < pixels (at most 16 each). A full
// tile goes through a local 16 x 16 block with fixed bounds, which the compiler keeps in registers.
inline void transposeTile(const float* __restrict s, int64_t lds, int64_t step, int64_t channels, int64_t pixels,
                          float* __restrict d, int64_t ldd) {
  if (step <= 2 && hasActiveIsaVariant<decltype(&transposeTileAvx512)>(nullptr, nullptr, ATROUS_X86_ONLY(transposeTileAvx512)))
    return ATROUS_X86_CALL(transposeTileAvx512, s, lds, step, channels, pixels, d, ldd);
  if (channels == 16 && pixels == 16) {
    float t[16][16];
    if (step == 1) {
      for (int c = 0; c < 16; ++c)
        for (int i = 0; i < 16; ++i) t[i][c] = s[c * lds + i];
    } else {
      for (int c = 0; c < 16; ++c)
        for (int i = 0; i < 16; ++i) t[i][c] = s[c * lds + i * step];
    }
    for (int i = 0; i < 16; ++i)
      for (int c = 0; c < 16; ++c) d[i * ldd + c] = t[i][c];
    return;
  }
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t i = 0; i < pixels; ++i) d[i * ldd + c] = s[c * lds + i * step];
}

}  // namespace

int64_t paddedChannelsLastFloats(const ConvGeometry& g) { return g.inChannels * paddedH(g) * paddedW(g); }

void toPaddedChannelsLastRows(const ConvGeometry& g, const float* x, int64_t rowBegin, int64_t rowEnd, float* xPad,
                              const InputSampling& sampling, int64_t bufferRow) {
  const int64_t C = g.inChannels, H = g.inH, W = g.inW, PH = paddedH(g), PW = paddedW(g);
  const int64_t SH = sampling.sourceH ? sampling.sourceH : H, SW = sampling.sourceW ? sampling.sourceW : W;
  for (int64_t row = rowBegin; row < rowEnd; ++row) {
    const int64_t n = row / PH, ih = row % PH - g.padTop;
    float* d = xPad + (row - bufferRow) * PW * C;
    if (ih < 0 || ih >= H) {
      std::fill(d, d + PW * C, 0.f);
      continue;
    }
    std::fill(d, d + g.padLeft * C, 0.f);
    std::fill(d + (g.padLeft + W) * C, d + PW * C, 0.f);
    const float* s = x + (n * C * SH + ih * sampling.factorH) * SW;
    float* m = d + g.padLeft * C;
    for (int64_t iw0 = 0; iw0 < W; iw0 += 16)
      for (int64_t c0 = 0; c0 < C; c0 += 16)  // rows of x read along, not across: they lie SH*SW floats apart
        transposeTile(s + c0 * SH * SW + iw0 * sampling.factorW, SH * SW, sampling.factorW,
                      std::min<int64_t>(16, C - c0), std::min<int64_t>(16, W - iw0), m + iw0 * C + c0, C);
  }
}

void toPaddedChannelsLast(const ConvGeometry& g, const float* x, int64_t images, float* xPad,
                          const InputSampling& sampling) {
  parallelRanges(images * paddedH(g), paddedW(g) * g.inChannels, [&](int64_t begin, int64_t end) {
    toPaddedChannelsLastRows(g, x, begin, end, xPad, sampling);
  });
}

}  // namespace atrous
