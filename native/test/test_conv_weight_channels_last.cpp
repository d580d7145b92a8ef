// The weight gradient through the padded channels-last implicit GEMM (conv_weight_channels_last.h):
// geometries that take it, with groups, strides, asymmetric padding, pieces of pixels that span
// images, images padded up front (in chunks) or by the pieces themselves, against the float64 references.
#include "../kernels/cpu/thread_pool.h"
#include "conv_cases.h"
#include "conv_check.h"
#include "harness.h"

using namespace atrous;
using test::checkAll;
using test::geometry;
using test::planRuns;

ATROUS_TEST(convWeightChannelsLastMatchesFloat64) {
  const ConvGeometry cases[] = {
      geometry(1, 32, 40, 40, 32, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1),   // S8-like, one image split in pieces
      geometry(3, 6, 5, 7, 5, 3, 3, 1, 1, 1, 0, 2, 1, 1, 2, 1),       // pieces spanning images, odd pads
      geometry(2, 12, 11, 9, 8, 2, 3, 2, 1, 1, 1, 0, 2, 1, 3, 2),     // groups, stride 2 rows (unfoldable)
      geometry(2, 4, 9, 13, 6, 3, 2, 1, 3, 0, 0, 1, 1, 2, 1, 1),      // stride 3 columns
      geometry(5, 3, 6, 6, 2, 2, 2, 1, 1, 0, 0, 0, 0, 1, 1, 1),       // more images than pieces' share
      geometry(4, 64, 14, 14, 64, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1),   // L4: 82% of taps inside, here over by-tap
      geometry(4, 24, 12, 12, 20, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1),   // 79% of taps inside, odd channel counts
      geometry(9, 6, 5, 7, 5, 3, 3, 1, 1, 1, 0, 2, 1, 1, 2, 1),       // images padded in the pieces, split mid-image
      geometry(8, 8, 28, 28, 16, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 1),    // ... read through a folded stride (S6 in small)
  };
  int i = 0;
  for (const ConvGeometry& g : cases) {
    ctx.check(planRuns(g, ConvPass::Weight, ConvPath::ChannelsLast), "[%s] should run the channels-last path",
              g.describe().c_str());
    test::forEachIsa([&](Isa isa) {
      for (int threads : {1, 2}) {
        setNumThreads(threads);
        checkAll(ctx, g, 900 + i++, isaName(isa));
      }
    });
  }
  setNumThreads(2);
}

ATROUS_TEST(convWeightChannelsLastInChunksMatchesFloat64) {
  // 16 x 262 x 262 padded floats per image: the 8 MiB workspace holds one image at a time.
  const ConvGeometry g = geometry(2, 16, 260, 260, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
  ctx.check(planConv(g, ConvPass::Weight).path == ConvPath::ChannelsLast && planConv(g, ConvPass::Weight).pathChunkImages == 1,
            "[%s] should take the channels-last path an image at a time, not %s", g.describe().c_str(),
            planConv(g, ConvPass::Weight).describe().c_str());
  test::checkEntryPoints(ctx, g, 950, isaName(activeIsa()));
}
