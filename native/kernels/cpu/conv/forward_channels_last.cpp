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

void forwardChannelsLast(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y,
                         const InputSampling& sampling) {
  using namespace forward_tile;
  const Shape shape = shapeFor(g.outChannelsPerGroup());
  const int64_t coBlock = shape.coBlock, tilePixels = shape.pixels;
  const bool narrow = coBlock == kNarrow.coBlock;
  const int64_t C = g.inChannels, cinG = g.inChannelsPerGroup(), coutG = g.outChannelsPerGroup();
  const int64_t OH = g.outH(), OW = g.outW(), P = OH * OW, PW = g.inW + g.padLeft + g.padRight;
  const int64_t PH = g.inH + g.padTop + g.padBottom, KW = g.kernelW, taps = g.kernelH * KW;
  const int64_t blocks = (coutG + coBlock - 1) / coBlock, pixelGroups = (P + tilePixels - 1) / tilePixels;
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
    xPad.resize(static_cast<size_t>(paddedChannelsLastFloats(g)));
    sums.resize(static_cast<size_t>(P * coBlock));  // a block's sums channels-last, [pixel][coBlock]
    const int64_t imageFloats = C * (sampling.sourceH ? sampling.sourceH * sampling.sourceW : g.inH * g.inW);
    toPaddedChannelsLastRows(g, x + n * imageFloats, 0, PH, xPad.data(), sampling);
    for (int64_t grp = 0; grp < g.groups; ++grp)
      for (int64_t block = 0; block < blocks; ++block) {  // a block's weight stays in L2 across the pixels
        const float* wb = packedW + (grp * blocks + block) * taps * cinG * coBlock;
        const float* bb = bias ? blockBias.data() + (grp * blocks + block) * coBlock : nullptr;
        for (int64_t pg = 0; pg < pixelGroups; ++pg) {
          Tile t;
          t.pixels = static_cast<int>(std::min<int64_t>(tilePixels, P - pg * tilePixels));
          for (int s = 0; s < t.pixels; ++s) {
            const int64_t p = pg * tilePixels + s, oh = p / OW, ow = p % OW;
            t.x[s] = xPad.data() + (oh * g.strideH * PW + ow * g.strideW) * C + grp * cinG;
            t.sum[s] = sums.data() + p * coBlock;
          }
          if (narrow) ATROUS_X86_CALL(forwardNarrowAvx512, t, wb, tapOffsets.data(), taps, cinG, bb);
          else ATROUS_X86_CALL(forwardWideAvx512, t, wb, tapOffsets.data(), taps, cinG, bb);
        }
        // y[co][p] = sums[p][co] for the block's channels, in 16 x 16 register transposes.
        const int64_t coBegin = grp * coutG + block * coBlock;
        const int64_t coCount = std::min<int64_t>(coBlock, coutG - block * coBlock);
        float* yb = y + (n * g.outChannels + coBegin) * P;
        for (int64_t co0 = 0; co0 < coCount; co0 += 16)
          for (int64_t p0 = 0; p0 < P; p0 += 16)
            ATROUS_X86_CALL(transposeTileAvx512, sums.data() + p0 * coBlock + co0, coBlock, 1,
                            std::min<int64_t>(16, P - p0), std::min<int64_t>(16, coCount - co0), yb + co0 * P + p0, P);
      }
  });
}

}  // namespace atrous
