// Winograd's F(2x2, 3x3) forward and its transpose for the weight gradient (conv/winograd.h): tiles
// cut by the output's edge in both directions (odd output sizes, each dilation phase of a different
// length), dilations that differ down and across, a partial block of output channels, both register
// tiles, 1, 2 and 4 vectors of input channels in the weight gradient's products, bias, bands of rows
// at a small budget, and the data gradient as a forward through it, against the float64
// references; and the planner's rule.
#include "../kernels/cpu/thread_pool.h"
#include "conv_cases.h"
#include "conv_check.h"
#include "harness.h"

using namespace atrous;
using test::geometry;

namespace {

// Runs every path of g (Winograd's among them: its forward, its weight gradient where the output
// channels are a multiple of 16, and the data gradient where the transposed conv takes it) at
// budgetBytes against the references; returns the Winograd forward plan's band rows.
int64_t checkForced(test::Context& ctx, const ConvGeometry& g, uint64_t seed, int64_t budgetBytes) {
  ConvPlan plan, weightPlan;
  ConvChoice choice;
  choice.path = ConvPath::Winograd;
  const Status s = planConv(g, ConvPass::Forward, choice, &plan, budgetBytes);
  ctx.check(s.isOk(), "[%s] winograd should run: %s", g.describe().c_str(), s.message().c_str());
  const Status sw = planConv(g, ConvPass::Weight, choice, &weightPlan, budgetBytes);
  ctx.check(sw.isOk() == (g.outChannels % 16 == 0), "[%s] winograd's weight gradient: %s", g.describe().c_str(),
            sw.isOk() ? "ran where refused" : sw.message().c_str());
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
      geometry(2, 64, 15, 18, 32, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1),   // 64 input channels: 4 vectors a product
      geometry(3, 128, 9, 9, 96, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),    // 96 outputs: 16 product rows of 6
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
      geometry(2, 16, 27, 25, 32, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1),
      geometry(2, 16, 30, 25, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),
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

ATROUS_TEST(convWinogradPlannerRule) {
  if (!isaSupported(Isa::Avx512)) return;
  // Taken: S1-S3, the training CNN's 28 x 28 layer, and small images with 32 channels on one side
  // (the CNN's 32 -> 64 at 14 x 14, DeepLabLite's ASPP 64 -> 32 at 16 x 16); through as_forward,
  // their data gradients too. Not taken: small images of 64 channels each way (DeepLabLite's
  // backbone), 16 input channels, 40 output channels (a wide block 37.5% zeros), 5x5, ASPP's
  // padding taps.
  const ConvGeometry taken[] = {
      geometry(32, 64, 32, 32, 64, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1),      // S1
      geometry(8, 256, 64, 64, 256, 3, 3, 1, 1, 4, 4, 4, 4, 4, 4, 1),     // S3
      geometry(64, 32, 28, 28, 32, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1),      // L2
      geometry(8, 64, 32, 32, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),       // 64 -> 32, 32 x 32
      geometry(64, 32, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),      // L3: 196 pixels, 32 -> 64
      geometry(32, 64, 16, 16, 32, 3, 3, 1, 1, 4, 4, 4, 4, 4, 4, 1),      // ASPP's rate 4: 256 pixels, 64 -> 32
  };
  const ConvGeometry refused[] = {
      geometry(32, 64, 16, 16, 64, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1),      // DeepLabLite: 256 pixels, 64 -> 64
      geometry(32, 64, 16, 16, 32, 3, 3, 1, 1, 6, 6, 6, 6, 6, 6, 1),      // ASPP's rate 6: tiles 64% full
      geometry(8, 16, 32, 32, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),       // 16 input channels
      geometry(8, 64, 32, 32, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),       // 40 outputs: 24 of 64 wasted
      geometry(8, 64, 32, 32, 64, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1, 1),       // 5x5
      geometry(4, 512, 33, 33, 256, 3, 3, 1, 1, 12, 12, 12, 12, 12, 12, 1),  // S4: by region
  };
  setNumThreads(2);
  for (const ConvGeometry& g : taken) {
    const ConvPlan f = planConv(g, ConvPass::Forward), d = planConv(g, ConvPass::Data);
    ctx.check(f.path == ConvPath::Winograd, "[%s] forward should take winograd, not %s", g.describe().c_str(),
              f.describe().c_str());
    ctx.check(d.path == ConvPath::AsForward && d.inner.size() == 1 && d.inner[0].path == ConvPath::Winograd,
              "[%s] data should take as_forward -> winograd, not %s", g.describe().c_str(), d.describe().c_str());
  }
  for (const ConvGeometry& g : refused)
    ctx.check(planConv(g, ConvPass::Forward).path != ConvPath::Winograd, "[%s] should not take winograd",
              g.describe().c_str());
  // The weight gradient: S1, S3, 64 -> 32; not 32 x 32 (L2), small images, nor S4.
  const ConvGeometry weightTaken[] = {taken[0], taken[1], taken[3]};
  const ConvGeometry weightRefused[] = {taken[2], taken[4], taken[5], refused[0], refused[5]};
  for (const ConvGeometry& g : weightTaken)
    ctx.check(planConv(g, ConvPass::Weight).path == ConvPath::Winograd, "[%s] weight should take winograd, not %s",
              g.describe().c_str(), planConv(g, ConvPass::Weight).describe().c_str());
  for (const ConvGeometry& g : weightRefused)
    ctx.check(planConv(g, ConvPass::Weight).path != ConvPath::Winograd, "[%s] weight should not take winograd",
              g.describe().c_str());
  // One image: bands for every thread.
  const ConvGeometry s8 = geometry(1, 32, 128, 128, 32, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1);
  const ConvPlan p = planConv(s8, ConvPass::Forward);
  ctx.check(p.path == ConvPath::Winograd && p.bandRows == 32, "S8: winograd in 4 bands of 32 rows, got %s (%lld rows)",
            p.describe().c_str(), (long long)p.bandRows);
}
