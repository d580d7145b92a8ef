// The Winograd F(2x2, 3x3) forward (conv/winograd.h): tiles cut by the output's edge in both
// directions (odd output sizes, each dilation phase of a different length), dilations that differ
// down and across, a partial block of output channels, bias, bands of rows at a small budget, and
// the data gradient as a forward through it, against the float64 references; and the planner's rule.
#include "../kernels/cpu/thread_pool.h"
#include "conv_cases.h"
#include "conv_check.h"
#include "harness.h"

using namespace atrous;
using test::geometry;

namespace {

// Runs g's forward (and, where the transposed conv takes it, the data gradient) with the Winograd
// path forced, at budgetBytes, against the references; returns the plan's band rows.
int64_t checkForced(test::Context& ctx, const ConvGeometry& g, uint64_t seed, int64_t budgetBytes) {
  ConvPlan plan;
  ConvChoice choice;
  choice.path = ConvPath::Winograd;
  const Status s = planConv(g, ConvPass::Forward, choice, &plan, budgetBytes);
  ctx.check(s.isOk(), "[%s] winograd should run: %s", g.describe().c_str(), s.message().c_str());
  ctx.check(test::checkEveryPath(ctx, g, seed, isaName(activeIsa()), budgetBytes) > 0, "[%s] ran no plan",
            g.describe().c_str());
  return plan.bandRows;
}

}  // namespace

ATROUS_TEST(convWinogradMatchesFloat64) {
  if (!isaSupported(Isa::Avx512)) return;  // the transforms exist for AVX-512 only
  const ConvGeometry cases[] = {
      geometry(3, 16, 13, 11, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),   // odd sizes, 40 outputs (a partial block)
      geometry(2, 32, 17, 19, 64, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1),   // dilation 2: phases of 9 and 8 rows
      geometry(2, 16, 23, 21, 72, 3, 3, 1, 1, 3, 1, 0, 4, 1, 3, 1),   // dilation 1 down, 3 across; uneven pads
      geometry(2, 48, 9, 30, 16, 3, 3, 1, 1, 0, 0, 5, 5, 2, 5, 1),    // unpadded rows, 16 outputs
      geometry(1, 16, 5, 5, 64, 3, 3, 1, 1, 4, 4, 4, 4, 4, 4, 1),     // dilation past the image (mostly zeros)
  };
  int i = 0;
  for (const ConvGeometry& g : cases)
    for (int threads : {1, 2}) {
      setNumThreads(threads);
      checkForced(ctx, g, 1400 + i++, kConvWorkspaceBytes);
    }
  setNumThreads(2);
}

ATROUS_TEST(convWinogradInBandsMatchesFloat64) {
  if (!isaSupported(Isa::Avx512)) return;
  // At 256 KiB each thread's buffers get 8192 floats: 16 channels of 33 padded columns leave 15
  // input rows, so bands of 2 x dilation output rows (dilation 2: 4 rows, dilation 1: 12).
  const ConvGeometry cases[] = {
      geometry(2, 16, 27, 25, 24, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1),
      geometry(2, 16, 30, 25, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
  };
  constexpr int64_t kBudget = 256 << 10;
  int i = 0;
  for (const ConvGeometry& g : cases)
    for (int threads : {1, 2}) {
      setNumThreads(threads);
      const int64_t bandRows = checkForced(ctx, g, 1500 + i++, kBudget);
      ctx.check(bandRows >= 2 && bandRows < g.outH() && bandRows % (2 * g.dilationH) == 0,
                "[%s] threads=%d: winograd should run in bands of a multiple of %lld rows at 256 KiB, got %lld",
                g.describe().c_str(), threads, (long long)(2 * g.dilationH), (long long)bandRows);
    }
  setNumThreads(2);
}
