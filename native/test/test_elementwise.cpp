// Elementwise kernels (add, mul, relu, channel bias, sum, the gated activation) against naive float64 loops: odd sizes on
// both sides of the parallel threshold, in-place calls, NaN, and every argument check.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "../kernels/cpu/elementwise.h"
#include "harness.h"
#include "op_test_util.h"

using namespace atrous;
using namespace atrous::optest;
using test::Rng;

namespace {

ATROUS_TEST(opsElementwiseMatchesNaive) {
  ThreadCountGuard guard;
  for (int threads : {1, 3}) {
    setNumThreads(threads);
    for (int64_t n : kSizes) {
      Rng rng(static_cast<uint64_t>(n) + 11);
      auto a = rng.floats(n, -2.f, 2.f), b = rng.floats(n, -2.f, 2.f);
      std::vector<float> out(n);
      const std::string tag = "n=" + std::to_string(n) + " threads=" + std::to_string(threads);
      const float alpha = 0.75f, beta = -1.5f;
      std::vector<double> want(n);

      ctx.check(add(cspan(a), cspan(b), span(out)).isOk(), "add failed %s", tag.c_str());
      for (int64_t i = 0; i < n; ++i) want[i] = static_cast<double>(a[i]) + b[i];
      checkClose(ctx, out, want, "add " + tag);

      ctx.check(sub(cspan(a), cspan(b), span(out)).isOk(), "sub failed %s", tag.c_str());
      for (int64_t i = 0; i < n; ++i) want[i] = static_cast<double>(a[i]) - b[i];
      checkClose(ctx, out, want, "sub " + tag);

      ctx.check(mul(cspan(a), cspan(b), span(out)).isOk(), "mul failed %s", tag.c_str());
      for (int64_t i = 0; i < n; ++i) want[i] = static_cast<double>(a[i]) * b[i];
      checkClose(ctx, out, want, "mul " + tag);

      ctx.check(axpby(cspan(a), alpha, cspan(b), beta, span(out)).isOk(), "axpby failed %s", tag.c_str());
      for (int64_t i = 0; i < n; ++i) want[i] = static_cast<double>(a[i]) * alpha + static_cast<double>(b[i]) * beta;
      checkClose(ctx, out, want, "axpby " + tag);

      ctx.check(scaleShift(cspan(a), alpha, beta, span(out)).isOk(), "scaleShift failed %s", tag.c_str());
      for (int64_t i = 0; i < n; ++i) want[i] = static_cast<double>(a[i]) * alpha + beta;
      checkClose(ctx, out, want, "scaleShift " + tag);

      ctx.check(relu(cspan(a), span(out)).isOk(), "relu failed %s", tag.c_str());
      for (int64_t i = 0; i < n; ++i) want[i] = a[i] > 0 ? a[i] : 0.0;
      checkClose(ctx, out, want, "relu " + tag);

      ctx.check(reluBackward(cspan(a), cspan(b), span(out)).isOk(), "reluBackward failed %s", tag.c_str());
      for (int64_t i = 0; i < n; ++i) want[i] = a[i] > 0 ? b[i] : 0.0;
      checkClose(ctx, out, want, "reluBackward " + tag);

      ctx.check(fill(span(out), 2.5f).isOk(), "fill failed %s", tag.c_str());
      int wrong = 0;
      for (float v : out) wrong += v != 2.5f;
      ctx.check(wrong == 0, "fill %s: %d values are not 2.5", tag.c_str(), wrong);
    }
  }
}

ATROUS_TEST(opsElementwiseInPlace) {
  ThreadCountGuard guard;
  setNumThreads(2);
  for (int64_t n : {int64_t{13}, int64_t{100003}}) {
    Rng rng(static_cast<uint64_t>(n));
    const auto a = rng.floats(n), b = rng.floats(n);
    std::vector<double> want(n);
    const std::string tag = "n=" + std::to_string(n);

    auto x = a;  // out == a
    ctx.check(add(cspan(x), cspan(b), span(x)).isOk(), "add in place (out == a) failed %s", tag.c_str());
    for (int64_t i = 0; i < n; ++i) want[i] = static_cast<double>(a[i]) + b[i];
    checkClose(ctx, x, want, "add out==a " + tag);

    auto y = b;  // out == b
    ctx.check(sub(cspan(a), cspan(y), span(y)).isOk(), "sub in place (out == b) failed %s", tag.c_str());
    for (int64_t i = 0; i < n; ++i) want[i] = static_cast<double>(a[i]) - b[i];
    checkClose(ctx, y, want, "sub out==b " + tag);

    x = a;  // a == b == out: squares
    ctx.check(mul(cspan(x), cspan(x), span(x)).isOk(), "mul in place (a == b == out) failed %s", tag.c_str());
    for (int64_t i = 0; i < n; ++i) want[i] = static_cast<double>(a[i]) * a[i];
    checkClose(ctx, x, want, "mul a==b==out " + tag);

    x = a;
    ctx.check(scaleShift(cspan(x), 3.f, 0.f, span(x)).isOk(), "scaleShift in place failed %s", tag.c_str());
    for (int64_t i = 0; i < n; ++i) want[i] = static_cast<double>(a[i]) * 3;
    checkClose(ctx, x, want, "scaleShift in place " + tag);

    x = a;
    ctx.check(relu(cspan(x), span(x)).isOk(), "relu in place failed %s", tag.c_str());
    for (int64_t i = 0; i < n; ++i) want[i] = a[i] > 0 ? a[i] : 0.0;
    checkClose(ctx, x, want, "relu in place " + tag);

    y = b;  // dx == dy
    ctx.check(reluBackward(cspan(a), cspan(y), span(y)).isOk(), "reluBackward in place failed %s", tag.c_str());
    for (int64_t i = 0; i < n; ++i) want[i] = a[i] > 0 ? b[i] : 0.0;
    checkClose(ctx, y, want, "reluBackward dx==dy " + tag);
  }
}

ATROUS_TEST(opsReluKeepsNanLikePyTorch) {
  std::vector<float> x = {kNan, -1.f, 2.f, -kInf, kInf}, out(5), dy = {1, 2, 3, 4, 5}, dx(5);
  ctx.check(relu(cspan(x), span(out)).isOk(), "relu failed");
  ctx.check(std::isnan(out[0]) && out[1] == 0 && out[2] == 2 && out[3] == 0 && out[4] == kInf,
            "relu of {nan, -1, 2, -inf, inf} gave {%g, %g, %g, %g, %g}", out[0], out[1], out[2], out[3], out[4]);
  ctx.check(reluBackward(cspan(x), cspan(dy), span(dx)).isOk(), "reluBackward failed");
  ctx.check(dx[0] == 1 && dx[1] == 0 && dx[2] == 3 && dx[3] == 0 && dx[4] == 5,
            "reluBackward at {nan, -1, 2, -inf, inf} gave {%g, %g, %g, %g, %g}", dx[0], dx[1], dx[2], dx[3], dx[4]);
}

ATROUS_TEST(opsAddChannelBiasMatchesNaive) {
  ThreadCountGuard guard;
  struct Case { int64_t outer, channels, inner; };
  for (int threads : {1, 2}) {
    setNumThreads(threads);
    for (Case k : {Case{3, 5, 7}, Case{1, 1, 1}, Case{4, 10, 1}, Case{2, 3, 40000}, Case{70001, 3, 1},
                   Case{5, 1001, 1}, Case{2, 64, 1031}}) {
      const int64_t n = k.outer * k.channels * k.inner;
      Rng rng(static_cast<uint64_t>(n) + 3);
      auto a = rng.floats(n), bias = rng.floats(k.channels);
      std::vector<float> out(n);
      std::vector<double> want(n);
      for (int64_t o = 0; o < k.outer; ++o)
        for (int64_t c = 0; c < k.channels; ++c)
          for (int64_t i = 0; i < k.inner; ++i) {
            const int64_t j = (o * k.channels + c) * k.inner + i;
            want[j] = static_cast<double>(a[j]) + bias[c];
          }
      char tag[128];
      std::snprintf(tag, sizeof tag, "addChannelBias outer=%lld channels=%lld inner=%lld threads=%d",
                    (long long)k.outer, (long long)k.channels, (long long)k.inner, threads);
      ctx.check(addChannelBias(cspan(a), cspan(bias), k.channels, k.inner, span(out)).isOk(), "%s failed", tag);
      checkClose(ctx, out, want, tag);
      ctx.check(addChannelBias(cspan(a), cspan(bias), k.channels, k.inner, span(a)).isOk(), "%s in place failed", tag);
      checkClose(ctx, a, want, std::string(tag) + " in place");
    }
  }
}

ATROUS_TEST(opsSumMatchesFloat64) {
  ThreadCountGuard guard;
  for (int64_t n : kSizes) {
    Rng rng(static_cast<uint64_t>(n) + 5);
    auto x = rng.floats(n, -1.f, 3.f);  // a mean away from zero: a float32 accumulator would drift
    double want = 0, wantSquares = 0, scale = 0;
    for (float v : x) {
      want += v;
      wantSquares += static_cast<double>(v) * v;
      scale += std::fabs(v);
    }
    double got[2] = {0, 0}, squares[2] = {0, 0};
    for (int threads : {1, 2}) {
      setNumThreads(threads);
      ctx.check(sum(cspan(x), &got[threads - 1]).isOk(), "sum failed n=%lld", (long long)n);
      ctx.check(sumSquares(cspan(x), &squares[threads - 1]).isOk(), "sumSquares failed n=%lld", (long long)n);
    }
    ctx.check(std::fabs(got[0] - want) <= 1e-12 * std::max(scale, 1.0), "sum n=%lld: %.17g, want %.17g",
              (long long)n, got[0], want);
    ctx.check(std::fabs(squares[0] - wantSquares) <= 1e-12 * std::max(wantSquares, 1.0),
              "sumSquares n=%lld: %.17g, want %.17g", (long long)n, squares[0], wantSquares);
    ctx.check(got[0] == got[1] && squares[0] == squares[1],
              "n=%lld: sums differ between 1 and 2 threads (%.17g vs %.17g, %.17g vs %.17g)", (long long)n, got[0],
              got[1], squares[0], squares[1]);
  }
  // 2^24 + 1 is not a float32: a float accumulator of 2^24 ones and a one would stop at 2^24.
  std::vector<float> ones((1 << 24) + 1, 1.f);
  double total = 0;
  ctx.check(sum(cspan(ones), &total).isOk() && total == 16777217.0, "sum of 2^24+1 ones gave %.17g", total);
}

// tanh(f)·σ(g) and its gradients from std::tanh / std::exp in float64, on every ISA's row variant, with
// runs that start mid-block (thread ranges) and values out to where tanh and σ saturate.
ATROUS_TEST(opsGatedTanhMatchesNaive) {
  ThreadCountGuard guard;
  test::forEachIsa([&](Isa isa) {
    for (int threads : {1, 3}) {
      setNumThreads(threads);
      for (int64_t outer : {1, 3}) {
        for (int64_t half : {1, 17, 70001}) {
          Rng rng(static_cast<uint64_t>(outer * half) + 5);
          auto x = rng.floats(2 * outer * half, -9.f, 9.f), dz = rng.floats(outer * half, -2.f, 2.f);
          std::vector<float> z(outer * half), dx(x.size());
          std::vector<double> wantZ(z.size()), wantDx(x.size());
          for (int64_t o = 0; o < outer; ++o)
            for (int64_t j = 0; j < half; ++j) {
              const int64_t f = o * 2 * half + j, g = f + half, k = o * half + j;
              const double t = std::tanh(static_cast<double>(x[f])), s = 1 / (1 + std::exp(-static_cast<double>(x[g])));
              wantZ[k] = t * s;
              wantDx[f] = dz[k] * s * (1 - t * t);
              wantDx[g] = dz[k] * t * s * (1 - s);
            }
          const std::string tag = std::string(isaName(isa)) + " outer=" + std::to_string(outer) + " half=" +
                                  std::to_string(half) + " threads=" + std::to_string(threads);
          ctx.check(gatedTanhForward(cspan(x), outer, half, span(z)).isOk(), "gatedTanhForward failed %s", tag.c_str());
          checkClose(ctx, z, wantZ, "gatedTanhForward " + tag);
          ctx.check(gatedTanhBackward(cspan(x), cspan(dz), outer, half, span(dx)).isOk(), "gatedTanhBackward failed %s",
                    tag.c_str());
          checkClose(ctx, dx, wantDx, "gatedTanhBackward " + tag);
        }
      }
    }
  });
}

ATROUS_TEST(opsElementwiseRejectsBadArguments) {
  std::vector<float> a(10), b(9), out(10), longer(12), bias(3);
  double r = 0;
  expectError(ctx, add(cspan(a), cspan(b), span(out)), "add: b expects 10 elements, but got 9",
              "add accepted a short b");
  expectError(ctx, sub(cspan(a), cspan(a), span(b)), "sub: out expects 10 elements, but got 9",
              "sub accepted a short out");
  expectError(ctx, mul(cspan(a), cspan(longer), span(out)), "mul: b expects 10", "mul accepted a long b");
  expectError(ctx, axpby(cspan(a), 1.f, cspan(b), 1.f, span(out)), "axpby: b", "axpby accepted a short b");
  expectError(ctx, scaleShift(cspan(a), 1.f, 0.f, span(b)), "scaleShift: out", "scaleShift accepted a short out");
  expectError(ctx, relu(cspan(a), span(b)), "relu: out", "relu accepted a short out");
  expectError(ctx, reluBackward(cspan(a), cspan(b), span(out)), "reluBackward: dy", "reluBackward accepted a short dy");
  expectError(ctx, reluBackward(cspan(a), cspan(a), span(b)), "reluBackward: dx", "reluBackward accepted a short dx");
  // A shifted view of an input as out would race between chunks.
  FloatSpan shifted{longer.data() + 1, 10};
  ConstFloatSpan head{longer.data(), 10};
  expectError(ctx, add(head, cspan(a), shifted), "overlaps a shifted by 1", "add accepted out = a + 1");
  expectError(ctx, relu(head, shifted), "overlaps x", "relu accepted a shifted out");
  // addChannelBias: channels*inner must divide a, bias must have channels values.
  expectError(ctx, addChannelBias(cspan(a), cspan(bias), 3, 1, span(out)), "multiple of channels*inner",
              "addChannelBias accepted 10 elements for 3 channels");
  expectError(ctx, addChannelBias(cspan(a), cspan(bias), 5, 2, span(out)), "bias expects 5 elements, but got 3",
              "addChannelBias accepted 3 biases for 5 channels");
  ctx.check(fails(addChannelBias(cspan(a), cspan(bias), 0, 1, span(out))), "addChannelBias accepted channels = 0");
  ctx.check(fails(addChannelBias(cspan(a), cspan(bias), 3, -1, span(out))), "addChannelBias accepted inner = -1");
  ctx.check(fails(addChannelBias(cspan(a), cspan(bias), 3, int64_t{1} << 62, span(out))),
            "addChannelBias accepted channels*inner that overflows");
  ctx.check(fails(addChannelBias(cspan(longer), cspan(bias), 3, 2, span(out))), "addChannelBias accepted a short out");
  ctx.check(fails(sum(cspan(a), nullptr)) && fails(sumSquares(cspan(a), nullptr)), "sum accepted a null result");
  ctx.check(sum(ConstFloatSpan{}, &r).isOk() && r == 0, "sum of nothing gave %g", r);
  // gatedTanh: x holds 2·outer·half values, z outer·half, dx as many as x.
  expectError(ctx, gatedTanhForward(cspan(a), 2, 3, span(out)), "gatedTanhForward: x expects 12 elements, but got 10",
              "gatedTanhForward accepted a short x");
  expectError(ctx, gatedTanhForward(cspan(a), 1, 5, span(out)), "gatedTanhForward: out expects 5 elements, but got 10",
              "gatedTanhForward accepted a long out");
  expectError(ctx, gatedTanhBackward(cspan(a), cspan(b), 1, 5, span(out)), "gatedTanhBackward: dz expects 5",
              "gatedTanhBackward accepted a long dz");
  expectError(ctx, gatedTanhBackward(cspan(a), ConstFloatSpan{a.data(), 5}, 1, 5, span(b)),
              "gatedTanhBackward: dx expects 10 elements, but got 9", "gatedTanhBackward accepted a short dx");
  ctx.check(fails(gatedTanhForward(cspan(a), -1, 5, span(out))), "gatedTanhForward accepted outer = -1");
  ctx.check(fails(gatedTanhForward(cspan(a), int64_t{1} << 62, 4, span(out))), "gatedTanhForward accepted an overflow");
}

}  // namespace
