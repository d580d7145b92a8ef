#include "plan.h"

#include <algorithm>
#include <cstdlib>
#include <mutex>

#include "depthwise.h"
#include "direct.h"
#include "forward_channels_last.h"
#include "forward_tile.h"
#include "padded_channels_last.h"
#include "tap_regions.h"
#include "weight_channels_last.h"
#include "weight_tile.h"
#include "winograd.h"
#include "../cpu_features.h"
#include "../thread_pool.h"

namespace atrous {

ConvLimits ConvLimits::of(int64_t budgetBytes) {
  const int64_t B = std::max<int64_t>(budgetBytes, 64) / static_cast<int64_t>(sizeof(float));
  ConvLimits l;
  // Per thread, so the GEMM paths' workspace is threads x this, plus at most two re-laid-out copies of
  // the weight (the forward by region: the tap-major weight and one region's block of it). A quarter:
  // the column tiles of S1-S8 and the training CNN fit whole at 2 threads.
  l.gemmScratchFloats = B / 4;
  // The subsampled copy of a folded conv's chunk of images: the same quarter (S6's 16 images of
  // 64 x 28 x 28 go in one chunk).
  l.foldChunkFloats = B / 4;
  // Three quarters for the by-region weight gradient's one band of dy rows and columns (no other
  // buffer is live then): small bands make its GEMMs too short in K.
  l.regionBandFloats = 3 * B / 4;
  // The whole budget for direct's one padded plane (one image and group, the threads share it), a
  // quarter when every thread pads its own images (and never more than the budget over the threads).
  l.directPaddedFloats = B;
  l.directPaddedPerThread = B / 4;
  // The channels-last forward keeps two buffers per thread (an image's copy and a block's sums): an
  // eighth each, all threads' together within the budget.
  l.channelsLastPerThread = B / 8;
  l.channelsLastTotal = B;
  // The channels-last weight gradient: half, for the padded copies of a chunk of images and, apart,
  // for the pieces' copies of dW (measured with 8 MiB each: L2-L4, S1, S6, S8).
  l.weightChannelsLastFloats = B / 2;
  // By tap: five eighths (10 MiB) for the channels-last copies of x and dy of a chunk of images; the
  // per-tap dW blocks, one weight's worth, come on top. The ASPP-like shapes it serves (dilation 12 on
  // 33x33 with 256 channels) then take their batch in one chunk.
  l.byTapFloats = 5 * B / 8;
  // Depthwise: a quarter per thread for one plane's padded copy or its KW shifted copies.
  l.depthwiseCopyFloats = B / 4;
  return l;
}

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
// The padding-skipping paths run one GEMM per region or per tap whose M x N is the group's output x
// input channels: with few channels those GEMMs are too small to block or to split between the threads,
// and computing every tap (zeros included) by the dense, direct or channels-last paths is faster until
// far fewer taps land inside. Measured through at.conv1d/at.conv2d, 2 threads, medians of 40 calls
// (forward / weight gradient, ms; skipping vs the best full-tap path):
//   TCN level, 24 -> 24, 1-d T = 600, kernel 8, batch 32, causal: dilation 64 (63% inside) 1.45 / 5.1
//     vs 0.64 (direct) / 0.93 (channels_last); dilation 128 (36% inside) 0.87 / 3.9 vs 0.81 / 0.97;
//   ASPP branch 64 -> 64, 16x16, batch 32, dilation 6 (56% inside) 3.27 / 5.8 vs 1.86 / 2.06 (channels_last);
//   128 -> 128, same: 12.6 / 12.0 vs 7.5 (direct) / 9.5 (dense);
//   256 -> 256, same: 22.8 / 27.6 vs 28.5 (direct) / 29.6 (dense): skipping wins from here on (S4: 512 -> 256).
// So below this many output x input channels per group, skip padding taps only when fewer than
// kTapSkipThresholdSmall of them land inside (the TCN's dilation 128 at 36% was level; a guess between).
constexpr int64_t kSkipGemmMinChannelProduct = 256 * 256 / 2;
constexpr double kTapSkipThresholdSmall = 0.3;
// The depthwise row kernels take at most this many taps (their per-row source table).
constexpr int64_t kDepthwiseMaxTaps = 64;

int64_t paddedH(const ConvGeometry& g) { return g.inH + g.padTop + g.padBottom; }
int64_t paddedW(const ConvGeometry& g) { return g.inW + g.padLeft + g.padRight; }
int64_t taps(const ConvGeometry& g) { return g.kernelH * g.kernelW; }
// Whether enough taps land in the padding that skipping them (by region, by tap) pays off.
bool skipsPaddingTaps(const ConvGeometry& g, const std::vector<ColumnWindow>& windows, double validFraction) {
  if (windows.size() <= 1) return false;
  const bool bigGemms = g.outChannelsPerGroup() * g.inChannelsPerGroup() >= kSkipGemmMinChannelProduct;
  return validFraction < (bigGemms ? kTapSkipThreshold : kTapSkipThresholdSmall);
}
bool depthwise(const ConvGeometry& g) { return g.inChannelsPerGroup() == 1; }
int64_t threads() { return numThreads(); }

// --- the workspace each path's buffers take (floats) ---

int64_t directPaddedFloats(const ConvGeometry& g) { return g.inChannelsPerGroup() * paddedH(g) * paddedW(g); }
// Enough images for every thread, each small enough to pad per thread, and all threads' copies
// together within the budget however many threads there are.
bool directImagesInParallel(const ConvGeometry& g, const ConvLimits& l) {
  return g.batch * g.groups >= 2 * threads() &&
         directPaddedFloats(g) <= std::min(l.directPaddedPerThread, l.directPaddedFloats / threads());
}
int64_t channelsLastForwardCap(const ConvLimits& l) {
  return std::min(l.channelsLastPerThread, l.channelsLastTotal / (2 * threads()));
}
int64_t depthwiseShiftedFloats(const ConvGeometry& g) { return g.kernelW * paddedH(g) * g.outW(); }
int64_t byTapFloatsPerImage(const ConvGeometry& g) { return g.inChannels * g.inH * g.inW + g.outChannels * g.outH() * g.outW(); }
// Chunks of equal size, each of at most `most` images.
int64_t equalChunkImages(int64_t batch, int64_t most) {
  most = std::max<int64_t>(1, most);
  const int64_t chunks = (batch + most - 1) / most;
  return (batch + chunks - 1) / chunks;
}

// With stride 1 the data gradient is itself a convolution: of dy with the weight flipped in space
// and transposed in channels, padded by extent - pad. It then gets the forward's paths (fused
// packing, tap skipping, the tiles). Needs pad <= extent on every side (else the padding would be
// negative).
bool transposedForData(const ConvGeometry& g, ConvGeometry* t) {
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

const char* forwardRefusal(const ConvGeometry& g, ConvPath path, const ConvLimits& l) {
  switch (path) {
    case ConvPath::Dense:
    case ConvPath::ByRegion: return nullptr;
    case ConvPath::Direct:
      if (!hasActiveIsaVariant<decltype(&direct::tileAvx512)>(nullptr, nullptr, ATROUS_X86_ONLY(direct::tileAvx512)))
        return "direct needs AVX-512 (its register tile exists for AVX-512 only)";
      if (g.strideW != 1) return "direct needs stride 1 along the width";
      if (directPaddedFloats(g) > l.directPaddedFloats)
        return "direct: the padded plane of one image and group exceeds its share of the workspace";
      return nullptr;
    case ConvPath::ChannelsLast:
      if (!hasActiveIsaVariant<decltype(&forward_tile::forwardWideAvx512)>(
              nullptr, nullptr, ATROUS_X86_ONLY(forward_tile::forwardWideAvx512)))
        return "channels_last (forward) needs AVX-512 (its register tiles exist for AVX-512 only)";
      if (channelsLastForwardBandRows(g, channelsLastForwardCap(l)) < 1)
        return "channels_last (forward): the padded input rows or the sums of one output row exceed a thread's share of the workspace";
      return nullptr;
    case ConvPath::Winograd:
      if (!hasActiveIsaVariant<decltype(&winograd::inputTileAvx512)>(nullptr, nullptr,
                                                                       ATROUS_X86_ONLY(winograd::inputTileAvx512)))
        return "winograd needs AVX-512 (its transforms and tile exist for AVX-512 only)";
      if (!winogradFits(g)) return "winograd needs a 3x3 kernel, stride 1, one group and input channels a multiple of 16";
      if (winogradBandRows(g, channelsLastForwardCap(l)) < 1)
        return "winograd: the padded input rows or the sums of one pair of tile rows exceed a thread's share of the workspace";
      return nullptr;
    case ConvPath::Depthwise: return depthwise(g) ? nullptr : "depthwise needs one input channel per group";
    case ConvPath::DepthwisePadded:
      if (!depthwise(g)) return "depthwise_padded needs one input channel per group";
      if (g.strideW != 1) return "depthwise_padded needs stride 1 along the width";
      if (taps(g) > kDepthwiseMaxTaps) return "depthwise_padded takes at most 64 taps";
      if (paddedH(g) * paddedW(g) > l.depthwiseCopyFloats)
        return "depthwise_padded: the padded plane exceeds a thread's share of the workspace";
      return nullptr;
    case ConvPath::DepthwiseShifted:
      if (!depthwise(g)) return "depthwise_shifted needs one input channel per group";
      if (g.strideW != 1 || g.strideH != 1) return "depthwise_shifted needs stride 1";
      if (taps(g) > kDepthwiseMaxTaps) return "depthwise_shifted takes at most 64 taps";
      if (depthwiseShiftedFloats(g) > l.depthwiseCopyFloats)
        return "depthwise_shifted: the shifted copies exceed a thread's share of the workspace";
      return nullptr;
    default: return nullptr;  // convPathRefusal asked convPassHasPath first
  }
}

const char* dataRefusal(const ConvGeometry& g, ConvPath path) {
  ConvGeometry t;
  switch (path) {
    case ConvPath::AsForward:
      return transposedForData(g, &t) ? nullptr : "as_forward needs stride 1 and padding at most the dilated kernel's extent";
    case ConvPath::Depthwise: return depthwise(g) ? nullptr : "depthwise needs one input channel per group";
    case ConvPath::ByColumns: return nullptr;
    default: return nullptr;  // convPathRefusal asked convPassHasPath first
  }
}

const char* weightRefusal(const ConvGeometry& g, ConvPath path, const ConvLimits& l) {
  switch (path) {
    case ConvPath::Winograd:
      if (const char* why = forwardRefusal(g, ConvPath::Winograd, l)) return why;
      if (g.outChannels % winograd::kChannelStep != 0) return "winograd (weight) needs output channels a multiple of 16";
      if (winograd::kPoints * g.outChannels * g.inChannels * threads() > l.weightChannelsLastFloats)
        return "winograd (weight): the threads' sums (16 x output x input channels each) exceed its share of the workspace";
      return nullptr;
    case ConvPath::Dense:
    case ConvPath::ByRegion: return nullptr;
    case ConvPath::ByTap:
      return byTapFloatsPerImage(g) <= l.byTapFloats
                 ? nullptr
                 : "by_tap: one image's channels-last copies exceed its share of the workspace";
    case ConvPath::ChannelsLast:
      // The weight also bounds the pieces: a weight too large for a few copies per thread leaves too
      // few pieces to balance (S3, 256 x 256 x 3 x 3: one piece per thread, 6% slower).
      if (paddedChannelsLastFloats(g) > l.weightChannelsLastFloats ||
          g.weightSize() * kWeightPiecesPerThread * threads() > l.weightChannelsLastFloats)
        return "channels_last (weight): one image's padded copy or the pieces' copies of the weight exceed its share of the workspace";
      return nullptr;
    case ConvPath::Depthwise: return depthwise(g) ? nullptr : "depthwise needs one input channel per group";
    case ConvPath::DepthwiseShifted:
      if (!depthwise(g)) return "depthwise_shifted needs one input channel per group";
      if (g.strideW != 1 || g.strideH != 1) return "depthwise_shifted needs stride 1";
      if (depthwiseShiftedFloats(g) > l.depthwiseCopyFloats)
        return "depthwise_shifted: the shifted copies exceed a thread's share of the workspace";
      return nullptr;
    default: return nullptr;  // convPathRefusal asked convPassHasPath first
  }
}

bool runs(const ConvGeometry& g, ConvPass pass, ConvPath path, const ConvLimits& l) {
  return convPathRefusal(g, pass, path, l) == nullptr;
}

// --- the rules: which path runs a geometry that folds no further, in the order they are tried ---

// The NCHW direct tile, where measured faster than the GEMM (interleaved, 2 threads): it wins on wide
// rows (S3 +5%, S8 +30%), and on rows a multiple of 16 wide when every thread convolves whole images of
// its own (S1: 32 images of 32x32, +40%; S2 +16%); it loses on 1-d kernels of 2 taps (S5: -30%), on
// narrow rows shared by the threads of one image (S1 -10 to -30%), and does not win on 28-wide rows (S6
// folded: 12.5% of the lanes masked; even staged once per kernel column so that vectors run across
// rows, it was 3% slower than the GEMM).
bool directChosen(const ConvGeometry& g, const ConvLimits& l) {
  const bool rowsFit = g.outW() >= 64 || (g.outW() % direct::kLanes == 0 && directImagesInParallel(g, l));
  return runs(g, ConvPass::Forward, ConvPath::Direct, l) && g.inChannelsPerGroup() >= 2 && taps(g) >= 4 && rowsFit;
}

// Under this many output pixels per image the GEMM path's per-image GEMM is too narrow to fill its
// tiles, and the channels-last tile wins with 2 or 3 taps too. Measured (scripts/bench-conv-paths.cjs,
// 2 rounds, 2 threads, this rule against the one before): the CharLm's layer (128 -> 128, 128 steps,
// kernel 2, batch 32) forward 0.95 -> 0.82 ms and data gradient (its inner forward) 1.28 -> 1.18 ms;
// 256 steps 1.79 -> 1.54 and 2.50 -> 2.14 ms; kernel 3, 64 channels, 128 steps 0.42 -> 0.35 and 0.59 ->
// 0.46 ms; 4096 steps (S5) unchanged, as it keeps the GEMM. 1x1 kernels keep it too: mixed (16x16 ASPP
// projections 0-20% faster forward but slower data gradient; a folded 1x1 stride-2 forward 0.33 -> 0.60 ms).
constexpr int64_t kChannelsLastShortImagePixels = 256;

// The channels-last forward tile, measured against the GEMM path (interleaved, 2 threads): S6 folded
// (28-wide rows) +16% (+7% more since); a 1-d kernel of 2 taps (S5) fwd +3%, bwd-data -10%, so kernels
// under 4 taps keep the GEMM. Rows a multiple of 16 wide take the NCHW direct tile first where each
// thread convolves whole images with it (S1, S2: level with this one on 2026-12-04, 30-50% faster before
// the tile's later gains). Each thread convolves whole images: enough images for every thread.
bool channelsLastForwardChosen(const ConvGeometry& g, const ConvLimits& l) {
  const bool shortImages = g.outH() * g.outW() <= kChannelsLastShortImagePixels && taps(g) >= 2;
  return runs(g, ConvPass::Forward, ConvPath::ChannelsLast, l) && g.inChannelsPerGroup() >= 2 &&
         (taps(g) >= 4 || shortImages) && g.batch * g.groups >= 2 * threads();
}

// The channels-last weight gradient: with fewer than 4 taps the transposed copy of x is too large a
// share of the work (S5, 1-d, 2 taps: 22% slower than the dense path by GEMM, 17% by the AVX-512 tile).
bool channelsLastWeightChosen(const ConvGeometry& g, const ConvLimits& l) {
  return taps(g) >= 4 && g.inChannelsPerGroup() >= 2 && runs(g, ConvPass::Weight, ConvPath::ChannelsLast, l);
}

// The share of a Winograd tiling's 2x2 tiles that lands on the output: each run of 2d outputs along
// an axis holds d tile origins (the last run may be short), and a tile past the edge is computed whole.
double winogradCoverage(const ConvGeometry& g) {
  auto tiles = [](int64_t out, int64_t d) { return out / (2 * d) * d + std::min(out % (2 * d), d); };
  return static_cast<double>(g.outH() * g.outW()) / (4.0 * tiles(g.outH(), g.dilationH) * tiles(g.outW(), g.dilationW));
}

// Winograd's F(2x2, 3x3): 16 multiplies per 2x2 outputs instead of 36, where the transforms and
// the tiles cut by the output's edge leave most of that. Measured, forced path against the planner's
// choice, interleaved, 2 threads, forward (atrous_bench conv, 2-3 runs; nominal GFLOP/s): S1 281 ->
// 391, S2 309 -> 522, S3 313 -> 538; S8 (one image, 32 channels, in 4 bands) 237 -> 256-275; the
// training CNN's 32-channel layers, 28 x 28 and 14 x 14, 300 -> 360 and 311 -> 373. Level: its
// 64-channel 14 x 14 layer at dilation 2 (tiles 77% full: 339 -> 350, 335 -> 340), so tiles must be
// 80% full. Lost, before the narrow tile took 32 output channels: S8 242 -> 182.
// Images of at least kWinogradMinPixels outputs: on DeepLabLite's 16 x 16 layers of 64 channels
// (forced path against the channels-last tile, atrous_bench, 2 runs) Winograd lost 25-35% forward
// (dilation 1: 349 / 344 -> 239 / 263; dilation 2: 356 / 352 -> 264 / 240; 64 -> 32: 323 / 328 ->
// 253 / 219), and its profiled training step went from 117 to 119-128 ms, data and weight gradients
// too (the transforms and copies of a small image outweigh the multiplies saved). Measured again
// at the next stop, the 64 -> 64 ones were level and the 64 -> 32 ones faster: see below.
constexpr int64_t kWinogradMinPixels = 512;
// ... unless one side has at most this many channels, where the direct and channels-last tiles run
// narrow: atrous_bench, forced path against the planner's choice, interleaved, 2 runs (ms):
// DeepLabLite's ASPP 64 -> 32 at 16 x 16, batch 32, dilation 2: 1.05 / 1.03 -> 0.77 / 0.79, dilation
// 4: 1.05 / 1.04 -> 0.83 / 0.81; the training CNN's 32 -> 64 at 14 x 14: 1.41 / 1.36 -> 1.04 / 1.02.
// 64 -> 64 at 16 x 16 stayed level (1.89-1.95 -> 1.90-2.00).
constexpr int64_t kWinogradSmallImageChannels = 32;

bool winogradChosen(const ConvGeometry& g, const ConvLimits& l) {
  if (!runs(g, ConvPass::Forward, ConvPath::Winograd, l) || g.inChannels < 32 || g.outChannels < 32 ||
      (g.outH() * g.outW() < kWinogradMinPixels && std::min(g.inChannels, g.outChannels) > kWinogradSmallImageChannels))
    return false;
  return 4 * winogradPaddedOutChannels(g) <= 5 * g.outChannels && winogradCoverage(g) >= 0.8;
}

// Its weight gradient, measured the same way (bwd-weight, 2-3 runs): S1 297 -> 362, S2 273 -> 421,
// S3 284 -> 402 (dense before); the training CNN's 32 -> 64 layer 330 / 318 -> 402 / 393 and its
// 64-channel 14 x 14 one (tiles 77% full) 309 / 314 -> 336 / 358; 64 channels of 128 x 128, one
// image, 325 / 332 -> 418 / 422. Lost with 32 channels each way (the transforms outweigh products of
// 32 x 32): the CNN's 28 x 28 layer 349 / 337 -> 290 / 304, S8 325 / 340 -> 274 / 272. Small images
// stay out, 32 channels on a side or not (the forward's exception is not measured here): DeepLabLite's
// 16 x 16 layers were mixed (64 -> 64 up to 20% faster, 64 -> 32 15% slower, in a profiled step), and
// the CNN's 14 x 14 ones give up their gain with them.
bool winogradWeightChosen(const ConvGeometry& g, const ConvLimits& l) {
  return runs(g, ConvPass::Weight, ConvPath::Winograd, l) && g.inChannels >= 32 && g.outChannels >= 32 &&
         g.inChannels * g.outChannels > 32 * 32 && winogradCoverage(g) >= 0.75 &&
         g.outH() * g.outW() >= kWinogradMinPixels;
}

ConvPath forwardRule(const ConvGeometry& g, const ConvLimits& l, std::vector<ColumnWindow>* windows, const char** why) {
  if (depthwise(g)) {
    // By shifted copies when each copy serves at least KW output planes (the copies are KW planes, 3x the
    // padded one). Measured, 1 thread, interleaved medians: multiplier 32 (L1, 28-wide rows) 1.41 ->
    // 0.62 ms; multiplier 1 (S7 and its 32- and 48-wide variants) 10-20% slower, so those keep the rows.
    if (g.outChannelsPerGroup() >= g.kernelW && runs(g, ConvPass::Forward, ConvPath::DepthwiseShifted, l)) {
      *why = "one input channel per group, stride 1, channel multiplier >= KW";
      return ConvPath::DepthwiseShifted;
    }
    // Stride-1 rows: a zero-padded copy of the plane lets a row take all its taps in one vector pass.
    if (runs(g, ConvPass::Forward, ConvPath::DepthwisePadded, l)) {
      *why = "one input channel per group, stride-1 rows";
      return ConvPath::DepthwisePadded;
    }
    *why = "one input channel per group (GEMM is the wrong tool: K = KH*KW, memory-bound)";
    return ConvPath::Depthwise;
  }
  double validFraction = 1.0;
  *windows = tapWindows(g, &validFraction);
  if (skipsPaddingTaps(g, *windows, validFraction)) {
    if (validFraction >= kChannelsLastOverRegion && channelsLastForwardChosen(g, l)) {
      *why = "65-85% of taps inside and the channels-last tile takes the shape";
      return ConvPath::ChannelsLast;
    }
    *why = "under 85% of taps inside (30% with few channels): skip the padding taps by region";
    return ConvPath::ByRegion;
  }
  if (winogradChosen(g, l)) {
    *why = "3x3 at stride 1, 32+ channels each way, 512+ output pixels (or 32 channels on a side) and tiles that cover them: F(2x2, 3x3)";
    return ConvPath::Winograd;
  }
  // Where the direct tile would share each image between the threads (one image's padded planes
  // exceed a thread's share), the channels-last tile keeps an image per thread, copying it in bands of
  // rows. S3 (8 images of 256 x 64 x 64, 5.3 MB padded), interleaved, 2 threads, 7 rounds: forward
  // 328 -> 341 GFLOP/s; its data gradient (the same rule on the transposed conv), 3 rounds: 320 -> 337.
  if (channelsLastForwardChosen(g, l) && directChosen(g, l) && !directImagesInParallel(g, l)) {
    *why = "AVX-512, an image per thread in bands of rows, where the direct tile would share each image";
    return ConvPath::ChannelsLast;
  }
  if (directChosen(g, l)) {
    *why = "AVX-512, stride-1 columns, rows 64 wide (or a multiple of 16 with an image per thread)";
    return ConvPath::Direct;
  }
  if (channelsLastForwardChosen(g, l)) {
    *why = "AVX-512, an image per thread, rows the direct tile does not fill";
    return ConvPath::ChannelsLast;
  }
  *why = "the general path";
  return ConvPath::Dense;
}

ConvPath weightRule(const ConvGeometry& g, const ConvLimits& l, std::vector<ColumnWindow>* windows, const char** why) {
  if (depthwise(g)) {
    // By shifted copies wherever the stride is 1. Measured, interleaved medians: L1 (multiplier 32,
    // 28-wide rows) 4.98 -> 0.77 ms with 1 thread, 8.2 -> 1.6 ms with 2 (loaded machine); S7
    // (multiplier 1, 64-wide rows) 27.2 -> 26.3 ms with 2 threads: no loss where rows were already long.
    if (runs(g, ConvPass::Weight, ConvPath::DepthwiseShifted, l)) {
      *why = "one input channel per group, stride 1";
      return ConvPath::DepthwiseShifted;
    }
    *why = "one input channel per group";
    return ConvPath::Depthwise;
  }
  double validFraction = 1.0;
  *windows = tapWindows(g, &validFraction);
  const bool channelsLast = channelsLastWeightChosen(g, l);
  const bool tile = hasActiveIsaVariant<decltype(&weight_tile::accumulateAvx512)>(
      nullptr, nullptr, ATROUS_X86_ONLY(weight_tile::accumulateAvx512));
  if (skipsPaddingTaps(g, *windows, validFraction) &&
      !(validFraction >= kChannelsLastOverRegion && tile && channelsLast)) {
    if (runs(g, ConvPass::Weight, ConvPath::ByTap, l)) {
      *why = "under 85% of taps inside (30% with few channels): per-tap GEMMs over the pixels where each lands";
      return ConvPath::ByTap;
    }
    *why = "under 85% of taps inside (30% with few channels), too large for by_tap: skip the padding taps by region";
    return ConvPath::ByRegion;
  }
  if (winogradWeightChosen(g, l)) {
    *why = "3x3 at stride 1, more than 32 x 32 channels, 512+ output pixels and tiles that cover them: F(3x3, 2x2)";
    return ConvPath::Winograd;
  }
  if (channelsLast) {
    *why = "4 taps or more and the padded copies fit";
    return ConvPath::ChannelsLast;
  }
  *why = "the general path";
  return ConvPath::Dense;
}

ConvPath dataRule(const ConvGeometry& g, const char** why) {
  ConvGeometry t;
  if (transposedForData(g, &t)) {  // depthwise too: its transpose is depthwise again (multiplier 1)
    *why = "stride 1: a forward of dy with the flipped, transposed weight";
    return ConvPath::AsForward;
  }
  if (depthwise(g)) {
    *why = "one input channel per group, strided";
    return ConvPath::Depthwise;
  }
  *why = "strided or padded past the kernel: column tiles and col2im";
  return ConvPath::ByColumns;
}

// --- sizing: how a chosen path splits its work within its share, and the bytes it takes ---

// The dense weight gradient's tiles of pixels: bounded by the scratch, and small enough that a batch
// of one image still gives every thread tiles of its own (the column tile is built by one thread).
// Threads sum their share of the tiles into copies of dW of their own when the copies are small.
void sizeDenseWeight(ConvPlan* p) {
  const ConvGeometry& g = p->geometry;
  const int64_t P = g.outH() * g.outW(), Kdim = g.inChannelsPerGroup() * taps(g), imageGroups = g.batch * g.groups;
  const int64_t scratch = p->limits.gemmScratchFloats;
  int64_t tiles = (P + scratch / Kdim - 1) / std::max<int64_t>(1, scratch / Kdim);
  if (imageGroups * tiles < 2 * threads()) tiles = std::min(P, (2 * threads() + imageGroups - 1) / imageGroups);
  p->tilePixels = (P + tiles - 1) / tiles;
  tiles = (P + p->tilePixels - 1) / p->tilePixels;
  p->perThread = threads() > 1 && imageGroups * tiles >= 2 * threads() &&
                 g.weightSize() * (threads() - 1) <= 4 * scratch;
}

// The channels-last weight gradient: with at least an image per piece, and every thread's copy of one
// image within the share, the pieces pad their own images as they come to them: the copy is read from
// L2 right after it is written, where padding the whole batch first wrote and read back 5 MiB (L4 of
// the training CNN) in a pool round of its own. Measured (interleaved medians, 2 threads): L2 7.6 ->
// 6.0 ms, L3 4.1 -> 3.4, L4 7.3 -> 6.4, S1 23.4 -> 20.1, S6 17.7 -> 16.2; S8 (one image: every piece
// padded it) 3.2 -> 3.3, so fewer images than pieces pad the batch first, in chunks within the share.
void sizeChannelsLastWeight(ConvPlan* p) {
  const ConvGeometry& g = p->geometry;
  const int64_t perImage = paddedChannelsLastFloats(g), pieces = kWeightPiecesPerThread * threads();
  p->perThread = g.batch >= pieces && perImage * threads() <= p->limits.weightChannelsLastFloats;
  p->pathChunkImages =
      p->perThread ? g.batch : equalChunkImages(g.batch, p->limits.weightChannelsLastFloats / perImage);
}

int64_t maxBandPixels(const std::vector<ColumnWindow>& windows, int64_t maxPixels) {
  int64_t most = 1;
  for (const ColumnWindow& w : windows) most = std::max(most, std::min(w.pixels(), maxPixels));
  return most;
}

// The workspace of the path alone (the fold's copy comes on top), in floats.
int64_t pathWorkspaceFloats(const ConvPlan& p) {
  const ConvGeometry& g = p.geometry;
  const ConvLimits& l = p.limits;
  const int64_t T = threads(), cinG = g.inChannelsPerGroup(), coutG = g.outChannelsPerGroup();
  const int64_t Kdim = cinG * taps(g), wsize = g.weightSize();
  const bool imageTasks = g.batch * g.groups >= 2 * T;  // forEachImageGroup: one task per image and group
  switch (p.path) {
    case ConvPath::Dense:
      if (p.pass == ConvPass::Forward) return 0;  // straight into y
      return Kdim * p.tilePixels * (p.perThread ? T : 1) + (p.perThread ? (T - 1) * wsize : 0);
    case ConvPath::ByRegion: {
      if (p.pass == ConvPass::Forward) {
        const int64_t maxPixels = std::max<int64_t>(1, l.gemmScratchFloats / (coutG * g.batch));
        const int64_t scratch = coutG * g.batch * maxBandPixels(p.windows, maxPixels);
        return 2 * wsize + scratch * (g.groups >= 2 * T ? T : 1);  // tap-major weight and a region's block
      }
      int64_t most = 0;
      for (const ColumnWindow& w : p.windows) {
        const int64_t Kr = cinG * w.taps();
        if (Kr == 0) continue;
        const int64_t maxPixels = std::max<int64_t>(1, l.regionBandFloats / ((Kr + coutG) * g.batch));
        most = std::max(most, (Kr + coutG) * g.batch * std::min(w.pixels(), maxPixels) + coutG * Kr);
      }
      return most;
    }
    case ConvPath::Direct: {
      const int64_t blocks = (coutG + direct::kCoBlock - 1) / direct::kCoBlock;
      return g.groups * blocks * cinG * taps(g) * direct::kCoBlock + directPaddedFloats(g) * (p.imagesInParallel ? T : 1);
    }
    case ConvPath::Winograd:
      if (p.pass == ConvPass::Weight) return T * winogradWeightThreadFloats(g, p.bandRows);
      return winogradWeightFloats(g) + std::min(T, g.batch * ((g.outH() + p.bandRows - 1) / p.bandRows)) *
                                            winogradThreadFloats(g, p.bandRows);
    case ConvPath::ChannelsLast: {
      if (p.pass == ConvPass::Forward) {
        const int64_t coBlock = forward_tile::shapeFor(coutG).coBlock, blocks = (coutG + coBlock - 1) / coBlock;
        return g.groups * blocks * coBlock * (taps(g) * cinG + 1) +
               std::min(T, g.batch) * (channelsLastForwardCopyFloats(g, p.bandRows) +
                                       channelsLastForwardSumFloats(g, p.bandRows) +
                                       p.bandRows * g.outW() * 2);  // and each band pixel's int64 offset
      }
      const int64_t perImage = paddedChannelsLastFloats(g);
      return (p.perThread ? T * perImage : p.pathChunkImages * perImage) + kWeightPiecesPerThread * T * wsize;
    }
    case ConvPath::ByTap: return p.pathChunkImages * byTapFloatsPerImage(g) + wsize;
    case ConvPath::AsForward: return wsize + (p.inner.empty() ? 0 : p.inner[0].workspaceBytes / 4);
    case ConvPath::ByColumns: return Kdim * p.tilePixels * (imageTasks ? T : 1);
    case ConvPath::Depthwise: return p.pass == ConvPass::Weight ? T * taps(g) * 2 : 0;  // per-channel double sums
    case ConvPath::DepthwisePadded: return std::min(T, g.batch * g.inChannels) * paddedH(g) * paddedW(g);
    case ConvPath::DepthwiseShifted: {
      const int64_t copies = std::min(T, g.batch * g.inChannels) * depthwiseShiftedFloats(g);
      if (p.pass == ConvPass::Forward) return copies;
      const int64_t pieces = std::min<int64_t>(g.batch, (4 * T + g.inChannels - 1) / g.inChannels);
      return copies + 2 * pieces * g.outChannels * taps(g);  // the pieces' double sums
    }
    case ConvPath::Auto: break;
  }
  return 0;
}

// Fills in the path's sizing and workspace, once p->path and p->geometry are set.
void finishPlan(ConvPlan* p, const ConvChoice& choice, Status* status) {
  const ConvGeometry& g = p->geometry;
  switch (p->path) {
    case ConvPath::Direct: p->imagesInParallel = directImagesInParallel(g, p->limits); break;
    case ConvPath::ByTap: p->pathChunkImages = equalChunkImages(g.batch, p->limits.byTapFloats / byTapFloatsPerImage(g)); break;
    case ConvPath::ChannelsLast:
      if (p->pass == ConvPass::Weight) sizeChannelsLastWeight(p);
      else p->bandRows = channelsLastForwardBandRows(g, channelsLastForwardCap(p->limits));
      break;
    case ConvPath::Winograd: {
      // Bands are the threads' items: under 2 images per thread, each image goes in that many bands
      // (S8, one image: 4 bands of 32 rows; whole, one thread did all of it).
      const int64_t pair = 2 * g.dilationH, bandsPerImage = (2 * threads() + g.batch - 1) / g.batch;
      const int64_t shared = ((g.outH() + bandsPerImage - 1) / bandsPerImage + pair - 1) / pair * pair;
      p->bandRows = std::min(winogradBandRows(g, channelsLastForwardCap(p->limits)), shared);
      break;
    }
    case ConvPath::ByColumns:
      p->tilePixels = std::clamp<int64_t>(p->limits.gemmScratchFloats / (g.inChannelsPerGroup() * taps(g)), 1,
                                          g.outH() * g.outW());
      break;
    case ConvPath::Dense:
      if (p->pass == ConvPass::Weight) sizeDenseWeight(p);
      break;
    case ConvPath::ByRegion:
      if (p->windows.empty()) {
        double validFraction;
        p->windows = tapWindows(g, &validFraction);
      }
      break;
    case ConvPath::AsForward: {
      transposedForData(g, &p->transposed);
      ConvPlan inner;
      ConvChoice innerChoice;
      innerChoice.path = choice.innerPath;
      innerChoice.allowFold = false;  // stride 1: nothing to fold
      Status s = planConv(p->transposed, ConvPass::Forward, innerChoice, &inner, p->budgetBytes);
      if (!s.isOk()) {
        *status = s;
        return;
      }
      p->innerPath = inner.path;
      p->inner.push_back(std::move(inner));
      break;
    }
    default: break;
  }
  p->workspaceBytes = pathWorkspaceFloats(*p) * static_cast<int64_t>(sizeof(float));
}

Status refusedError(const ConvGeometry& g, ConvPass pass, ConvPath path, const char* reason, bool folded) {
  return Status::error(std::string("conv ") + convPassName(pass) + ": ATROUS_CONV_PATH path '" + convPathName(path) +
                       "' does not apply to [" + g.describe() + "]: " + reason +
                       (folded ? " (on the stride-folded conv; fold=off runs it unfolded)" : ""));
}

}  // namespace

const char* convPassName(ConvPass pass) {
  switch (pass) {
    case ConvPass::Forward: return "forward";
    case ConvPass::Data: return "data";
    case ConvPass::Weight: return "weight";
  }
  return "unknown";
}

const char* convPathName(ConvPath path) {
  switch (path) {
    case ConvPath::Auto: return "auto";
    case ConvPath::Dense: return "dense";
    case ConvPath::ByRegion: return "by_region";
    case ConvPath::Direct: return "direct";
    case ConvPath::ChannelsLast: return "channels_last";
    case ConvPath::ByTap: return "by_tap";
    case ConvPath::AsForward: return "as_forward";
    case ConvPath::ByColumns: return "by_columns";
    case ConvPath::Depthwise: return "depthwise";
    case ConvPath::DepthwisePadded: return "depthwise_padded";
    case ConvPath::DepthwiseShifted: return "depthwise_shifted";
    case ConvPath::Winograd: return "winograd";
  }
  return "unknown";
}

bool parseConvPath(const std::string& name, ConvPath* out) {
  for (int i = 0; i < kConvPathCount; ++i)
    if (name == convPathName(static_cast<ConvPath>(i))) {
      *out = static_cast<ConvPath>(i);
      return true;
    }
  return false;
}

bool convPassHasPath(ConvPass pass, ConvPath path) {
  switch (path) {
    case ConvPath::Dense:
    case ConvPath::ByRegion:
    case ConvPath::ChannelsLast:
    case ConvPath::Winograd: return pass != ConvPass::Data;
    case ConvPath::Direct:
    case ConvPath::DepthwisePadded: return pass == ConvPass::Forward;
    case ConvPath::ByTap: return pass == ConvPass::Weight;
    case ConvPath::AsForward:
    case ConvPath::ByColumns: return pass == ConvPass::Data;
    case ConvPath::Depthwise: return true;
    case ConvPath::DepthwiseShifted: return pass != ConvPass::Data;
    case ConvPath::Auto: return false;
  }
  return false;
}

const char* convPathRefusal(const ConvGeometry& g, ConvPass pass, ConvPath path, const ConvLimits& limits) {
  if (!convPassHasPath(pass, path)) {
    switch (pass) {
      case ConvPass::Forward: return "not a forward path (forward: dense, by_region, direct, channels_last, winograd, depthwise, depthwise_padded, depthwise_shifted)";
      case ConvPass::Data: return "not a data-gradient path (data: as_forward, by_columns, depthwise)";
      case ConvPass::Weight: return "not a weight-gradient path (weight: dense, by_region, by_tap, channels_last, winograd, depthwise, depthwise_shifted)";
    }
  }
  switch (pass) {
    case ConvPass::Forward: return forwardRefusal(g, path, limits);
    case ConvPass::Data: return dataRefusal(g, path);
    case ConvPass::Weight: return weightRefusal(g, path, limits);
  }
  return "unknown pass";
}

std::string ConvPlan::describe() const {
  std::string s = convPathName(path);
  if ((path == ConvPath::ChannelsLast || path == ConvPath::Winograd) && pass == ConvPass::Forward &&
      bandRows < geometry.outH())
    s += " (bands of " + std::to_string(bandRows) + " rows)";
  if (!inner.empty()) s += std::string(" -> ") + inner[0].describe();
  if (folded)
    s += " (stride folded " + std::to_string(fold.factorH) + "x" + std::to_string(fold.factorW) +
         (sampled ? ", read through the fold)" : ", chunks of " + std::to_string(chunkImages) + " images)");
  return s;
}

Status planConv(const ConvGeometry& g, ConvPass pass, const ConvChoice& choice, ConvPlan* plan, int64_t budgetBytes) {
  ConvPlan& p = *plan;
  p = ConvPlan{};
  p.pass = pass;
  p.budgetBytes = budgetBytes > 0 ? budgetBytes : kConvWorkspaceBytes;
  p.limits = ConvLimits::of(p.budgetBytes);
  p.geometry = g;
  p.planned = g;
  const bool forced = choice.path != ConvPath::Auto;

  // 1. The stride folds into a subsampled input where stride, leading padding and dilation share a
  // factor (stride_fold.h), for dense groups only: the depthwise kernels have not been measured folded.
  if (choice.allowFold && !depthwise(g) && planStrideFold(g, &p.fold)) {
    p.folded = true;
    const ConvGeometry& f = p.fold.folded;
    // The channels-last copies subsample as they copy: no subsampled copy first (S6).
    if (pass != ConvPass::Data) {
      ConvPath onWhole = choice.path;
      const char* why = "forced";
      if (!forced) onWhole = pass == ConvPass::Forward ? forwardRule(f, p.limits, &p.windows, &why)
                                                       : weightRule(f, p.limits, &p.windows, &why);
      if (onWhole == ConvPath::ChannelsLast) {
        if (const char* no = convPathRefusal(f, pass, onWhole, p.limits)) return refusedError(g, pass, onWhole, no, true);
        p.sampled = true;
        p.geometry = f;
        p.path = onWhole;
        p.why = why;
        Status s;
        finishPlan(&p, choice, &s);
        return s;
      }
    }
    // Else chunks of images are subsampled into a copy within the fold's share, and the folded conv
    // runs on each chunk.
    p.chunkImages = equalChunkImages(g.batch, p.limits.foldChunkFloats / (f.inChannels * f.inH * f.inW));
    p.geometry = f;
    p.geometry.batch = p.chunkImages;
    p.windows.clear();
  }
  const ConvGeometry& r = p.geometry;

  // 2. The path for the geometry the plan runs on: forced, or the rules'.
  if (forced) {
    if (const char* no = convPathRefusal(r, pass, choice.path, p.limits))
      return refusedError(g, pass, choice.path, no, p.folded);
    p.path = choice.path;
    p.why = "forced";
  } else if (pass == ConvPass::Forward) {
    p.path = forwardRule(r, p.limits, &p.windows, &p.why);
  } else if (pass == ConvPass::Weight) {
    p.path = weightRule(r, p.limits, &p.windows, &p.why);
  } else if (p.folded) {
    // The folded conv's data gradient as a forward only when the channels-last tile takes it (S6: 6%
    // faster than by columns); the GEMM as a forward has only Cin = 64 rows per packed column there
    // and was 12% slower than by columns.
    ConvGeometry t;
    const bool asForward = transposedForData(r, &t) && channelsLastForwardChosen(t, p.limits);
    p.path = asForward ? ConvPath::AsForward : ConvPath::ByColumns;
    p.why = asForward ? "folded, stride 1 after folding, and the channels-last tile takes the transposed conv"
                      : "folded: column tiles of the subsampled input";
  } else {
    p.path = dataRule(r, &p.why);
  }
  Status s;
  finishPlan(&p, choice, &s);
  if (!s.isOk()) return s;
  if (p.folded)  // the subsampled copy (x, or dx for the data gradient), and a chunk's dW apart
    p.workspaceBytes += static_cast<int64_t>(sizeof(float)) *
                        (p.chunkImages * r.inChannels * r.inH * r.inW +
                         (pass == ConvPass::Weight && p.chunkImages < g.batch ? g.weightSize() : 0));
  return Status::ok();
}

ConvPlan planConv(const ConvGeometry& g, ConvPass pass, int64_t budgetBytes) {
  ConvPlan plan;
  planConv(g, pass, ConvChoice{}, &plan, budgetBytes);  // the rules only pick paths that run
  return plan;
}

Status parseConvPathSpec(const std::string& spec, ConvPass pass, ConvChoice* choice) {
  *choice = ConvChoice{};
  const std::string usage =
      "ATROUS_CONV_PATH expects a path name, or pass=name pairs separated by commas (passes: forward, data, "
      "weight; fold=off never folds the stride), but got '" + spec + "'";
  size_t start = 0;
  while (start <= spec.size()) {
    const size_t comma = spec.find(',', start);
    const std::string item = spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? spec.size() + 1 : comma + 1;
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    const std::string key = eq == std::string::npos ? "" : item.substr(0, eq);
    const std::string value = eq == std::string::npos ? item : item.substr(eq + 1);
    if (key == "fold") {
      if (value != "off" && value != "on") return Status::error(usage + ": fold takes on or off");
      if (value == "off") choice->allowFold = false;
      continue;
    }
    ConvPath path;
    if (!parseConvPath(value, &path)) return Status::error(usage + ": no path named '" + value + "'");
    if (key.empty()) {
      if (convPassHasPath(pass, path)) choice->path = path;  // a bare name: every pass that has the path
      continue;
    }
    if (key != "forward" && key != "data" && key != "weight") return Status::error(usage + ": no pass named '" + key + "'");
    if (key == convPassName(pass)) choice->path = path;
  }
  return Status::ok();
}

Status planConvFromEnvironment(const ConvGeometry& g, ConvPass pass, ConvPlan* plan, int64_t budgetBytes) {
  const char* env = std::getenv("ATROUS_CONV_PATH");
  if (!env || !*env) {
    *plan = planConv(g, pass, budgetBytes);
    return Status::ok();
  }
  // Parsed once per value and pass (a conv call reads the variable, not the whole spec again).
  static std::mutex mutex;
  static std::string parsedSpec[3];
  static ConvChoice parsedChoice[3];
  static Status parsedStatus[3];
  ConvChoice choice;
  {
    std::lock_guard<std::mutex> lock(mutex);
    const int i = static_cast<int>(pass);
    if (parsedSpec[i] != env) {
      parsedSpec[i] = env;
      parsedStatus[i] = parseConvPathSpec(env, pass, &parsedChoice[i]);
    }
    if (!parsedStatus[i].isOk()) return parsedStatus[i];
    choice = parsedChoice[i];
  }
  return planConv(g, pass, choice, plan, budgetBytes);
}

}  // namespace atrous
