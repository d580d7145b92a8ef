// Convolutions whose stride folds into a subsampled input (conv_stride_fold.h): the plan on known
// shapes, then random geometries built so that stride, leading padding and dilation share a factor,
// against the float64 references on every ISA.
#include <vector>

#include "../kernels/cpu/conv/plan.h"
#include "../kernels/cpu/conv/stride_fold.h"
#include "../kernels/cpu/thread_pool.h"
#include "conv_cases.h"
#include "conv_check.h"
#include "harness.h"

using namespace atrous;
using test::checkAll;
using test::geometry;
using test::Rng;

namespace {

// Per axis: a factor f in 1..3, stride f * (1..2), leading padding f * (0..2), dilation f * (1..3)
// (any dilation for one tap), trailing padding anything that keeps the output non-empty.
ConvGeometry randomFoldableGeometry(Rng& rng) {
  for (;;) {
    const bool oneD = rng.intIn(0, 3) == 0;
    const int64_t groups = rng.intIn(0, 2) == 0 ? rng.intIn(1, 3) : 1;
    const int64_t cinG = rng.intIn(2, 7), coutG = rng.intIn(1, 7);
    auto axis = [&](int64_t k, int64_t* s, int64_t* pb, int64_t* pa, int64_t* d) {
      const int64_t f = rng.intIn(1, 3);
      *s = f * rng.intIn(1, 2);
      *pb = f * rng.intIn(0, 2);
      *d = k == 1 ? rng.intIn(1, 4) : f * rng.intIn(1, 3);
      *pa = rng.intIn(0, *d * (k - 1) + 3);
    };
    const int64_t kh = oneD ? 1 : rng.intIn(1, 3), kw = rng.intIn(1, 3);
    int64_t sh = 1, pt = 0, pbot = 0, dh = 1, sw, pl, pr, dw;
    if (!oneD) axis(kh, &sh, &pt, &pbot, &dh);
    axis(kw, &sw, &pl, &pr, &dw);
    const int64_t h = oneD ? 1 : rng.intIn(1, 24), w = rng.intIn(1, oneD ? 70 : 24);
    ConvGeometry g = geometry(rng.intIn(1, 4), cinG * groups, h, w, coutG * groups, kh, kw, sh, sw, pt, pbot, pl, pr,
                              dh, dw, groups);
    StrideFold fold;
    if (g.validate("test").isOk() && planStrideFold(g, &fold)) return g;
  }
}

}  // namespace

ATROUS_TEST(convStrideFoldPlansKnownShapes) {
  StrideFold fold;
  // S6: stride 2, dilation 2, padding 2 on 56x56 is stride 1, dilation 1, padding 1 on 28x28.
  ConvGeometry s6 = geometry(16, 64, 56, 56, 128, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 1);
  ctx.check(planStrideFold(s6, &fold) && fold.factorH == 2 && fold.factorW == 2 && fold.folded.inH == 28 &&
                fold.folded.inW == 28 && fold.folded.strideH == 1 && fold.folded.dilationW == 1 &&
                fold.folded.padTop == 1 && fold.folded.padBottom == 1 && fold.folded.outH() == s6.outH() &&
                fold.folded.outW() == s6.outW(),
            "S6 should fold by 2 into [%s]", fold.folded.describe().c_str());
  // Stride 4, dilation 2, padding 2 folds by 2 and keeps stride 2; 21 rows: the last subsampled row
  // (input row 20) is never read, so the folded input is cropped to 10 rows.
  ConvGeometry partial = geometry(1, 4, 21, 21, 4, 3, 3, 4, 4, 2, 0, 2, 0, 2, 2, 1);
  ctx.check(planStrideFold(partial, &fold) && fold.factorH == 2 && fold.folded.strideH == 2 &&
                fold.folded.inH == 10 && fold.folded.padBottom == 0 && fold.folded.outH() == partial.outH(),
            "stride 4 should fold by 2 into [%s]", fold.folded.describe().c_str());
  // A 1x1 stride-2 downsample folds whatever its dilation.
  ConvGeometry pointwise = geometry(2, 8, 9, 9, 8, 1, 1, 2, 2, 0, 0, 0, 0, 3, 3, 1);
  ctx.check(planStrideFold(pointwise, &fold) && fold.folded.strideW == 1 && fold.folded.inW == 5,
            "1x1 stride 2 should fold into [%s]", fold.folded.describe().c_str());
  // No common factor, depthwise, or stride 1: no fold.
  ctx.check(!planStrideFold(geometry(1, 4, 9, 9, 4, 3, 3, 2, 2, 1, 1, 1, 1, 2, 2, 1), &fold), "padding 1 folded");
  ctx.check(!planConv(geometry(1, 4, 9, 9, 4, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 4), ConvPass::Forward).folded,
            "depthwise folded");
  // S6 folds in every pass, its forward and weight gradient read through the fold by the channels-last
  // copies where the AVX-512 tiles run.
  for (ConvPass pass : {ConvPass::Forward, ConvPass::Data, ConvPass::Weight})
    ctx.check(planConv(s6, pass).folded, "S6 %s is not folded: %s", convPassName(pass), planConv(s6, pass).describe().c_str());
  ctx.check(!planStrideFold(geometry(1, 4, 9, 9, 4, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1), &fold), "stride 1 folded");
}

ATROUS_TEST(convStrideFoldMatchesFloat64) {
  test::forEachIsa([&](Isa isa) {
    Rng rng(4321);
    for (int i = 0; i < 80; ++i) {
      setNumThreads(i % 3 == 0 ? 1 : 2);
      checkAll(ctx, randomFoldableGeometry(rng), 3000 + i, isaName(isa));
    }
  });
  setNumThreads(2);
}

ATROUS_TEST(convStrideFoldCroppedMatchesFloat64) {
  // Stride 4 folded by 2 keeps stride 2, and the last subsampled row or column is never read: the
  // folded input is cropped, and the data gradient must stay zero on the cropped positions.
  const ConvGeometry cases[] = {
      geometry(2, 4, 21, 21, 4, 3, 3, 4, 4, 2, 0, 2, 0, 2, 2, 1),
      geometry(3, 6, 13, 23, 4, 2, 3, 4, 4, 0, 1, 4, 0, 2, 6, 2),
  };
  StrideFold fold;
  int i = 0;
  for (const ConvGeometry& g : cases) {
    ctx.check(planStrideFold(g, &fold) && (fold.folded.inH - 1) * fold.factorH + 1 < g.inH,
              "[%s] should fold into a cropped input", g.describe().c_str());
    test::forEachIsa([&](Isa isa) { checkAll(ctx, g, 700 + i++, isaName(isa)); });
  }
}

ATROUS_TEST(convStrideFoldInChunksMatchesFloat64) {
  // Subsampled images of 8 x 370 x 370 floats: the fold's 4 MiB workspace takes one at a time, so the
  // batch of 3 runs in three chunks (the weight gradient sums them).
  const ConvGeometry g = geometry(3, 8, 740, 740, 4, 3, 3, 2, 2, 2, 1, 2, 3, 2, 2, 1);
  ConvChoice dense;
  dense.path = ConvPath::Dense;
  ConvPlan plan;
  ctx.check(planConv(g, ConvPass::Forward, dense, &plan).isOk() && plan.folded && plan.chunkImages == 1,
            "[%s] should fold an image at a time: %s", g.describe().c_str(), plan.describe().c_str());
  test::checkEntryPoints(ctx, g, 600, isaName(activeIsa()));
  // The same chunking through every path on a small shape, with the budget shrunk to match.
  const ConvGeometry small = geometry(3, 8, 40, 40, 4, 3, 3, 2, 2, 2, 1, 2, 3, 2, 2, 1);
  test::checkEveryPath(ctx, small, 601, isaName(activeIsa()), 8 * 20 * 20 * 4 * 4);
}
