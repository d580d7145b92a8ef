#include "conv_check.h"

#include <cmath>
#include <limits>
#include <vector>

#include "../kernels/cpu/conv/conv.h"
#include "../kernels/cpu/thread_pool.h"
#include "reference.h"

namespace atrous::test {
namespace {

constexpr double kTolerance = 1e-5;

}  // namespace

// Checks forward (with and without bias), backward-data, backward-weight and bias gradient of one
// geometry against the float64 references.
void checkAll(Context& ctx, const ConvGeometry& g, uint64_t seed, const char* isa) {
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
