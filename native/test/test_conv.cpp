// Convolution kernels against the naive float64 loops of reference.cpp, on random geometries and on
// the rarely-hit paths, on every ISA the CPU supports.
#include <vector>

#include "../kernels/cpu/conv/conv.h"
#include "../kernels/cpu/conv/plan.h"
#include "../kernels/cpu/thread_pool.h"
#include "harness.h"
#include "conv_cases.h"
#include "conv_check.h"

using namespace atrous;
using test::checkAll;
using test::Context;
using test::geometry;
using test::randomGeometry;
using test::Rng;

ATROUS_TEST(convRandomGeometriesMatchFloat64) {
  test::forEachIsa([&](Isa isa) {
    Rng rng(1234);
    for (int i = 0; i < 150; ++i) {
      setNumThreads(i % 3 == 0 ? 1 : 2);
      ConvGeometry g = randomGeometry(rng);
      checkAll(ctx, g, 1000 + i, isaName(isa));
    }
  });
  setNumThreads(2);
}

ATROUS_TEST(convRarePathsMatchFloat64) {
  const ConvGeometry cases[] = {
      geometry(2, 3, 5, 5, 4, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1),       // 1x1 kernel: K = Cin
      geometry(2, 3, 1, 1, 4, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1),       // everything of size 1
      geometry(2, 4, 7, 7, 3, 3, 3, 1, 1, 0, 0, 0, 0, 3, 3, 1),       // output of size 1
      geometry(1, 4, 4, 5, 6, 2, 2, 1, 1, 5, 4, 6, 3, 1, 1, 2),       // padding larger than the kernel
      geometry(2, 4, 5, 6, 4, 3, 3, 1, 1, 9, 9, 9, 9, 9, 9, 1),       // dilation larger than the input
      geometry(1, 4, 5, 6, 4, 3, 3, 2, 3, 9, 9, 9, 9, 9, 9, 1),       // ... with strides
      geometry(3, 6, 9, 9, 6, 3, 3, 1, 1, 1, 2, 2, 1, 2, 2, 3),       // 'same' with odd total pad, groups
      geometry(2, 8, 1, 40, 8, 1, 2, 1, 1, 0, 0, 8, 0, 1, 8, 1),      // causal 1-d
      geometry(2, 8, 1, 41, 8, 1, 3, 1, 2, 0, 0, 6, 0, 1, 3, 1),      // causal 1-d, stride 2
      geometry(2, 6, 9, 8, 12, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 6),      // depthwise, multiplier 2
      geometry(2, 6, 9, 8, 6, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 6),       // depthwise, strided
      geometry(1, 1, 12, 12, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),     // one input channel (a first layer)
      geometry(2, 16, 9, 9, 8, 3, 3, 1, 1, 4, 4, 4, 4, 4, 4, 1),      // ASPP-like: taps skipped by region
      geometry(4, 24, 13, 11, 20, 3, 3, 1, 1, 6, 6, 6, 6, 6, 6, 1),   // ... with batch parallelism
      geometry(2, 8, 9, 10, 6, 3, 3, 2, 1, 4, 5, 3, 4, 4, 3, 2),      // ... with groups, stride, asymmetric pads
      geometry(1, 40, 20, 20, 36, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1),   // batch 1: parallel GEMM
      geometry(5, 20, 14, 14, 28, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 1),   // strided: col2im data gradient
      // Rows of 64 or more: the direct AVX-512 tile (full and masked slots, a partial channel block).
      geometry(2, 5, 6, 70, 7, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1),
      geometry(1, 6, 5, 67, 8, 3, 2, 2, 1, 1, 3, 0, 2, 2, 3, 2),     // groups, row stride 2, asymmetric pads
      geometry(2, 3, 4, 129, 5, 2, 3, 1, 1, 1, 0, 4, 1, 1, 2, 1),    // several tiles per row, odd sizes
  };
  test::forEachIsa([&](Isa isa) {
    int i = 0;
    for (const ConvGeometry& g : cases)
      for (int threads : {1, 2}) {
        setNumThreads(threads);
        checkAll(ctx, g, 77 + i++, isaName(isa));
      }
  });
  setNumThreads(2);
}

ATROUS_TEST(convLargeColumnTilesMatchFloat64) {
  // Big enough that the backward-data column tiles, the region bands and the by-tap image chunks
  // split into several pieces.
  const ConvGeometry cases[] = {
      geometry(1, 64, 70, 70, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1),
      geometry(1, 8, 150, 150, 48, 3, 3, 1, 1, 40, 40, 40, 40, 40, 40, 1),
      // The weight gradient by tap in chunks of two images (2 + 1), then an image too large for it.
      geometry(3, 8, 150, 150, 48, 3, 3, 1, 1, 40, 40, 40, 40, 40, 40, 1),
      geometry(1, 8, 150, 150, 128, 3, 3, 1, 1, 40, 40, 40, 40, 40, 40, 1),
  };
  int i = 0;
  for (const ConvGeometry& g : cases) checkAll(ctx, g, 500 + i++, isaName(activeIsa()));
}

ATROUS_TEST(convRejectsBadArgumentsWithoutWriting) {
  ConvGeometry good = geometry(2, 4, 6, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2);
  std::vector<float> x(good.inputSize(), 1.f), w(good.weightSize(), 1.f), y(good.outputSize(), 7.f);
  auto run = [&](const ConvGeometry& g, long long xs, long long ws, long long bs, long long ys) {
    std::vector<float> b(4, 0.f);
    return convForward(g, {x.data(), xs}, {w.data(), ws}, {b.data(), bs}, {y.data(), ys});
  };
  auto untouched = [&] {
    for (float v : y) if (v != 7.f) return false;
    return true;
  };
  const long long X = (long long)x.size(), W = (long long)w.size(), Y = (long long)y.size();
  for (const test::BadConvCase& c : test::badConvForwardCases(good)) {
    Status s = run(c.g, c.inputSize, c.weightSize, c.biasSize, c.outputSize);
    ctx.check(!s.isOk(), "%s was accepted", c.what);
    ctx.check(s.message().find(c.mentions) != std::string::npos && s.message().find("convForward") != std::string::npos,
              "%s: message '%s' should name convForward and %s", c.what, s.message().c_str(), c.mentions);
    ctx.check(untouched(), "%s: the output was written", c.what);
  }
  std::vector<float> dx(good.inputSize(), 7.f);
  Status s = convBackwardData(good, {y.data(), Y}, {w.data(), W - 1}, {dx.data(), X});
  ctx.check(!s.isOk() && dx[0] == 7.f, "backwardData with a short weight: '%s'", s.message().c_str());
  s = convBackwardWeight(good, {x.data(), X}, {y.data(), Y}, {w.data(), W + 3});
  ctx.check(!s.isOk() && w[0] == 1.f, "backwardWeight with a long gradWeight: '%s'", s.message().c_str());
  s = convBackwardBias(good, {y.data(), Y}, {dx.data(), 3});
  ctx.check(!s.isOk() && dx[0] == 7.f, "backwardBias with 3 bias slots: '%s'", s.message().c_str());
}

ATROUS_TEST(convEveryPathWithinASmallBudgetMatchesFloat64) {
  // A 64 KiB budget splits the paths' work into chunks, bands and tiles on small shapes: by_tap and the
  // channels-last weight gradient in chunks of images, the by-region bands, the column tiles.
  const ConvGeometry cases[] = {
      geometry(5, 8, 14, 14, 12, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1),
      geometry(3, 6, 12, 20, 6, 3, 3, 1, 1, 4, 4, 4, 4, 4, 4, 2),
      geometry(4, 4, 16, 16, 8, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 1),   // folded, in chunks
      geometry(3, 4, 20, 18, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4),   // depthwise, multiplier 2
  };
  test::forEachIsa([&](Isa isa) {
    int i = 0;
    for (const ConvGeometry& g : cases)
      for (int threads : {1, 2}) {
        setNumThreads(threads);
        test::checkEveryPath(ctx, g, 4000 + i++, isaName(isa), 64 << 10);
      }
  });
  setNumThreads(2);
}

ATROUS_TEST(convPlannerNamesItsChoiceAndHonoursForcedPaths) {
  const ConvGeometry depthwise = geometry(2, 8, 16, 16, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8);
  const ConvGeometry aspp = geometry(2, 256, 9, 9, 256, 3, 3, 1, 1, 4, 4, 4, 4, 4, 4, 1);  // 4 of 9 taps in padding
  // Few channels: the same share of padding taps is cheaper computed than skipped, until most are padding.
  const ConvGeometry asppFewChannels = geometry(2, 16, 9, 9, 8, 3, 3, 1, 1, 4, 4, 4, 4, 4, 4, 1);
  const ConvGeometry tcnLevel = geometry(32, 24, 1, 600, 24, 1, 8, 1, 1, 0, 0, 7 * 64, 0, 1, 64, 1);     // 63% inside
  const ConvGeometry tcnDeepest = geometry(32, 24, 1, 600, 24, 1, 8, 1, 1, 0, 0, 7 * 256, 0, 1, 256, 1);  // 21% inside
  for (const ConvGeometry& g : {asppFewChannels, tcnLevel}) {
    const ConvPlan f = planConv(g, ConvPass::Forward), w = planConv(g, ConvPass::Weight);
    ctx.check(f.path != ConvPath::ByRegion && w.path != ConvPath::ByTap && w.path != ConvPath::ByRegion,
              "few channels, 44-63%% of taps inside: forward %s, weight %s", f.describe().c_str(), w.describe().c_str());
  }
  ctx.check(planConv(tcnDeepest, ConvPass::Forward).path == ConvPath::ByRegion &&
                planConv(tcnDeepest, ConvPass::Weight).path == ConvPath::ByTap,
            "few channels, 21%% of taps inside: forward %s, weight %s", planConv(tcnDeepest, ConvPass::Forward).describe().c_str(),
            planConv(tcnDeepest, ConvPass::Weight).describe().c_str());
  const ConvGeometry strided = geometry(2, 8, 9, 9, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1);
  ctx.check(planConv(depthwise, ConvPass::Forward).path == ConvPath::DepthwisePadded, "depthwise forward: %s",
            planConv(depthwise, ConvPass::Forward).describe().c_str());
  ctx.check(planConv(depthwise, ConvPass::Weight).path == ConvPath::DepthwiseShifted, "depthwise weight: %s",
            planConv(depthwise, ConvPass::Weight).describe().c_str());
  ctx.check(planConv(aspp, ConvPass::Forward).path == ConvPath::ByRegion, "aspp forward: %s",
            planConv(aspp, ConvPass::Forward).describe().c_str());
  ctx.check(planConv(aspp, ConvPass::Weight).path == ConvPath::ByTap, "aspp weight: %s",
            planConv(aspp, ConvPass::Weight).describe().c_str());
  ctx.check(planConv(strided, ConvPass::Data).path == ConvPath::ByColumns, "strided data: %s",
            planConv(strided, ConvPass::Data).describe().c_str());
  const ConvPlan data = planConv(aspp, ConvPass::Data);
  ctx.check(data.path == ConvPath::AsForward && data.inner.size() == 1 && data.workspaceBytes >= aspp.weightSize() * 4,
            "aspp data: %s, %lld bytes", data.describe().c_str(), (long long)data.workspaceBytes);
  ctx.check(planConv(strided, ConvPass::Weight).workspaceBytes <= kConvWorkspaceBytes,
            "a small conv's workspace over the budget");

  // Forced: a path that applies runs; one that does not is refused, naming the path and the rule.
  ConvChoice choice;
  ConvPlan plan;
  choice.path = ConvPath::Dense;
  ctx.check(planConv(aspp, ConvPass::Forward, choice, &plan).isOk() && plan.path == ConvPath::Dense, "dense refused");
  choice.path = ConvPath::AsForward;
  Status s = planConv(strided, ConvPass::Data, choice, &plan);
  ctx.check(!s.isOk() && s.message().find("as_forward") != std::string::npos &&
                s.message().find("stride 1") != std::string::npos,
            "as_forward on stride 2: '%s'", s.message().c_str());
  choice.path = ConvPath::ByTap;
  s = planConv(aspp, ConvPass::Forward, choice, &plan);
  ctx.check(!s.isOk() && s.message().find("not a forward path") != std::string::npos, "by_tap forward: '%s'",
            s.message().c_str());

  // ATROUS_CONV_PATH's grammar: one name for every pass that has it, or per pass; errors name the value.
  ctx.check(parseConvPathSpec("dense", ConvPass::Weight, &choice).isOk() && choice.path == ConvPath::Dense, "dense");
  ctx.check(parseConvPathSpec("dense", ConvPass::Data, &choice).isOk() && choice.path == ConvPath::Auto,
            "dense applied to the data gradient");
  ctx.check(parseConvPathSpec("forward=direct,weight=by_tap,fold=off", ConvPass::Weight, &choice).isOk() &&
                choice.path == ConvPath::ByTap && !choice.allowFold,
            "per-pass spec");
  s = parseConvPathSpec("forward=fastest", ConvPass::Forward, &choice);
  ctx.check(!s.isOk() && s.message().find("fastest") != std::string::npos, "unknown path: '%s'", s.message().c_str());
  s = parseConvPathSpec("backward=dense", ConvPass::Forward, &choice);
  ctx.check(!s.isOk() && s.message().find("backward") != std::string::npos, "unknown pass: '%s'", s.message().c_str());
}
