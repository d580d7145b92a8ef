// The channels-last direct forward (conv_forward_channels_last.h): geometries that take it, with a
// partial block of output channels, a partial group of pixels, both tiles (wide: more than 32 output
// channels per group; narrow: up to 32), strides, groups, S6 in small (folded, its data gradient as a
// forward through the same tile), and the training CNN's layers L2-L4 at batch 4, against the
// float64 references.
#include "../kernels/cpu/thread_pool.h"
#include "conv_cases.h"
#include "conv_check.h"
#include "harness.h"

using namespace atrous;
using test::checkAll;
using test::geometry;

ATROUS_TEST(convForwardChannelsLastMatchesFloat64) {
  if (!isaSupported(Isa::Avx512)) return;  // the tile exists for AVX-512 only (the default ISA when supported)
  const ConvGeometry cases[] = {
      geometry(4, 6, 9, 13, 70, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),     // 2 blocks of output channels, 117 pixels
      geometry(4, 5, 11, 12, 9, 3, 2, 2, 3, 1, 2, 0, 1, 1, 2, 1),     // strides 2 and 3 (no fold)
      geometry(2, 8, 7, 7, 6, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 2),       // groups
      geometry(4, 8, 28, 28, 16, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 1),    // S6 in small: folded to 14x14
      geometry(4, 5, 7, 9, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),      // narrow tile, full block; 63 pixels: 5 x 12 + 3
      geometry(4, 6, 5, 7, 33, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),      // 33 channels: wide tile, one partial block
      geometry(4, 32, 28, 28, 32, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1),   // L2: narrow, forward and data gradient
      geometry(4, 32, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),   // L3 (Winograd's): wide forward, narrow data gradient
      geometry(4, 64, 14, 14, 64, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1),   // L4: 82% of taps inside, here over by-region
  };
  int i = 0;
  for (const ConvGeometry& g : cases)
    for (int threads : {1, 2}) {
      setNumThreads(threads);
      // The tile's shapes, but L2 (28 x 28, 32 channels) and L3 (32 -> 64), which Winograd's F(2x2, 3x3)
      // takes (test_conv_winograd.cpp); checkAll still runs the tile on them as one of every path.
      const bool l2 = g.inChannels == 32 && g.outChannels == 32 && g.inH == 28;
      const bool l3 = g.inChannels == 32 && g.outChannels == 64 && g.inH == 14;
      const ConvPath expected = l2 || l3 ? ConvPath::Winograd : ConvPath::ChannelsLast;
      ctx.check(planConv(g, ConvPass::Forward).path == expected, "[%s] threads=%d: the planner should choose %s, not %s",
                g.describe().c_str(), threads, convPathName(expected), planConv(g, ConvPass::Forward).describe().c_str());
      ctx.check(test::planRuns(g, ConvPass::Forward, ConvPath::ChannelsLast), "[%s] the tile should run it",
                g.describe().c_str());
      checkAll(ctx, g, 1200 + i++, isaName(activeIsa()));
    }
  setNumThreads(2);
}

ATROUS_TEST(convForwardChannelsLastInBandsMatchesFloat64) {
  if (!isaSupported(Isa::Avx512)) return;  // the tile exists for AVX-512 only
  // A 256 KiB budget leaves each thread 8192 floats for each of its two buffers: 12 padded rows of
  // 34 x 20 channels of copy, and 4 rows of 30 pixels x 64 channels of sums. So the first case runs in
  // bands of 4 output rows (30 rows: 7 bands and one of 2), the stride-2 one (16 rows, 32 channels
  // of sums) in bands of 5 whose copies overlap by a row. Every path, as the planner sizes it there.
  const ConvGeometry cases[] = {
      geometry(4, 20, 30, 30, 40, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1),  // wide tile, dilation 2
      geometry(4, 20, 30, 30, 24, 3, 3, 2, 1, 2, 2, 2, 2, 1, 1, 1),  // narrow tile, stride 2 down the rows
  };
  constexpr int64_t kBudget = 256 << 10;
  int i = 0;
  for (const ConvGeometry& g : cases)
    for (int threads : {1, 2}) {
      setNumThreads(threads);
      ConvPlan plan;
      ConvChoice choice;
      choice.path = ConvPath::ChannelsLast;
      choice.allowFold = false;
      const Status s = planConv(g, ConvPass::Forward, choice, &plan, kBudget);
      ctx.check(s.isOk() && plan.bandRows >= 1 && plan.bandRows < g.outH(),
                "[%s] threads=%d: the channels-last forward should run in bands at a 256 KiB budget, got %s (%s)",
                g.describe().c_str(), threads, plan.describe().c_str(), s.message().c_str());
      ctx.check(test::checkEveryPath(ctx, g, 1300 + i++, isaName(activeIsa()), kBudget) > 0, "[%s] ran no plan",
                g.describe().c_str());
    }
  setNumThreads(2);
}
