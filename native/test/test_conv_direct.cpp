// The direct AVX-512 tile (conv_direct.h) on rows narrower than 64 (a multiple of 16), where each
// thread convolves whole images of its own, against the float64 references.
#include "../kernels/cpu/thread_pool.h"
#include "conv_cases.h"
#include "conv_check.h"
#include "harness.h"

using namespace atrous;
using test::checkAll;
using test::geometry;
using test::planRuns;

ATROUS_TEST(convDirectNarrowRowsMatchFloat64) {
  if (!isaSupported(Isa::Avx512)) return;  // the tile exists for AVX-512 only (the default ISA when supported)
  const ConvGeometry cases[] = {
      geometry(4, 6, 12, 32, 5, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1),     // S1 in small: 32 wide
      geometry(5, 5, 9, 14, 7, 3, 3, 1, 1, 2, 0, 3, 3, 2, 2, 1),      // 16 wide, asymmetric pads
      geometry(8, 4, 8, 16, 4, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 2),      // strided rows, groups
      geometry(4, 8, 7, 48, 6, 2, 3, 1, 1, 1, 1, 1, 1, 2, 1, 2),      // 48 wide: three vectors, a 2x3 kernel
  };

  int i = 0;
  for (const ConvGeometry& g : cases)
    for (int threads : {1, 2}) {
      setNumThreads(threads);
      ctx.check(planRuns(g, ConvPass::Forward, ConvPath::Direct), "[%s] threads=%d should run the direct tile",
                g.describe().c_str(), threads);
      checkAll(ctx, g, 1100 + i++, isaName(activeIsa()));
    }
  setNumThreads(2);
}
