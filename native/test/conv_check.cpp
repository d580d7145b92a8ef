#include "conv_check.h"

#include <cmath>
#include <limits>
#include <vector>

#include "../kernels/cpu/conv/conv.h"
#include "../kernels/cpu/conv/stride_fold.h"
#include "../kernels/cpu/thread_pool.h"
#include "reference.h"

namespace atrous::test {
namespace {

constexpr double kTolerance = 1e-5;

}  // namespace

void checkAll(Context& ctx, const ConvGeometry& g, uint64_t seed, const char* isa) {
  checkEntryPoints(ctx, g, seed, isa);
  checkEveryPath(ctx, g, seed, isa);
}

bool planRuns(const ConvGeometry& g, ConvPass pass, ConvPath path) {
  ConvChoice choice;
  choice.path = path;
  ConvPlan plan;
  return planConv(g, pass, choice, &plan).isOk();
}

int checkEveryPath(Context& ctx, const ConvGeometry& g, uint64_t seed, const char* isa, int64_t budgetBytes) {
  Rng rng(seed);
  auto x = rng.floats(g.inputSize()), w = rng.floats(g.weightSize()), b = rng.floats(g.outChannels);
  auto dy = rng.floats(g.outputSize());
  const float nan = std::numeric_limits<float>::quiet_NaN();
  StrideFold fold;
  const bool folds = g.inChannelsPerGroup() >= 2 && planStrideFold(g, &fold);
  int ran = 0;
  for (ConvPass pass : {ConvPass::Forward, ConvPass::Data, ConvPass::Weight}) {
    std::vector<double> ref;
    if (pass == ConvPass::Forward) ref = reference::convForward(g, x.data(), w.data(), b.data());
    if (pass == ConvPass::Data) ref = reference::convBackwardData(g, dy.data(), w.data());
    if (pass == ConvPass::Weight) ref = reference::convBackwardWeight(g, x.data(), dy.data());
    int ranThisPass = 0;
    for (bool allowFold : {true, false}) {
      if (!allowFold && !folds) continue;  // the same plans again
      for (int i = 0; i < kConvPathCount; ++i) {
        const ConvPath path = static_cast<ConvPath>(i);
        if (!convPassHasPath(pass, path)) continue;
        for (int j = 0; j < kConvPathCount; ++j) {
          const ConvPath inner = static_cast<ConvPath>(j);
          // as_forward runs every forward path of the transposed conv; the others have none.
          if (path == ConvPath::AsForward ? !convPassHasPath(ConvPass::Forward, inner) : inner != ConvPath::Auto)
            continue;
          ConvChoice choice;
          choice.path = path;
          choice.innerPath = inner;
          choice.allowFold = allowFold;
          ConvPlan plan;
          if (!planConv(g, pass, choice, &plan, budgetBytes).isOk()) continue;
          std::vector<float> out(ref.size(), nan);  // outputs are overwritten, never read
          FloatSpan o{out.data(), (long long)out.size()};
          Status s;
          if (pass == ConvPass::Forward)
            s = convExecute(plan, g, {x.data(), (long long)x.size()}, {w.data(), (long long)w.size()},
                            {b.data(), (long long)b.size()}, o);
          if (pass == ConvPass::Data)
            s = convExecute(plan, g, {dy.data(), (long long)dy.size()}, {w.data(), (long long)w.size()}, {}, o);
          if (pass == ConvPass::Weight)
            s = convExecute(plan, g, {x.data(), (long long)x.size()}, {dy.data(), (long long)dy.size()}, {}, o);
          const double err = s.isOk() ? test::relativeL2(out.data(), ref.data(), (int64_t)ref.size()) : INFINITY;
          ctx.check(err <= kTolerance, "%s by %s [%s] budget=%lld isa=%s threads=%d: rel L2 %.3g (%s)",
                    convPassName(pass), plan.describe().c_str(), g.describe().c_str(), (long long)budgetBytes, isa,
                    numThreads(), err, s.message().c_str());
          ++ranThisPass;
        }
      }
    }
    // Every pass has a general path that runs any geometry.
    ctx.check(ranThisPass >= 1, "%s [%s]: no path ran", convPassName(pass), g.describe().c_str());
    ran += ranThisPass;
  }
  return ran;
}

// Checks forward (with and without bias), backward-data, backward-weight and bias gradient of one
// geometry through the entry points against the float64 references.
void checkEntryPoints(Context& ctx, const ConvGeometry& g, uint64_t seed, const char* isa) {
  Rng rng(seed);
  auto x = rng.floats(g.inputSize()), w = rng.floats(g.weightSize()), b = rng.floats(g.outChannels);
  auto dy = rng.floats(g.outputSize());
  const std::string cfg = g.describe();
  const float nan = std::numeric_limits<float>::quiet_NaN();

  for (bool withBias : {true, false}) {
    std::vector<float> y(g.outputSize(), nan);  // outputs are overwritten, never read
    Status s = convForward(g, {x.data(), (long long)x.size()}, {w.data(), (long long)w.size()},
                           withBias ? ConstFloatSpan{b.data(), (long long)b.size()} : ConstFloatSpan{},
                           {y.data(), (long long)y.size()});
    auto ref = reference::convForward(g, x.data(), w.data(), withBias ? b.data() : nullptr);
    double err = s.isOk() ? test::relativeL2(y.data(), ref.data(), g.outputSize()) : INFINITY;
    ctx.check(err <= kTolerance, "forward%s [%s] isa=%s threads=%d: rel L2 %.3g (%s)", withBias ? "" : " no-bias",
              cfg.c_str(), isa, numThreads(), err, s.message().c_str());
  }
  {
    std::vector<float> dx(g.inputSize(), nan);
    Status s = convBackwardData(g, {dy.data(), (long long)dy.size()}, {w.data(), (long long)w.size()},
                                {dx.data(), (long long)dx.size()});
    auto ref = reference::convBackwardData(g, dy.data(), w.data());
    double err = s.isOk() ? test::relativeL2(dx.data(), ref.data(), g.inputSize()) : INFINITY;
    ctx.check(err <= kTolerance, "backwardData [%s] isa=%s threads=%d: rel L2 %.3g (%s)", cfg.c_str(), isa,
              numThreads(), err, s.message().c_str());
  }
  {
    std::vector<float> dw(g.weightSize(), nan);
    Status s = convBackwardWeight(g, {x.data(), (long long)x.size()}, {dy.data(), (long long)dy.size()},
                                  {dw.data(), (long long)dw.size()});
    auto ref = reference::convBackwardWeight(g, x.data(), dy.data());
    double err = s.isOk() ? test::relativeL2(dw.data(), ref.data(), g.weightSize()) : INFINITY;
    ctx.check(err <= kTolerance, "backwardWeight [%s] isa=%s threads=%d: rel L2 %.3g (%s)", cfg.c_str(), isa,
              numThreads(), err, s.message().c_str());
  }
  {
    std::vector<float> db(g.outChannels, nan);
    Status s = convBackwardBias(g, {dy.data(), (long long)dy.size()}, {db.data(), (long long)db.size()});
    auto ref = reference::convBackwardBias(g, dy.data());
    double err = s.isOk() ? test::relativeL2(db.data(), ref.data(), g.outChannels) : INFINITY;
    ctx.check(err <= kTolerance, "backwardBias [%s] isa=%s: rel L2 %.3g (%s)", cfg.c_str(), isa, err,
              s.message().c_str());
  }
}

}  // namespace atrous::test
