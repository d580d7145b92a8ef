// The channels-last direct forward (conv_forward_channels_last.h): geometries that take it, with a
// partial block of output channels, a partial group of pixels, strides, groups, and S6 in small
// (folded, its data gradient as a forward through the same tile), against the float64 references.
#include "../kernels/cpu/conv_forward_channels_last.h"
#include "../kernels/cpu/thread_pool.h"
#include "conv_cases.h"
#include "conv_check.h"
#include "harness.h"

using namespace atrous;
using test::checkAll;
using test::geometry;

ATROUS_TEST(convForwardChannelsLastMatchesFloat64) {
  if (activeIsa() != Isa::Avx512) return;  // the tile exists for AVX-512 only
  const ConvGeometry cases[] = {
      geometry(4, 6, 9, 13, 70, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),     // 2 blocks of output channels, 117 pixels
      geometry(4, 5, 11, 12, 9, 3, 2, 2, 3, 1, 2, 0, 1, 1, 2, 1),     // strides 2 and 3 (no fold)
      geometry(2, 8, 7, 7, 6, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 2),       // groups
      geometry(4, 8, 28, 28, 16, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 1),    // S6 in small: folded to 14x14
  };
  int i = 0;
  for (const ConvGeometry& g : cases)
    for (int threads : {1, 2}) {
      setNumThreads(threads);
      ctx.check(forwardChannelsLastApplies(g), "[%s] threads=%d should take the channels-last tile",
                g.describe().c_str(), threads);
      checkAll(ctx, g, 1200 + i++, isaName(activeIsa()));
    }
  setNumThreads(2);
}
