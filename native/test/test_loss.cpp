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

// torch 1.13's cross_entropy per position, in float64 by the definition: nll = w[t]·(lse − x[t]),
// smooth = Σ_c w[c]·(lse − x[c]); and the gradient of Σ_pos g[pos]·(a·nll + b·smooth).
struct NaiveNd {
  std::vector<double> nll, smooth, dlogits;
  double weightSum = 0;
};
NaiveNd naiveCrossEntropyNd(int64_t n, int64_t c, int64_t inner, const std::vector<float>& x,
                            const std::vector<int32_t>& t, const std::vector<float>& w, int32_t ignore, double a,
                            double b, const std::vector<float>& g) {
  NaiveNd r;
  r.nll.assign(n * inner, 0);
  r.smooth.assign(n * inner, 0);
  r.dlogits.assign(n * c * inner, 0);
  auto weight = [&](int64_t k) { return w.empty() ? 1.0 : static_cast<double>(w[k]); };
  for (int64_t s = 0; s < n; ++s)
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t pos = s * inner + i;
      if (t[pos] == ignore) continue;
      auto at = [&](int64_t k) { return (s * c + k) * inner + i; };
      double m = -INFINITY, z = 0, wsum = 0;
      for (int64_t k = 0; k < c; ++k) m = std::max(m, static_cast<double>(x[at(k)]));
      for (int64_t k = 0; k < c; ++k) z += std::exp(x[at(k)] - m);
      const double lse = m + std::log(z);
      r.nll[pos] = weight(t[pos]) * (lse - x[at(t[pos])]);
      for (int64_t k = 0; k < c; ++k) r.smooth[pos] += weight(k) * (lse - x[at(k)]);
      for (int64_t k = 0; k < c; ++k) wsum += weight(k);
      r.weightSum += weight(t[pos]);
      const double gp = g.size() == 1 ? g[0] : g[pos];
      for (int64_t k = 0; k < c; ++k) {
        const double p = std::exp(x[at(k)] - lse);
        r.dlogits[at(k)] = gp * (a * weight(t[pos]) * (p - (k == t[pos])) + b * (p * wsum - weight(k)));
      }
    }
  return r;
}

ATROUS_TEST(opsCrossEntropyNdMatchesNaive) {
  Rng rng(52);
  struct Case { int64_t n, c, inner; bool weighted; int32_t ignore; double eps; bool perPosition; };
  const Case cases[] = {{4, 5, 1, false, -100, 0, false}, {3, 4, 6, false, -100, 0, true}, {2, 3, 7, true, 1, 0, false},
                        {5, 6, 1, true, -100, 0.1, true}, {2, 7, 33, true, 255, 0.3, false}, {300, 10, 1, false, -100, 0.2, false},
                        {4, 5, 300, true, -100, 0.05, true}};
  for (const Case& k : cases) {
    const int64_t total = k.n * k.c * k.inner, positions = k.n * k.inner;
    std::vector<float> x = rng.floats(total, -6.f, 6.f), w = k.weighted ? rng.floats(k.c, 0.1f, 2.f) : std::vector<float>{};
    std::vector<int32_t> t(positions);
    for (int64_t p = 0; p < positions; ++p) t[p] = (p % 5 == 3) ? k.ignore : static_cast<int32_t>(rng.next() % k.c);
    std::vector<float> g = k.perPosition ? rng.floats(positions) : std::vector<float>{0.7f};
    CrossEntropyOptions o;
    o.weight = {w.data(), static_cast<long long>(w.size())};
    o.ignoreIndex = k.ignore;
    o.labelSmoothing = k.eps;
    const double a = (1 - k.eps) * 1.3, b = k.eps / k.c * 0.9;
    const NaiveNd want = naiveCrossEntropyNd(k.n, k.c, k.inner, x, t, w, k.ignore, a, b, g);
    std::vector<float> probs(total, kNan), losses(positions, kNan), dlogits(total, kNan);
    CrossEntropySums sums;
    const std::string tag = std::to_string(k.n) + "x" + std::to_string(k.c) + "x" + std::to_string(k.inner) +
                            (k.weighted ? " weighted" : "") + " eps " + std::to_string(k.eps);
    Status s = crossEntropyNdForward(k.n, k.c, k.inner, cspan(x), ConstInt32Span(t.data(), positions), o, span(probs),
                                     span(losses), &sums);
    if (!ctx.check(s.isOk(), "crossEntropyNdForward %s: %s", tag.c_str(), s.message().c_str())) continue;
    double nll = 0, smooth = 0;
    std::vector<double> wantLosses(positions);
    for (int64_t p = 0; p < positions; ++p) {
      nll += want.nll[p];
      smooth += want.smooth[p];
      wantLosses[p] = (1 - k.eps) * want.nll[p] + k.eps / k.c * want.smooth[p];
    }
    ctx.check(std::fabs(sums.nll - nll) <= 1e-9 * std::fabs(nll) && std::fabs(sums.weight - want.weightSum) <= 1e-9 * want.weightSum,
              "crossEntropyNdForward %s: nll %.12g want %.12g, weight %.12g want %.12g", tag.c_str(), sums.nll, nll,
              sums.weight, want.weightSum);
    ctx.check(k.eps == 0 ? sums.smooth == 0 : std::fabs(sums.smooth - smooth) <= 1e-9 * std::fabs(smooth),
              "crossEntropyNdForward %s: smooth %.12g want %.12g", tag.c_str(), sums.smooth, smooth);
    checkClose(ctx, losses, wantLosses, "crossEntropyNdForward losses " + tag);
    s = crossEntropyNdBackward(k.n, k.c, k.inner, cspan(probs), ConstInt32Span(t.data(), positions), o, a, b, cspan(g),
                               span(dlogits));
    ctx.check(s.isOk(), "crossEntropyNdBackward %s: %s", tag.c_str(), s.message().c_str());
    checkClose(ctx, dlogits, want.dlogits, "crossEntropyNdBackward " + tag);
    s = crossEntropyNdBackward(k.n, k.c, k.inner, cspan(probs), ConstInt32Span(t.data(), positions), o, a, b, cspan(g),
                               span(probs));
    ctx.check(s.isOk(), "crossEntropyNdBackward in place %s: %s", tag.c_str(), s.message().c_str());
    checkClose(ctx, probs, want.dlogits, "crossEntropyNdBackward in place " + tag);
  }
}

ATROUS_TEST(opsCrossEntropyNdRejectsBadArguments) {
  std::vector<float> logits(24, 0.f), probs(24, 5.f), w(3, 1.f), g(1, 1.f);
  std::vector<int32_t> t = {0, 1, -100, 2, 1, 0, 2, 1};  // n 2, c 3, inner 4
  CrossEntropyOptions o;
  o.ignoreIndex = -100;
  CrossEntropySums sums;
  sums.nll = 42;
  const ConstInt32Span ts(t.data(), 8);
  ctx.check(crossEntropyNdForward(2, 3, 4, cspan(logits), ts, o, span(probs), {}, &sums).isOk(), "valid call failed");
  t[5] = 3;
  std::fill(probs.begin(), probs.end(), 5.f);
  sums.nll = 42;
  expectError(ctx, crossEntropyNdForward(2, 3, 4, cspan(logits), ts, o, span(probs), {}, &sums),
              "targets[5] expects a class index in [0, 3) or ignoreIndex -100, but got 3", "target 3 of 3 classes");
  int touched = 0;
  for (float p : probs) touched += p != 5.f;
  ctx.check(touched == 0 && sums.nll == 42, "a rejected crossEntropyNdForward wrote %d probs", touched);
  t[5] = 0;
  std::vector<float> shortW(2, 1.f);
  o.weight = cspan(shortW);
  expectError(ctx, crossEntropyNdForward(2, 3, 4, cspan(logits), ts, o, span(probs), {}, &sums), "weight expects 3",
              "a weight of the wrong length accepted");
  o.weight = cspan(w);
  o.labelSmoothing = 1.5;
  expectError(ctx, crossEntropyNdForward(2, 3, 4, cspan(logits), ts, o, span(probs), {}, &sums), "labelSmoothing expects",
              "labelSmoothing 1.5 accepted");
  o.labelSmoothing = 0;
  expectError(ctx, crossEntropyNdForward(2, 3, 3, cspan(logits), ts, o, span(probs), {}, &sums), "targets expects 6",
              "8 targets for 6 positions accepted");
  std::vector<float> losses(7);
  expectError(ctx, crossEntropyNdForward(2, 3, 4, cspan(logits), ts, o, span(probs), span(losses), &sums),
              "losses expects 8", "a short losses accepted");
  std::vector<float> g3(3);
  expectError(ctx, crossEntropyNdBackward(2, 3, 4, cspan(probs), ts, o, 1, 0, cspan(g3), span(logits)),
              "gradOut expects 8", "a gradOut of 3 accepted");
  expectError(ctx, crossEntropyNdForward(2, 3, 0, cspan(logits), ts, o, span(probs), {}, &sums), "inner expect",
              "inner 0 accepted");
}

}  // namespace
