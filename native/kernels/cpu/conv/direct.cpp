#include "direct.h"

#include <algorithm>
#include <vector>

#include "../parallel_ranges.h"
#include "../thread_pool.h"
#include "../../portability.h"

namespace atrous {
namespace {

int64_t paddedH(const ConvGeometry& g) { return g.inH + g.padTop + g.padBottom; }
int64_t paddedW(const ConvGeometry& g) { return g.inW + g.padLeft + g.padRight; }
int64_t paddedFloats(const ConvGeometry& g) { return g.inChannelsPerGroup() * paddedH(g) * paddedW(g); }

// Weights regrouped per block of 4 output channels: [group][block][c][kh][kw][4], zeros past the
// group's last channel, so a tile reads its 4 weights of a tap from one place.
std::vector<float> packWeights(const ConvGeometry& g, const float* w) {
  using direct::kCoBlock;
  const int64_t cinG = g.inChannelsPerGroup(), coutG = g.outChannelsPerGroup(), taps = g.kernelH * g.kernelW;
  const int64_t blocks = (coutG + kCoBlock - 1) / kCoBlock;
  std::vector<float> packed(static_cast<size_t>(g.groups * blocks * cinG * taps * kCoBlock), 0.f);
  for (int64_t grp = 0; grp < g.groups; ++grp)
    for (int64_t co = 0; co < coutG; ++co) {
      float* dst = packed.data() + ((grp * blocks + co / kCoBlock) * cinG * taps) * kCoBlock + co % kCoBlock;
      const float* src = w + (grp * coutG + co) * cinG * taps;
      for (int64_t i = 0; i < cinG * taps; ++i) dst[i * kCoBlock] = src[i];
    }
  return packed;
}

// padded[c][ih + padTop][iw + padLeft] = image[c][ih][iw], zero in the padding. Every float of the
// channel's plane is written, so the buffer may hold another geometry's data.
void padChannel(const ConvGeometry& g, const float* image, int64_t c, float* padded) {
  const int64_t H = g.inH, W = g.inW, PH = paddedH(g), PW = paddedW(g);
  const float* src = image + c * H * W;
  float* plane = padded + c * PH * PW;
  std::fill(plane, plane + g.padTop * PW, 0.f);
  for (int64_t ih = 0; ih < H; ++ih) {
    float* row = plane + (ih + g.padTop) * PW;
    std::fill(row, row + g.padLeft, 0.f);
    std::copy(src + ih * W, src + (ih + 1) * W, row + g.padLeft);
    std::fill(row + g.padLeft + W, row + PW, 0.f);
  }
  std::fill(plane + (H + g.padTop) * PW, plane + PH * PW, 0.f);
}

}  // namespace

void directForward(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y,
                   bool imagesInParallel) {
  using namespace direct;
  const int64_t cinG = g.inChannelsPerGroup(), coutG = g.outChannelsPerGroup();
  const int64_t H = g.inH, W = g.inW, PH = paddedH(g), PW = paddedW(g), OH = g.outH(), OW = g.outW();
  const int64_t taps = g.kernelH * g.kernelW, blocks = (coutG + kCoBlock - 1) / kCoBlock;
  const int64_t vectorsPerRow = (OW + kLanes - 1) / kLanes, vectors = OH * vectorsPerRow;
  const int64_t tileGroups = (vectors + kSlots - 1) / kSlots;
  const std::vector<float> packedW = packWeights(g, w);

  // One register tile (tile group, block of output channels) of one image and group.
  auto runTile = [&](const float* padded, int64_t grp, float* out, int64_t tileGroup, int64_t block) {
    const int coCount = static_cast<int>(std::min<int64_t>(kCoBlock, coutG - block * kCoBlock));
    Tile t;
    for (int s = 0; s < kSlots; ++s) {
      const int64_t v = tileGroup * kSlots + s;
      if (v >= vectors) {
        t.x[s] = padded;
        t.y[s] = out;
        t.mask[s] = 0;
        continue;
      }
      const int64_t oh = v / vectorsPerRow, ow = v % vectorsPerRow * kLanes;
      const int64_t lanes = std::min<int64_t>(kLanes, OW - ow);
      t.x[s] = padded + oh * g.strideH * PW + ow;
      t.y[s] = out + block * kCoBlock * OH * OW + oh * OW + ow;
      t.mask[s] = static_cast<uint16_t>(lanes == 16 ? 0xFFFF : (1u << lanes) - 1);
    }
    ATROUS_X86_CALL(tileAvx512, t, packedW.data() + (grp * blocks + block) * cinG * taps * kCoBlock,
                    bias ? bias + grp * coutG + block * kCoBlock : nullptr, coCount, cinG, g.kernelH, g.kernelW,
                    PH * PW, g.dilationH * PW, g.dilationW, OH * OW);
  };
  auto imageOf = [&](int64_t n, int64_t grp) { return x + (n * g.inChannels + grp * cinG) * H * W; };
  auto outputOf = [&](int64_t n, int64_t grp) { return y + (n * g.outChannels + grp * coutG) * OH * OW; };

  if (imagesInParallel) {
    // Each thread pads and convolves whole images on its own: no hand-over between threads inside
    // an image, which on narrow rows cost more than the tile saved.
    parallelFor(g.batch * g.groups, [&](int64_t task) {
      const int64_t n = task / g.groups, grp = task % g.groups;
      thread_local std::vector<float> padded;
      padded.resize(static_cast<size_t>(paddedFloats(g)));
      for (int64_t c = 0; c < cinG; ++c) padChannel(g, imageOf(n, grp), c, padded.data());
      for (int64_t tileGroup = 0; tileGroup < tileGroups; ++tileGroup)
        for (int64_t block = 0; block < blocks; ++block)
          runTile(padded.data(), grp, outputOf(n, grp), tileGroup, block);
    });
    return;
  }
  std::vector<float> padded(static_cast<size_t>(paddedFloats(g)));
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t grp = 0; grp < g.groups; ++grp) {
      parallelEach(cinG, PH * PW, [&](int64_t c) { padChannel(g, imageOf(n, grp), c, padded.data()); });
      // A task is one tile group for every block of output channels: the blocks reuse its input rows
      // from L1, and the threads meet at the task counter once per group, not once per tile.
      parallelFor(tileGroups, [&](int64_t tileGroup) {
        for (int64_t block = 0; block < blocks; ++block) runTile(padded.data(), grp, outputOf(n, grp), tileGroup, block);
      });
    }
}

}  // namespace atrous
