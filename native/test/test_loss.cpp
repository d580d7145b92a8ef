// Cross-entropy against float64 by the definition: large logits, and every argument check.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "../kernels/cpu/loss.h"
#include "harness.h"
#include "op_test_util.h"

using namespace atrous;
using namespace atrous::optest;
using test::Rng;

namespace {

// Loss and softmax in float64 by the definition, with the row max subtracted (exp(1e4) is inf even
// in float64).
double naiveCrossEntropy(int64_t n, int64_t c, const std::vector<float>& logits, const std::vector<int32_t>& t,
                         std::vector<double>& probs) {
  probs.assign(n * c, 0);
  double total = 0;
  for (int64_t i = 0; i < n; ++i) {
    double m = -INFINITY, z = 0;
    for (int64_t j = 0; j < c; ++j) m = std::max(m, static_cast<double>(logits[i * c + j]));
    for (int64_t j = 0; j < c; ++j) z += std::exp(logits[i * c + j] - m);
    for (int64_t j = 0; j < c; ++j) probs[i * c + j] = std::exp(logits[i * c + j] - m) / z;
    total += -std::log(probs[i * c + t[i]]);
  }
  return total / static_cast<double>(n);
}

ATROUS_TEST(opsCrossEntropyMatchesNaive) {
  ThreadCountGuard guard;
  struct Case { int64_t n, c; float spread; };
  for (int threads : {1, 2})
    for (Case k : {Case{1, 1, 1.f}, Case{3, 5, 2.f}, Case{17, 10, 8.f}, Case{2, 1000, 3.f}, Case{4096, 33, 5.f},
                   Case{5, 7, 1e4f}}) {
      setNumThreads(threads);
      char tag[96];
      std::snprintf(tag, sizeof tag, "n=%lld c=%lld spread=%g threads=%d", (long long)k.n, (long long)k.c, k.spread,
                    threads);
      Rng rng(static_cast<uint64_t>(k.n * k.c));
      auto logits = rng.floats(k.n * k.c, -k.spread, k.spread);
      std::vector<int32_t> t(k.n);
      for (auto& v : t) v = static_cast<int32_t>(rng.intIn(0, k.c - 1));
      std::vector<float> probs(k.n * k.c), dlogits(k.n * k.c);
      double loss = -1;
      Status s = crossEntropyForward(k.n, k.c, cspan(logits), ConstInt32Span(t.data(), k.n), span(probs), &loss);
      ctx.check(s.isOk(), "crossEntropyForward %s: %s", tag, s.message().c_str());
      std::vector<double> wantProbs;
      const double want = naiveCrossEntropy(k.n, k.c, logits, t, wantProbs);
      ctx.check(std::isfinite(loss) && std::fabs(loss - want) <= kTolerance * std::max(1.0, std::fabs(want)),
                "crossEntropyForward %s: loss %.10g, want %.10g", tag, loss, want);
      checkClose(ctx, probs, wantProbs, std::string("crossEntropyForward probs ") + tag);

      const float scale = 0.37f;
      std::vector<double> wantGrad(k.n * k.c);
      for (int64_t i = 0; i < k.n; ++i)
        for (int64_t j = 0; j < k.c; ++j) wantGrad[i * k.c + j] = (wantProbs[i * k.c + j] - (j == t[i])) * scale;
      s = crossEntropyBackward(k.n, k.c, cspan(probs), ConstInt32Span(t.data(), k.n), scale, span(dlogits));
      ctx.check(s.isOk(), "crossEntropyBackward %s: %s", tag, s.message().c_str());
      checkClose(ctx, dlogits, wantGrad, std::string("crossEntropyBackward ") + tag);
      s = crossEntropyBackward(k.n, k.c, cspan(probs), ConstInt32Span(t.data(), k.n), scale, span(probs));
      ctx.check(s.isOk(), "crossEntropyBackward in place %s: %s", tag, s.message().c_str());
      checkClose(ctx, probs, wantGrad, std::string("crossEntropyBackward in place ") + tag);
    }
}

ATROUS_TEST(opsCrossEntropyLargeLogitsStayFinite) {
  // Logits of 1e4 overflow exp() even in float64 unless the max is subtracted.
  std::vector<float> logits = {1e4f, 0.f, -1e4f, 1e4f, 1e4f - 2.f, 1e4f};
  std::vector<int32_t> t = {1, 2};
  std::vector<float> probs(6);
  double loss = 0;
  ctx.check(crossEntropyForward(2, 3, cspan(logits), ConstInt32Span(t.data(), 2), span(probs), &loss).isOk(),
            "crossEntropyForward failed");
  // Row 0: -log softmax at 0 = 1e4 (exactly, to float64). Row 1: log(e^0 + e^-2 + e^0) - 0.
  const double want = (1e4 + std::log(2 + std::exp(-2.0))) / 2;
  ctx.check(std::fabs(loss - want) <= 1e-9 * want, "loss %.12g, want %.12g", loss, want);
  int finite = 0;
  for (float p : probs) finite += std::isfinite(p);
  ctx.check(finite == 6 && probs[0] == 1.f && probs[1] == 0.f, "probs not finite or wrong: %g %g %g", probs[0],
            probs[1], probs[2]);
}

ATROUS_TEST(opsCrossEntropyRejectsBadArguments) {
  std::vector<float> logits(12, 0.f), probs(12, 5.f), shortBuf(11);
  std::vector<int32_t> t = {0, 3, 1};
  double loss = 42;
  ConstInt32Span ts(t.data(), 3);
  Status s = crossEntropyForward(3, 4, cspan(logits), ts, span(probs), &loss);
  ctx.check(s.isOk(), "valid call failed: %s", s.message().c_str());
  t[1] = 4;  // c = 4: one past the last class
  std::fill(probs.begin(), probs.end(), 5.f);
  loss = 42;
  s = crossEntropyForward(3, 4, cspan(logits), ts, span(probs), &loss);
  expectError(ctx, s, "targets[1] expects a class index in [0, 4), but got 4", "target 4 of 4 classes");
  int touched = 0;
  for (float p : probs) touched += p != 5.f;
  ctx.check(touched == 0 && loss == 42, "a rejected crossEntropyForward wrote %d probs and loss %g", touched, loss);
  t[1] = -3;
  expectError(ctx, crossEntropyForward(3, 4, cspan(logits), ts, span(probs), &loss),
              "targets[1] expects a class index in [0, 4), but got -3",
              "a negative target accepted");
  expectError(ctx, crossEntropyBackward(3, 4, cspan(probs), ts, 1.f, span(logits)), "targets[1]",
              "crossEntropyBackward accepted a negative target");
  t[1] = 2;
  expectError(ctx, crossEntropyForward(3, 4, cspan(shortBuf), ts, span(probs), &loss),
              "logits expects 12 elements, but got 11",
              "a short logits accepted");
  expectError(ctx, crossEntropyForward(3, 4, cspan(logits), ts, span(shortBuf), &loss), "probs expects 12",
              "a short probs accepted");
  expectError(ctx, crossEntropyForward(4, 3, cspan(logits), ts, span(probs), &loss),
              "targets expects 4 elements, but got 3",
              "3 targets for 4 rows accepted");
  expectError(ctx, crossEntropyForward(0, 4, cspan(logits), ts, span(probs), &loss), "n and c expect",
              "n = 0 accepted");
  ctx.check(fails(crossEntropyForward(int64_t{1} << 40, int64_t{1} << 30, cspan(logits), ts, span(probs), &loss)),
            "an overflowing n*c accepted");
  ctx.check(fails(crossEntropyForward(3, 4, cspan(logits), ts, span(probs), nullptr)), "a null loss accepted");
  expectError(ctx, crossEntropyForward(3, 4, cspan(logits), ts, span(logits), &loss), "overlaps logits",
              "probs == logits accepted");
  expectError(ctx, crossEntropyBackward(3, 4, cspan(shortBuf), ts, 1.f, span(logits)), "probs expects 12",
              "crossEntropyBackward accepted a short probs");
  expectError(ctx, crossEntropyBackward(3, 4, cspan(probs), ts, 1.f, span(shortBuf)), "dlogits expects 12",
              "crossEntropyBackward accepted a short dlogits");
}

}  // namespace
