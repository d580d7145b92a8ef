#include "conv_direct.h"

#include <algorithm>
#include <vector>

#include "cpu_features.h"
#include "thread_pool.h"

namespace atrous {
namespace {

constexpr int64_t kMaxPaddedFloats = 4ll << 20;  // the padded copy of one image and group: 16 MiB at most

int64_t paddedH(const ConvGeometry& g) { return g.inH + g.padTop + g.padBottom; }
int64_t paddedW(const ConvGeometry& g) { return g.inW + g.padLeft + g.padRight; }

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

}  // namespace

bool directForwardApplies(const ConvGeometry& g) {
  // Measured against the GEMM path (BENCHMARKS.md): the tile wins on wide rows (a tile then spans
  // at most two output rows) with a 2-d kernel (S3 +5%, S8 +30%), and loses on 32-wide rows
  // (S1, S2: -10 to -30%) and on 1-d kernels of 2 taps (S5: -30%), which keep the GEMM path.
  return activeIsa() == Isa::Avx512 && g.strideW == 1 && g.inChannelsPerGroup() >= 2 && g.outW() >= 64 &&
         g.kernelH * g.kernelW >= 4 && g.inChannelsPerGroup() * paddedH(g) * paddedW(g) <= kMaxPaddedFloats;
}

void directForward(const ConvGeometry& g, const float* x, const float* w, const float* bias, float* y) {
  using namespace direct;
  const int64_t cinG = g.inChannelsPerGroup(), coutG = g.outChannelsPerGroup();
  const int64_t H = g.inH, W = g.inW, PH = paddedH(g), PW = paddedW(g), OH = g.outH(), OW = g.outW();
  const int64_t taps = g.kernelH * g.kernelW, blocks = (coutG + kCoBlock - 1) / kCoBlock;
  const int64_t vectorsPerRow = (OW + kLanes - 1) / kLanes, vectors = OH * vectorsPerRow;
  const int64_t tileGroups = (vectors + kSlots - 1) / kSlots;
  const std::vector<float> packedW = packWeights(g, w);
  std::vector<float> padded(static_cast<size_t>(cinG * PH * PW), 0.f);  // borders stay zero across images

  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t grp = 0; grp < g.groups; ++grp) {
      const float* image = x + (n * g.inChannels + grp * cinG) * H * W;
      parallelFor(cinG, [&](int64_t c) {
        for (int64_t ih = 0; ih < H; ++ih)
          std::copy(image + (c * H + ih) * W, image + (c * H + ih + 1) * W,
                    padded.data() + (c * PH + ih + g.padTop) * PW + g.padLeft);
      });
      float* out = y + (n * g.outChannels + grp * coutG) * OH * OW;
      // Tasks: blocks of output channels innermost, so consecutive tasks reuse the same input rows.
      parallelFor(tileGroups * blocks, [&](int64_t task) {
        const int64_t tileGroup = task / blocks, block = task % blocks;
        const int coCount = static_cast<int>(std::min<int64_t>(kCoBlock, coutG - block * kCoBlock));
        Tile t;
        for (int s = 0; s < kSlots; ++s) {
          const int64_t v = tileGroup * kSlots + s;
          if (v >= vectors) {
            t.x[s] = padded.data();
            t.y[s] = out;
            t.mask[s] = 0;
            continue;
          }
          const int64_t oh = v / vectorsPerRow, ow = v % vectorsPerRow * kLanes;
          const int64_t lanes = std::min<int64_t>(kLanes, OW - ow);
          t.x[s] = padded.data() + oh * g.strideH * PW + ow;
          t.y[s] = out + block * kCoBlock * OH * OW + oh * OW + ow;
          t.mask[s] = static_cast<uint16_t>(lanes == 16 ? 0xFFFF : (1u << lanes) - 1);
        }
        tileAvx512(t, packedW.data() + (grp * blocks + block) * cinG * taps * kCoBlock,
                   bias ? bias + grp * coutG + block * kCoBlock : nullptr, coCount, cinG, g.kernelH, g.kernelW,
                   PH * PW, g.dilationH * PW, g.dilationW, OH * OW);
      });
    }
}

}  // namespace atrous
