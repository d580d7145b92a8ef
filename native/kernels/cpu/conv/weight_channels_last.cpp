#include "weight_channels_last.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "im2col.h"
#include "weight_tile.h"
#include "../cpu_features.h"
#include "padded_channels_last.h"
#include "../gemm.h"
#include "../parallel_ranges.h"
#include "../reusable_scratch.h"
#include "../thread_pool.h"

namespace atrous {
namespace {

constexpr int64_t kBlockPixels = 256;  // output pixels per call of the AVX-512 tile (see accumulateByTiles)

int64_t paddedW(const ConvGeometry& g) { return g.inW + g.padLeft + g.padRight; }
int64_t paddedFloats(const ConvGeometry& g) { return paddedChannelsLastFloats(g); }

// B(k, j) = xPad[pixel(pixelBegin + k) + tapOffsets[j / cinG]][channel0 + j % cinG] for one image's
// padded channels-last copy, where pixel(p) is the padded position under output pixel p's tap (0, 0).
class PaddedPixelsB final : public BPanelSource {
 public:
  PaddedPixelsB(const ConvGeometry& g, const float* xPad, int64_t channel0, int64_t pixelBegin,
                const int64_t* tapOffsets)
      : g_(g), xPad_(xPad), channel0_(channel0), pixelBegin_(pixelBegin), tapOffsets_(tapOffsets) {}

  void packPanels(int64_t k0, int64_t kc, int64_t j0, int64_t nc, int nr, float* dst) const override {
    const int64_t C = g_.inChannels, cinG = g_.inChannelsPerGroup(), OW = g_.outW();
    const int64_t rowStep = g_.strideH * paddedW(g_) * C, colStep = g_.strideW * C;
    struct Run { int64_t src; int64_t len, off; };  // a panel row's columns: one run per tap
    Run runs[kMaxPanelWidth];
    for (int64_t p = 0; p * nr < nc; ++p) {
      float* panel = dst + p * kc * nr;
      const int64_t first = j0 + p * nr, cols = std::min<int64_t>(nr, nc - p * nr);
      int count = 0;
      for (int64_t j = first, end = first + cols; j < end;) {
        const int64_t tap = j / cinG, c = j % cinG, len = std::min(cinG - c, end - j);
        runs[count++] = {tapOffsets_[tap] * C + channel0_ + c, len, j - first};
        j += len;
      }
      int64_t oh = (pixelBegin_ + k0) / OW, ow = (pixelBegin_ + k0) % OW;
      for (int64_t k = 0; k < kc; ++k) {
        const float* base = xPad_ + oh * rowStep + ow * colStep;
        float* row = panel + k * nr;
        for (int r = 0; r < count; ++r)
          std::memcpy(row + runs[r].off, base + runs[r].src, static_cast<size_t>(runs[r].len) * sizeof(float));
        std::fill(row + cols, row + nr, 0.f);
        if (++ow == OW) {
          ow = 0;
          ++oh;
        }
      }
    }
  }

 private:
  const ConvGeometry& g_;
  const float* xPad_;
  int64_t channel0_, pixelBegin_;
  const int64_t* tapOffsets_;
};

// Pixels [p0, p1) of one image (xImg its padded channels-last copy, dyImg its gradient rows of group
// grp) added onto the group's block of a piece's dW ([co][tap][c]) by the AVX-512 register tile, a
// block of output rows at a time: no packing at all.
void accumulateByTiles(const ConvGeometry& g, const float* xImg, const float* dyImg, int64_t grp, int64_t p0,
                       int64_t p1, const int64_t* tapOffsets, float* dwGroup) {
  using namespace weight_tile;
  const int64_t C = g.inChannels, cinG = g.inChannelsPerGroup(), coutG = g.outChannelsPerGroup();
  const int64_t OW = g.outW(), P = g.outH() * OW, taps = g.kernelH * g.kernelW, N = cinG * taps;
  const int64_t channelVectors = (cinG + kLanes - 1) / kLanes, combos = taps * channelVectors;
  const int64_t rowStep = g.strideH * paddedW(g) * C, colStep = g.strideW * C;
  // Rows per block: enough pixels that the sums' loads and stores are a small share, few enough that
  // a block's input stays in L2 across the blocks of output channels.
  const int64_t blockRows = std::max<int64_t>(1, kBlockPixels / OW);
  for (int64_t p = p0; p < p1;) {
    const int64_t oh = p / OW, ow = p % OW;
    int64_t rows = 1, cols = std::min({OW - ow, p1 - p, kBlockPixels});
    if (ow == 0 && cols == OW) rows = std::min(blockRows, (p1 - p) / OW);  // whole rows
    const float* base = xImg + oh * rowStep + ow * colStep + grp * cinG;
    for (int64_t first = 0; first < combos; first += kSlots) {  // slots: (tap, vector of channels)
      Tile t;
      for (int s = 0; s < kSlots; ++s) {
        const int64_t combo = first + s;
        if (combo >= combos) {
          t.x[s] = base;
          t.col[s] = 0;
          t.mask[s] = 0;
          continue;
        }
        const int64_t tap = combo / channelVectors, c0 = combo % channelVectors * kLanes;
        const int64_t lanes = std::min<int64_t>(kLanes, cinG - c0);
        t.x[s] = base + tapOffsets[tap] * C + c0;
        t.col[s] = tap * cinG + c0;
        t.mask[s] = static_cast<uint16_t>(lanes == 16 ? 0xFFFF : (1u << lanes) - 1);
      }
      for (int64_t cb = 0; cb < coutG; cb += kCoBlock) {
        const int coCount = static_cast<int>(std::min<int64_t>(kCoBlock, coutG - cb));
        for (int co = 0; co < kCoBlock; ++co) t.dy[co] = dyImg + (cb + std::min(co, coCount - 1)) * P + p;
        ATROUS_X86_CALL(accumulateAvx512, t, coCount, rows, cols, colStep, rowStep, OW, dwGroup + cb * N, N);
      }
    }
    p += rows * cols;
  }
}

}  // namespace

void backwardWeightChannelsLast(const ConvGeometry& g, const float* x, const float* dy, float* dw, bool padInPieces,
                                int64_t chunkImages, const InputSampling& sampling) {
  const int64_t P = g.outH() * g.outW(), PW = paddedW(g), KW = g.kernelW, taps = g.kernelH * KW;
  const int64_t cinG = g.inChannelsPerGroup(), coutG = g.outChannelsPerGroup(), N = cinG * taps;
  const int64_t perImage = paddedFloats(g), wsize = g.weightSize(), PH = g.inH + g.padTop + g.padBottom;
  // The pixels of a chunk split into pieces, each summed into its own copy of dW by whichever thread
  // takes it: a fixed split, so the result does not depend on which thread took what.
  const int64_t pieces = kWeightPiecesPerThread * numThreads();
  chunkImages = padInPieces ? g.batch : std::clamp<int64_t>(chunkImages, 1, g.batch);
  const int64_t imageFloats = g.inChannels * (sampling.sourceH ? sampling.sourceH * sampling.sourceW : g.inH * g.inW);
  std::vector<int64_t> tapOffsets(static_cast<size_t>(taps));
  for (int64_t t = 0; t < taps; ++t) tapOffsets[t] = t / KW * g.dilationH * PW + t % KW * g.dilationW;
  // The AVX-512 register tile, else the portable GEMM.
  const bool tiles = hasActiveIsaVariant<decltype(&weight_tile::accumulateAvx512)>(
      nullptr, nullptr, ATROUS_X86_ONLY(weight_tile::accumulateAvx512));

  thread_local ReusableScratch padScratch, partialScratch;
  float* xPad = padInPieces ? nullptr : padScratch.floats(chunkImages * perImage);
  float* partials = partialScratch.floats(pieces * wsize);  // per piece: [group][co][tap][c]
  for (int64_t n0 = 0; n0 < g.batch; n0 += chunkImages) {
    const int64_t images = std::min(chunkImages, g.batch - n0), total = images * P;
    if (!padInPieces) toPaddedChannelsLast(g, x + n0 * imageFloats, images, xPad, sampling);
    parallelFor(pieces, [&](int64_t q) {
      thread_local ReusableScratch imageScratch;
      float* own = padInPieces ? imageScratch.floats(perImage) : nullptr;
      int64_t ownImage = -1;  // the image in `own` (this call's: the scratch may hold another call's)
      float* mine = partials + q * wsize;
      bool overwrite = n0 == 0;
      if (tiles && overwrite) std::fill(mine, mine + wsize, 0.f);  // the tiles add onto it
      for (int64_t j = total * q / pieces, end = total * (q + 1) / pieces; j < end;) {  // split at images
        const int64_t n = j / P, p0 = j % P, p1 = std::min(P, p0 + end - j);
        if (padInPieces && n != ownImage) {
          toPaddedChannelsLastRows(g, x + (n0 + n) * imageFloats, 0, PH, own, sampling);
          ownImage = n;
        }
        const float* xImg = padInPieces ? own : xPad + n * perImage;
        for (int64_t grp = 0; grp < g.groups && tiles; ++grp)
          accumulateByTiles(g, xImg, dy + ((n0 + n) * g.outChannels + grp * coutG) * P, grp, p0, p1,
                            tapOffsets.data(), mine + grp * coutG * N);
        for (int64_t grp = 0; grp < g.groups && !tiles; ++grp) {
          PaddedPixelsB b(g, xImg, grp * cinG, p0, tapOffsets.data());
          const float* a = dy + ((n0 + n) * g.outChannels + grp * coutG) * P + p0;
          sgemmWithSourceSerial(false, coutG, N, p1 - p0, 1.f, a, P, b, overwrite ? 0.f : 1.f,
                                mine + grp * coutG * N, N);
        }
        overwrite = false;
        j += p1 - p0;
      }
      if (overwrite) std::fill(mine, mine + wsize, 0.f);  // an empty piece
    });
  }
  // dw[grp * coutG + co][c][tap] = the pieces' sum of [grp][co][tap][c], in piece order
  parallelRanges(g.outChannels, N * pieces, [&](int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; ++o) {
      float* d = dw + o * N;
      for (int64_t c = 0; c < cinG; ++c)
        for (int64_t tap = 0; tap < taps; ++tap) {
          float sum = 0.f;
          for (int64_t q = 0; q < pieces; ++q) sum += partials[q * wsize + o * N + tap * cinG + c];
          d[c * taps + tap] = sum;
        }
    }
  });
}

}  // namespace atrous
