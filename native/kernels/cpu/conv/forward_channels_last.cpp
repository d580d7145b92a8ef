#include "forward_channels_last.h"

#include <algorithm>
#include <vector>

#include "forward_tile.h"
#include "padded_channels_last.h"
#include "../reusable_scratch.h"
#include "../thread_pool.h"
#include "../../portability.h"

namespace atrous {
namespace {

// The weight per block of coBlock output channels: [group][block][tap][c][coBlock], zeros past the
// group's last channel, so a tile reads a tap's channel as whole vectors. Written into `packed`
// (the calling thread's reusable scratch: a fresh 147 KiB vector per call, L4's weight, came from
// mmap and page-faulted every time).
const float* packWeights(const ConvGeometry& g, const float* w, int64_t coBlock, ReusableScratch& scratch) {
  const int64_t cinG = g.inChannelsPerGroup(), coutG = g.outChannelsPerGroup(), taps = g.kernelH * g.kernelW;
  const int64_t blocks = (coutG + coBlock - 1) / coBlock, size = g.groups * blocks * taps * cinG * coBlock;
  float* packed = scratch.floats(size);
  if (blocks * coBlock != coutG) std::fill(packed, packed + size, 0.f);
  for (int64_t grp = 0; grp < g.groups; ++grp)
    for (int64_t co = 0; co < coutG; ++co)
      for (int64_t c = 0; c < cinG; ++c)
        for (int64_t tap = 0; tap < taps; ++tap)
          packed[(((grp * blocks + co / coBlock) * taps + tap) * cinG + c) * coBlock + co % coBlock] =
              w[((grp * coutG + co) * cinG + c) * taps + tap];
  return packed;
}

}  // namespace

int64_t channelsLastForwardCopyFloats(const ConvGeometry& g, int64_t bandRows) {
  const int64_t rows = (bandRows - 1) * g.strideH + g.dilationH * (g.kernelH - 1) + 1;
  return rows * (g.inW + g.padLeft + g.padRight) * g.inChannels;
}

int64_t channelsLastForwardSumFloats(const ConvGeometry& g, int64_t bandRows) {
  return bandRows * g.outW() * forward_tile::shapeFor(g.outChannelsPerGroup()).coBlock;
}

int64_t channelsLastForwardBandRows(const ConvGeometry& g, int64_t capFloats) {
  const int64_t rowFloats = (g.inW + g.padLeft + g.padRight) * g.inChannels, extent = g.dilationH * (g.kernelH - 1);
  const int64_t copyRows = capFloats / rowFloats;  // padded input rows that fit
  if (copyRows < extent + 1) return 0;
  const int64_t byCopy = (copyRows - extent - 1) / g.strideH + 1;
  const int64_t bySums = capFloats / channelsLastForwardSumFloats(g, 1);
  return std::min({g.outH(), byCopy, bySums});
}

void forwardChannelsLast(const ConvGeometry& g, int64_t bandRows, const float* x, const float* w, const float* bias,
                         float* y, const InputSampling& sampling) {
  using namespace forward_tile;
  const Shape shape = shapeFor(g.outChannelsPerGroup());
  const int64_t coBlock = shape.coBlock, tilePixels = shape.pixels;
  const bool narrow = coBlock == kNarrow.coBlock;
  const int64_t C = g.inChannels, cinG = g.inChannelsPerGroup(), coutG = g.outChannelsPerGroup();
  const int64_t OH = g.outH(), OW = g.outW(), P = OH * OW, PW = g.inW + g.padLeft + g.padRight;
  const int64_t KW = g.kernelW, taps = g.kernelH * KW, blocks = (coutG + coBlock - 1) / coBlock;
  thread_local ReusableScratch weightScratch;
  const float* packedW = packWeights(g, w, coBlock, weightScratch);  // read by the pool's threads
  std::vector<int64_t> tapOffsets(static_cast<size_t>(taps));  // in floats of the copy
  for (int64_t t = 0; t < taps; ++t) tapOffsets[t] = (t / KW * g.dilationH * PW + t % KW * g.dilationW) * C;

  // The bias per block of output channels, zeros past the group's last channel.
  std::vector<float> blockBias(static_cast<size_t>(g.groups * blocks * coBlock), 0.f);
  for (int64_t grp = 0; grp < g.groups && bias; ++grp)
    for (int64_t co = 0; co < coutG; ++co) blockBias[grp * blocks * coBlock + co] = bias[grp * coutG + co];

  parallelFor(g.batch, [&](int64_t n) {
    thread_local std::vector<float> xPad, sums;
    thread_local std::vector<int64_t> pixelAt;
    pixelAt.resize(static_cast<size_t>(bandRows * OW));
    xPad.resize(static_cast<size_t>(channelsLastForwardCopyFloats(g, bandRows)));
    sums.resize(static_cast<size_t>(channelsLastForwardSumFloats(g, bandRows)));  // [pixel][coBlock]
    const int64_t imageFloats = C * (sampling.sourceH ? sampling.sourceH * sampling.sourceW : g.inH * g.inW);
    for (int64_t oh0 = 0; oh0 < OH; oh0 += bandRows) {
      const int64_t oh1 = std::min(OH, oh0 + bandRows), p0 = oh0 * OW, bandPixels = (oh1 - oh0) * OW;
      const int64_t row0 = oh0 * g.strideH, row1 = (oh1 - 1) * g.strideH + g.dilationH * (g.kernelH - 1) + 1;
      toPaddedChannelsLastRows(g, x + n * imageFloats, row0, row1, xPad.data(), sampling, row0);
      for (int64_t q = 0; q < bandPixels; ++q) {  // each pixel's first input in the copy
        const int64_t oh = oh0 + q / OW, ow = q % OW;
        pixelAt[q] = ((oh * g.strideH - row0) * PW + ow * g.strideW) * C;
      }
      for (int64_t grp = 0; grp < g.groups; ++grp)
        for (int64_t block = 0; block < blocks; ++block) {
          const float* wb = packedW + (grp * blocks + block) * taps * cinG * coBlock;
          const float* bb = bias ? blockBias.data() + (grp * blocks + block) * coBlock : nullptr;
          for (int64_t q = 0; q < bandPixels; q += tilePixels) {
            Tile t;
            t.pixels = static_cast<int>(std::min<int64_t>(tilePixels, bandPixels - q));
            const float* xg = xPad.data() + grp * cinG;
            for (int s = 0; s < t.pixels; ++s) {
              t.x[s] = xg + pixelAt[q + s];
              t.sum[s] = sums.data() + (q + s) * coBlock;
            }
            if (narrow) ATROUS_X86_CALL(forwardNarrowAvx512, t, wb, tapOffsets.data(), taps, cinG, bb);
            else ATROUS_X86_CALL(forwardWideAvx512, t, wb, tapOffsets.data(), taps, cinG, bb);
          }
          // y[co][p] = sums[p][co] for the block's channels, in 16 x 16 register transposes.
          const int64_t coBegin = grp * coutG + block * coBlock;
          const int64_t coCount = std::min<int64_t>(coBlock, coutG - block * coBlock);
          float* yb = y + (n * g.outChannels + coBegin) * P + p0;
          for (int64_t co0 = 0; co0 < coCount; co0 += 16)
            for (int64_t q0 = 0; q0 < bandPixels; q0 += 16)
              ATROUS_X86_CALL(transposeTileAvx512, sums.data() + q0 * coBlock + co0, coBlock, 1,
                              std::min<int64_t>(16, bandPixels - q0), std::min<int64_t>(16, coCount - co0),
                              yb + co0 * P + q0, P);
        }
    }
  });
}

}  // namespace atrous
