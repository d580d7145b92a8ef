// Elementwise, pooling, cross-entropy and random kernels against naive float64 loops written here
// from the definitions (PyTorch's, for pooling and the loss): odd sizes on both sides of the parallel
// threshold, in-place calls, stride != kernel, padding, non-square planes, adaptive windows that do
// not divide the input, ties, large logits, the generator's known answers and stream properties, and
// every argument check.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "../kernels/cpu/elementwise.h"
#include "../kernels/cpu/loss.h"
#include "../kernels/cpu/pool.h"
#include "../kernels/cpu/random.h"
#include "../kernels/cpu/thread_pool.h"
#include "../kernels/cpu/transpose.h"
#include "harness.h"

using namespace atrous;
using test::Context;
using test::Rng;

namespace {

constexpr double kTolerance = 1e-5;
const float kInf = std::numeric_limits<float>::infinity();
const float kNan = std::numeric_limits<float>::quiet_NaN();
// Sizes around SIMD widths, chunk edges and the parallel threshold (1 << 16).
const int64_t kSizes[] = {0, 1, 7, 17, 1001, 65535, 65537, 200003};

FloatSpan span(std::vector<float>& v) { return {v.data(), static_cast<long long>(v.size())}; }
ConstFloatSpan cspan(const std::vector<float>& v) { return {v.data(), static_cast<long long>(v.size())}; }
Int32Span ispan(std::vector<int32_t>& v) { return {v.data(), static_cast<long long>(v.size())}; }

// Restores the pool's thread count when a test ends, whatever it set.
struct ThreadCountGuard {
  int saved = numThreads();
  ~ThreadCountGuard() { setNumThreads(saved); }
};

bool fails(const Status& s) { return !s.isOk(); }
// Checks that s failed with a message containing text; otherwise prints what came instead.
void expectError(Context& ctx, const Status& s, const char* text, const char* what) {
  const std::string got = s.isOk() ? "success" : "\"" + s.message() + "\"";
  ctx.check(!s.isOk() && s.message().find(text) != std::string::npos, "%s: expected an error with \"%s\", got %s",
            what, text, got.c_str());
}

void checkClose(Context& ctx, const std::vector<float>& got, const std::vector<double>& want, const std::string& what) {
  const double err = test::relativeL2(got.data(), want.data(), static_cast<int64_t>(want.size()));
  ctx.check(got.size() == want.size() && err <= kTolerance, "%s: relative L2 %.3g (sizes %zu vs %zu)", what.c_str(),
            err, got.size(), want.size());
}

// ---------------- elementwise ----------------

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
}

// ---------------- pooling: naive float64 references ----------------

struct PoolCase {
  Nchw x;
  PoolWindow p;
  std::string describe() const {
    char buf[200];
    std::snprintf(buf, sizeof buf, "x=[%lld,%lld,%lld,%lld] kernel=[%lld,%lld] stride=[%lld,%lld] padding=[%lld,%lld]",
                  (long long)x.n, (long long)x.c, (long long)x.h, (long long)x.w, (long long)p.kernelH,
                  (long long)p.kernelW, (long long)p.strideH, (long long)p.strideW, (long long)p.padH,
                  (long long)p.padW);
    return buf;
  }
  int64_t oh() const { return (x.h + 2 * p.padH - p.kernelH) / p.strideH + 1; }
  int64_t ow() const { return (x.w + 2 * p.padW - p.kernelW) / p.strideW + 1; }
};

PoolCase poolCase(int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                  int64_t ph, int64_t pw) {
  PoolCase k;
  k.x = Nchw{n, c, h, w};
  k.p.kernelH = kh;
  k.p.kernelW = kw;
  k.p.strideH = sh;
  k.p.strideW = sw;
  k.p.padH = ph;
  k.p.padW = pw;
  return k;
}

const std::vector<PoolCase>& poolCases() {
  static const std::vector<PoolCase> cases = {
      poolCase(2, 3, 7, 9, 2, 2, 2, 2, 0, 0),      // floor mode drops the last row and column
      poolCase(1, 2, 8, 8, 3, 3, 2, 2, 1, 1),      // padding, stride != kernel
      poolCase(2, 1, 5, 11, 3, 2, 1, 3, 1, 1),     // non-square window, stride and padding
      poolCase(1, 1, 1, 1, 1, 1, 1, 1, 0, 0),
      poolCase(3, 2, 6, 4, 4, 2, 3, 1, 2, 0),      // padding = kernel/2 exactly
      poolCase(1, 4, 10, 3, 5, 3, 4, 5, 2, 1),     // stride > kernel: some inputs in no window
      poolCase(4, 17, 33, 31, 3, 3, 2, 2, 1, 1),   // enough planes to run in parallel
  };
  return cases;
}

// Max over the window's cells inside the input, first strict max in row-major order.
void naiveMaxPool(const PoolCase& k, const std::vector<float>& x, std::vector<double>& y, std::vector<int32_t>& idx) {
  const int64_t OH = k.oh(), OW = k.ow();
  y.assign(k.x.n * k.x.c * OH * OW, 0);
  idx.assign(y.size(), -1);
  for (int64_t pl = 0; pl < k.x.n * k.x.c; ++pl)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        double best = -INFINITY;
        int32_t at = -1;
        for (int64_t i = 0; i < k.p.kernelH; ++i)
          for (int64_t j = 0; j < k.p.kernelW; ++j) {
            const int64_t ih = oh * k.p.strideH - k.p.padH + i, iw = ow * k.p.strideW - k.p.padW + j;
            if (ih < 0 || ih >= k.x.h || iw < 0 || iw >= k.x.w) continue;
            const double v = x[(pl * k.x.h + ih) * k.x.w + iw];
            if (at < 0 || v > best) {
              best = v;
              at = static_cast<int32_t>(ih * k.x.w + iw);
            }
          }
        y[(pl * OH + oh) * OW + ow] = best;
        idx[(pl * OH + oh) * OW + ow] = at;
      }
}

// Average with padded zeros counted: every window divides by kernelH * kernelW.
std::vector<double> naiveAvgPool(const PoolCase& k, const std::vector<float>& x) {
  const int64_t OH = k.oh(), OW = k.ow();
  std::vector<double> y(k.x.n * k.x.c * OH * OW, 0);
  for (int64_t pl = 0; pl < k.x.n * k.x.c; ++pl)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        double s = 0;
        for (int64_t i = 0; i < k.p.kernelH; ++i)
          for (int64_t j = 0; j < k.p.kernelW; ++j) {
            const int64_t ih = oh * k.p.strideH - k.p.padH + i, iw = ow * k.p.strideW - k.p.padW + j;
            if (ih >= 0 && ih < k.x.h && iw >= 0 && iw < k.x.w) s += x[(pl * k.x.h + ih) * k.x.w + iw];
          }
        y[(pl * OH + oh) * OW + ow] = s / static_cast<double>(k.p.kernelH * k.p.kernelW);
      }
  return y;
}

// dx = d(sum(y * dy))/dx for the average pool, by the same window walk.
std::vector<double> naiveAvgPoolBackward(const PoolCase& k, const std::vector<float>& dy) {
  const int64_t OH = k.oh(), OW = k.ow();
  std::vector<double> dx(k.x.size(), 0);
  for (int64_t pl = 0; pl < k.x.n * k.x.c; ++pl)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow)
        for (int64_t i = 0; i < k.p.kernelH; ++i)
          for (int64_t j = 0; j < k.p.kernelW; ++j) {
            const int64_t ih = oh * k.p.strideH - k.p.padH + i, iw = ow * k.p.strideW - k.p.padW + j;
            if (ih >= 0 && ih < k.x.h && iw >= 0 && iw < k.x.w)
              dx[(pl * k.x.h + ih) * k.x.w + iw] +=
                  dy[(pl * OH + oh) * OW + ow] / static_cast<double>(k.p.kernelH * k.p.kernelW);
          }
  return dx;
}

ATROUS_TEST(opsMaxPool2dMatchesNaive) {
  ThreadCountGuard guard;
  for (int threads : {1, 2})
    for (const PoolCase& k : poolCases()) {
      setNumThreads(threads);
      const std::string tag = k.describe() + " threads=" + std::to_string(threads);
      Rng rng(static_cast<uint64_t>(k.x.size()));
      auto x = rng.floats(k.x.size(), -3.f, -1.f);  // all negative: a padded zero would win if counted
      const int64_t ysize = k.x.n * k.x.c * k.oh() * k.ow();
      std::vector<float> y(ysize);
      std::vector<int32_t> argmax(ysize);
      Status s = maxPool2dForward(k.x, k.p, cspan(x), span(y), ispan(argmax));
      ctx.check(s.isOk(), "maxPool2dForward %s: %s", tag.c_str(), s.message().c_str());
      std::vector<double> want;
      std::vector<int32_t> wantIdx;
      naiveMaxPool(k, x, want, wantIdx);
      checkClose(ctx, y, want, "maxPool2dForward " + tag);
      int wrong = 0;
      for (int64_t o = 0; o < ysize; ++o) wrong += argmax[o] != wantIdx[o];
      ctx.check(wrong == 0, "maxPool2dForward %s: %d argmax entries differ", tag.c_str(), wrong);

      // Backward: dx at the chosen cells sums the dy of every window that chose them.
      auto dy = rng.floats(ysize);
      std::vector<float> dx(k.x.size(), 123.f);  // must be zeroed by the kernel
      std::vector<double> wantDx(k.x.size(), 0);
      const int64_t OHW = k.oh() * k.ow();
      for (int64_t o = 0; o < ysize; ++o) wantDx[(o / OHW) * k.x.h * k.x.w + wantIdx[o]] += dy[o];
      s = maxPool2dBackward(k.x, Nchw{k.x.n, k.x.c, k.oh(), k.ow()}, cspan(dy), ConstInt32Span(argmax.data(), ysize),
                            span(dx));
      ctx.check(s.isOk(), "maxPool2dBackward %s: %s", tag.c_str(), s.message().c_str());
      checkClose(ctx, dx, wantDx, "maxPool2dBackward " + tag);
    }
}

// The 2x2 stride-2 fast path (maxpool_rows.h) on every ISA: widths that leave every tail of a
// 16-window vector step, values drawn from a few levels (many ties), NaN and -inf sprinkled in. The
// reference: a window's last NaN if it has one, else its first maximum (all -inf: its first cell).
ATROUS_TEST(opsMaxPool2x2EveryIsaMatchesNaive) {
  test::forEachIsa([&](Isa isa) {
    Rng rng(77);
    for (int64_t w = 2; w <= 70; w += (w < 36 ? 1 : 7))
      for (int64_t h : {2, 3, 5}) {
        const Nchw xs{2, 2, h, w}, ys{2, 2, h / 2, w / 2};
        std::vector<float> x(static_cast<size_t>(xs.size()));
        for (float& v : x) {
          const int64_t r = rng.intIn(0, 19);
          v = r == 0 ? kNan : r == 1 ? -kInf : static_cast<float>(rng.intIn(-2, 2));
        }
        std::vector<float> y(static_cast<size_t>(ys.size()));
        std::vector<int32_t> argmax(y.size());
        const PoolWindow p{2, 2, 2, 2, 0, 0};
        Status s = maxPool2dForward(xs, p, cspan(x), span(y), ispan(argmax));
        int wrong = 0;
        for (int64_t pl = 0; pl < xs.n * xs.c; ++pl)
          for (int64_t oh = 0; oh < ys.h; ++oh)
            for (int64_t ow = 0; ow < ys.w; ++ow) {
              const int32_t cells[4] = {int32_t(2 * oh * w + 2 * ow), int32_t(2 * oh * w + 2 * ow + 1),
                                        int32_t((2 * oh + 1) * w + 2 * ow), int32_t((2 * oh + 1) * w + 2 * ow + 1)};
              const float* plane = x.data() + pl * h * w;
              int32_t want = cells[0];
              for (int32_t c : cells)
                if (std::isnan(plane[c])) want = c;
              if (!std::isnan(plane[want]))
                for (int k = 3; k >= 0; --k)
                  if (plane[cells[k]] >= plane[want]) want = cells[k];
              const int64_t o = (pl * ys.h + oh) * ys.w + ow;
              const float got = y[static_cast<size_t>(o)];
              wrong += argmax[static_cast<size_t>(o)] != want ||
                       !(got == plane[want] || (std::isnan(got) && std::isnan(plane[want])));
            }
        ctx.check(s.isOk() && wrong == 0, "2x2 max pool %s, x %lldx%lld: %d windows differ (%s)", isaName(isa),
                  (long long)h, (long long)w, wrong, s.message().c_str());
      }
  });
}

ATROUS_TEST(opsMaxPool2dTiesPickTheFirst) {
  // A constant plane: every window's max is its first in-bounds cell, as PyTorch picks it.
  PoolCase k = poolCase(1, 1, 4, 5, 3, 3, 2, 2, 1, 1);
  std::vector<float> x(k.x.size(), 0.5f);
  const int64_t ysize = k.oh() * k.ow();
  std::vector<float> y(ysize);
  std::vector<int32_t> argmax(ysize);
  ctx.check(maxPool2dForward(k.x, k.p, cspan(x), span(y), ispan(argmax)).isOk(), "maxPool2dForward failed");
  int wrong = 0;
  for (int64_t oh = 0; oh < k.oh(); ++oh)
    for (int64_t ow = 0; ow < k.ow(); ++ow) {
      const int64_t h0 = std::max<int64_t>(oh * 2 - 1, 0), w0 = std::max<int64_t>(ow * 2 - 1, 0);
      wrong += argmax[oh * k.ow() + ow] != h0 * k.x.w + w0 || y[oh * k.ow() + ow] != 0.5f;
    }
  ctx.check(wrong == 0, "constant plane %s: %d windows did not pick their first cell", k.describe().c_str(), wrong);

  // Two equal maxima in one window, the later one first in no other sense: index 1 (row 0) beats 4.
  PoolCase t = poolCase(1, 1, 2, 3, 2, 3, 1, 1, 0, 0);
  std::vector<float> tx = {0.f, 9.f, 1.f, 2.f, 9.f, 3.f}, ty(1);
  std::vector<int32_t> ta(1);
  ctx.check(maxPool2dForward(t.x, t.p, cspan(tx), span(ty), ispan(ta)).isOk() && ta[0] == 1 && ty[0] == 9.f,
            "tie between indices 1 and 4 picked %d (value %g)", ta[0], ty[0]);

  // -inf everywhere: the max is -inf at the window's first in-bounds cell, never a padded position.
  std::vector<float> ninf(k.x.size(), -kInf);
  ctx.check(maxPool2dForward(k.x, k.p, cspan(ninf), span(y), ispan(argmax)).isOk() && argmax[0] == 0 && y[0] == -kInf,
            "all -inf: argmax %d value %g", argmax[0], y[0]);
  // A NaN wins its window (PyTorch propagates it).
  std::vector<float> withNan(k.x.size(), 1.f);
  withNan[6] = kNan;  // row 1, column 1: in the first window
  ctx.check(maxPool2dForward(k.x, k.p, cspan(withNan), span(y), ispan(argmax)).isOk() && std::isnan(y[0]) &&
                argmax[0] == 6,
            "NaN in window 0: value %g argmax %d", y[0], argmax[0]);

  // The same rules on the 2x2 stride-2 fast path: a tie keeps the first, -inf keeps cell 0, the last NaN wins.
  PoolCase q = poolCase(1, 1, 2, 6, 2, 2, 2, 2, 0, 0);  // windows {0,1,6,7}, {2,3,8,9}, {4,5,10,11}
  std::vector<float> qx = {1.f, 5.f, -kInf, -kInf, kNan, 2.f, 5.f, 0.f, -kInf, -kInf, 3.f, kNan}, qy(3);
  std::vector<int32_t> qa(3);
  ctx.check(maxPool2dForward(q.x, q.p, cspan(qx), span(qy), ispan(qa)).isOk() && qa[0] == 1 && qy[0] == 5.f &&
                qa[1] == 2 && qy[1] == -kInf && qa[2] == 11 && std::isnan(qy[2]),
            "2x2 fast path: argmax %d %d %d values %g %g %g", qa[0], qa[1], qa[2], qy[0], qy[1], qy[2]);
}

ATROUS_TEST(opsAvgPool2dMatchesNaive) {
  ThreadCountGuard guard;
  for (int threads : {1, 2})
    for (const PoolCase& k : poolCases()) {
      setNumThreads(threads);
      const std::string tag = k.describe() + " threads=" + std::to_string(threads);
      Rng rng(static_cast<uint64_t>(k.x.size()) + 1);
      auto x = rng.floats(k.x.size(), 0.5f, 2.f);  // positive: padded zeros visibly lower the average
      const int64_t ysize = k.x.n * k.x.c * k.oh() * k.ow();
      std::vector<float> y(ysize);
      Status s = avgPool2dForward(k.x, k.p, cspan(x), span(y));
      ctx.check(s.isOk(), "avgPool2dForward %s: %s", tag.c_str(), s.message().c_str());
      checkClose(ctx, y, naiveAvgPool(k, x), "avgPool2dForward " + tag);

      auto dy = rng.floats(ysize);
      std::vector<float> dx(k.x.size(), kNan);  // must be zeroed by the kernel
      s = avgPool2dBackward(k.x, k.p, cspan(dy), span(dx));
      ctx.check(s.isOk(), "avgPool2dBackward %s: %s", tag.c_str(), s.message().c_str());
      checkClose(ctx, dx, naiveAvgPoolBackward(k, dy), "avgPool2dBackward " + tag);
    }
}

// Window [floor(i*in/out), ceil((i+1)*in/out)) in real arithmetic, as PyTorch defines it.
void adaptiveWindow(int64_t i, int64_t in, int64_t out, int64_t* start, int64_t* end) {
  *start = static_cast<int64_t>(std::floor(static_cast<double>(i) * in / out));
  *end = static_cast<int64_t>(std::ceil(static_cast<double>(i + 1) * in / out));
}

ATROUS_TEST(opsAdaptiveAvgPool2dMatchesNaive) {
  ThreadCountGuard guard;
  struct Case { Nchw x; int64_t oh, ow; };
  for (int threads : {1, 2})
    for (Case k : {Case{{2, 3, 7, 5}, 3, 2}, Case{{1, 2, 10, 10}, 4, 6}, Case{{1, 1, 3, 2}, 5, 7},
                   Case{{2, 2, 9, 9}, 1, 1}, Case{{1, 1, 6, 6}, 6, 6}, Case{{8, 16, 33, 29}, 7, 5}}) {
      setNumThreads(threads);
      char tag[160];
      std::snprintf(tag, sizeof tag, "x=[%lld,%lld,%lld,%lld] out=[%lld,%lld] threads=%d", (long long)k.x.n,
                    (long long)k.x.c, (long long)k.x.h, (long long)k.x.w, (long long)k.oh, (long long)k.ow, threads);
      Rng rng(static_cast<uint64_t>(k.x.size()) + 2);
      auto x = rng.floats(k.x.size());
      auto dy = rng.floats(k.x.n * k.x.c * k.oh * k.ow);
      std::vector<double> want(dy.size(), 0), wantDx(k.x.size(), 0);
      for (int64_t pl = 0; pl < k.x.n * k.x.c; ++pl)
        for (int64_t i = 0; i < k.oh; ++i)
          for (int64_t j = 0; j < k.ow; ++j) {
            int64_t hs, he, ws, we;
            adaptiveWindow(i, k.x.h, k.oh, &hs, &he);
            adaptiveWindow(j, k.x.w, k.ow, &ws, &we);
            const double count = static_cast<double>((he - hs) * (we - ws));
            const int64_t o = (pl * k.oh + i) * k.ow + j;
            for (int64_t ih = hs; ih < he; ++ih)
              for (int64_t iw = ws; iw < we; ++iw) {
                want[o] += x[(pl * k.x.h + ih) * k.x.w + iw] / count;
                wantDx[(pl * k.x.h + ih) * k.x.w + iw] += dy[o] / count;
              }
          }
      std::vector<float> y(dy.size()), dx(k.x.size(), kNan);
      Status s = adaptiveAvgPool2dForward(k.x, k.oh, k.ow, cspan(x), span(y));
      ctx.check(s.isOk(), "adaptiveAvgPool2dForward %s: %s", tag, s.message().c_str());
      checkClose(ctx, y, want, std::string("adaptiveAvgPool2dForward ") + tag);
      s = adaptiveAvgPool2dBackward(k.x, k.oh, k.ow, cspan(dy), span(dx));
      ctx.check(s.isOk(), "adaptiveAvgPool2dBackward %s: %s", tag, s.message().c_str());
      checkClose(ctx, dx, wantDx, std::string("adaptiveAvgPool2dBackward ") + tag);
    }
}

ATROUS_TEST(opsPoolRejectsBadArguments) {
  PoolCase k = poolCase(1, 2, 5, 5, 3, 3, 2, 2, 1, 1);  // output 1x2x3x3
  std::vector<float> x(50), y(18), small(17), dx(50);
  std::vector<int32_t> argmax(18), shortArgmax(17);
  auto maxFwd = [&](const PoolCase& c) { return maxPool2dForward(c.x, c.p, cspan(x), span(y), ispan(argmax)); };
  ctx.check(maxFwd(k).isOk(), "the valid case failed");
  PoolCase bad = k;
  bad.p.strideW = 0;
  expectError(ctx, maxFwd(bad), "stride expects integers in 1..2^31-1, but got [2, 0]", "stride 0 accepted");
  bad = k;
  bad.p.kernelH = 0;
  expectError(ctx, maxFwd(bad), "kernel expects", "kernel 0 accepted");
  bad = k;
  bad.p.padH = 2;  // more than half of 3
  expectError(ctx, maxFwd(bad), "padding expects integers in 0..kernel/2 (kernel [3, 3]), but got [2, 1]",
              "padding 2 for kernel 3 accepted");
  bad = k;
  bad.p.padW = -1;
  expectError(ctx, maxFwd(bad), "padding", "negative padding accepted");
  bad = poolCase(1, 2, 5, 5, 8, 3, 1, 1, 1, 1);  // 5 + 2 < 8
  expectError(ctx, maxFwd(bad), "output would be empty", "a kernel larger than the input accepted");
  bad = k;
  bad.x.c = 0;
  expectError(ctx, maxFwd(bad), "xShape expects every dim >= 1", "a zero dim accepted");
  bad = k;
  bad.x.n = int64_t{1} << 40;
  expectError(ctx, maxFwd(bad), "at most 2^31-1", "2^40 planes accepted");

  expectError(ctx, maxPool2dForward(k.x, k.p, cspan(small), span(y), ispan(argmax)),
              "x expects 50 elements, but got 17",
              "maxPool2dForward accepted a short x");
  expectError(ctx, maxPool2dForward(k.x, k.p, cspan(x), span(small), ispan(argmax)), "y expects 18",
              "maxPool2dForward accepted a short y");
  expectError(ctx, maxPool2dForward(k.x, k.p, cspan(x), span(y), ispan(shortArgmax)), "argmax expects 18",
              "maxPool2dForward accepted a short argmax");
  expectError(ctx, maxPool2dForward(k.x, k.p, cspan(x), FloatSpan{x.data(), 18}, ispan(argmax)), "overlaps x",
              "maxPool2dForward accepted y inside x");

  // Backward: shapes must agree, and every argmax must lie in its plane.
  const Nchw ys{1, 2, 3, 3};
  ConstInt32Span am(argmax.data(), 18);
  expectError(ctx, maxPool2dBackward(k.x, Nchw{1, 3, 3, 3}, cspan(y), am, span(dx)),
              "yShape expects the batch and channels",
              "maxPool2dBackward accepted mismatched channels");
  expectError(ctx, maxPool2dBackward(k.x, ys, cspan(small), am, span(dx)), "dy expects 18",
              "maxPool2dBackward accepted a short dy");
  expectError(ctx, maxPool2dBackward(k.x, ys, cspan(y), ConstInt32Span(shortArgmax.data(), 17), span(dx)),
              "argmax expects 18",
              "maxPool2dBackward accepted a short argmax");
  expectError(ctx, maxPool2dBackward(k.x, ys, cspan(y), am, span(small)), "dx expects 50",
              "maxPool2dBackward accepted a short dx");
  std::fill(argmax.begin(), argmax.end(), 0);
  argmax[7] = 25;  // one past the 5x5 plane
  std::fill(dx.begin(), dx.end(), 7.f);
  expectError(ctx, maxPool2dBackward(k.x, ys, cspan(y), am, span(dx)),
              "argmax[7] expects an index in [0, 25), but got 25",
              "maxPool2dBackward accepted argmax 25");
  argmax[7] = -1;
  expectError(ctx, maxPool2dBackward(k.x, ys, cspan(y), am, span(dx)), "but got -1", "argmax -1 accepted");
  int touched = 0;
  for (float v : dx) touched += v != 7.f;
  ctx.check(touched == 0, "a rejected maxPool2dBackward wrote %d values of dx", touched);

  expectError(ctx, avgPool2dForward(k.x, k.p, cspan(small), span(y)), "avgPool2dForward: x expects 50",
              "avgPool2dForward accepted a short x");
  expectError(ctx, avgPool2dForward(k.x, k.p, cspan(x), span(small)), "y expects 18",
              "avgPool2dForward accepted a short y");
  expectError(ctx, avgPool2dBackward(k.x, k.p, cspan(small), span(dx)), "avgPool2dBackward: dy expects 18",
              "avgPool2dBackward accepted a short dy");
  expectError(ctx, avgPool2dBackward(k.x, k.p, cspan(y), span(small)), "dx expects 50",
              "avgPool2dBackward accepted a short dx");
  bad = k;
  bad.p.padH = 2;
  expectError(ctx, avgPool2dBackward(bad.x, bad.p, cspan(y), span(dx)), "padding",
              "avgPool2dBackward accepted too much padding");

  expectError(ctx, adaptiveAvgPool2dForward(k.x, 0, 2, cspan(x), span(y)),
              "outHW expects integers in 1..2^31-1, but got [0, 2]",
              "adaptiveAvgPool2dForward accepted outH 0");
  expectError(ctx, adaptiveAvgPool2dForward(k.x, 3, 3, cspan(small), span(y)), "x expects 50",
              "adaptiveAvgPool2dForward accepted a short x");
  expectError(ctx, adaptiveAvgPool2dForward(k.x, 3, 3, cspan(x), span(small)), "y expects 18",
              "adaptiveAvgPool2dForward accepted a short y");
  expectError(ctx, adaptiveAvgPool2dBackward(k.x, 3, 3, cspan(small), span(dx)), "dy expects 18",
              "adaptiveAvgPool2dBackward accepted a short dy");
  expectError(ctx, adaptiveAvgPool2dBackward(k.x, 3, 3, cspan(y), span(small)), "dx expects 50",
              "adaptiveAvgPool2dBackward accepted a short dx");
  expectError(ctx, adaptiveAvgPool2dBackward(k.x, int64_t{1} << 20, int64_t{1} << 20, cspan(y), span(dx)),
              "output expects at most 2^31-1",
              "adaptiveAvgPool2dBackward accepted a 2^40-element output");
}

// ---------------- cross-entropy ----------------

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

// ---------------- random numbers ----------------

ATROUS_TEST(opsPhiloxMatchesKnownAnswers) {
  // Random123's kat_vectors for philox4x32_10.
  struct Kat { std::array<uint32_t, 4> ctr; std::array<uint32_t, 2> key; std::array<uint32_t, 4> out; };
  const Kat kats[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff},
       {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0},
       {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  for (const Kat& k : kats) {
    const auto got = philox4x32_10(k.ctr, k.key);
    ctx.check(got == k.out, "philox4x32_10(ctr %08x..., key %08x %08x) = %08x %08x %08x %08x, want %08x %08x %08x %08x",
              k.ctr[0], k.key[0], k.key[1], got[0], got[1], got[2], got[3], k.out[0], k.out[1], k.out[2], k.out[3]);
  }
}

using Filler = Status (*)(FloatSpan, uint64_t seed, uint64_t offset);
Status uniformFiller(FloatSpan out, uint64_t seed, uint64_t offset) {
  return fillUniform(out, -2.0, 3.0, seed, offset);
}
Status normalFiller(FloatSpan out, uint64_t seed, uint64_t offset) { return fillNormal(out, 0.5, 2.0, seed, offset); }
Status dropoutMaskFiller(FloatSpan out, uint64_t seed, uint64_t offset) {
  std::vector<float> x(out.size, 1.f), mask(out.size);
  return dropout(cspan(x), 0.6, seed, offset, span(mask), out);
}

bool sameBits(const float* a, const float* b, int64_t n) { return std::memcmp(a, b, n * sizeof(float)) == 0; }

ATROUS_TEST(opsRandomStreamsAreReproducible) {
  ThreadCountGuard guard;
  const uint64_t seed = (uint64_t{1} << 53) - 12345;  // high bits in use: both key words matter
  struct Named { const char* name; Filler fill; };
  for (Named f : {Named{"fillUniform", uniformFiller}, Named{"fillNormal", normalFiller},
                  Named{"dropout", dropoutMaskFiller}}) {
    const int64_t n = 200003;  // above the parallel threshold, odd
    const uint64_t offset = 1000001;  // odd, so blocks start mid-way
    std::vector<float> whole(n), again(n), twoThreads(n), otherSeed(n);
    setNumThreads(1);
    ctx.check(f.fill(span(whole), seed, offset).isOk(), "%s failed", f.name);
    ctx.check(f.fill(span(again), seed, offset).isOk() && sameBits(whole.data(), again.data(), n),
              "%s: the same seed and offset gave different values", f.name);
    setNumThreads(2);
    ctx.check(f.fill(span(twoThreads), seed, offset).isOk() && sameBits(whole.data(), twoThreads.data(), n),
              "%s: 1 and 2 threads gave different values", f.name);
    setNumThreads(3);
    // Drawn in pieces at offsets offset, offset + k, ...: the pieces are the whole stream's slices.
    for (int64_t k : {int64_t{1}, int64_t{2}, int64_t{3}, int64_t{4}, int64_t{5}, int64_t{777}, int64_t{70001}}) {
      std::vector<float> head(k), tail(n - k);
      ctx.check(f.fill(span(head), seed, offset).isOk() && f.fill(span(tail), seed, offset + k).isOk(), "%s failed",
                f.name);
      ctx.check(sameBits(head.data(), whole.data(), k) && sameBits(tail.data(), whole.data() + k, n - k),
                "%s: the stream split at %lld differs from the whole stream", f.name, (long long)k);
    }
    ctx.check(f.fill(span(otherSeed), seed - 1, offset).isOk(), "%s failed", f.name);
    int64_t equal = 0;
    for (int64_t i = 0; i < n; ++i) equal += whole[i] == otherSeed[i];
    // Uniforms (2^24 values) rarely collide; dropout masks take 2 values and agree about half the time.
    const double limit = std::string(f.name) == "dropout" ? 0.6 : 0.001;
    ctx.check(equal < limit * n, "%s: seeds s and s-1 agree on %lld of %lld values", f.name, (long long)equal,
              (long long)n);
  }
}

ATROUS_TEST(opsRandomMoments) {
  const int64_t n = 1000000;
  std::vector<float> v(n);
  ctx.check(fillNormal(span(v), 0.0, 1.0, 42, 0).isOk(), "fillNormal failed");
  double mean = 0, sq = 0;
  for (float x : v) mean += x;
  mean /= n;
  for (float x : v) sq += (x - mean) * (x - mean);
  const double sd = std::sqrt(sq / (n - 1));
  ctx.check(std::fabs(mean) < 0.01 && std::fabs(sd - 1) < 0.01, "1e6 normals: mean %.4f std %.4f", mean, sd);
  int64_t beyond3 = 0;
  for (float x : v) beyond3 += std::fabs(x) > 3;
  ctx.check(std::fabs(beyond3 / double(n) - 0.0026998) < 0.0005, "1e6 normals: %.5f beyond 3 std, want 0.0027",
            beyond3 / double(n));
  ctx.check(fillNormal(span(v), 3.0, 0.5, 7, 99).isOk(), "fillNormal failed");
  mean = 0;
  for (float x : v) mean += x;
  mean /= n;
  ctx.check(std::fabs(mean - 3) < 0.005, "normals with mean 3, std 0.5: mean %.4f", mean);

  ctx.check(fillUniform(span(v), -1.0, 3.0, 42, 0).isOk(), "fillUniform failed");
  double umean = 0;
  int outside = 0;
  for (float x : v) {
    umean += x;
    outside += !(x >= -1.f && x < 3.f);
  }
  umean /= n;
  ctx.check(outside == 0 && std::fabs(umean - 1) < 0.01, "uniform on [-1, 3): mean %.4f, %d outside", umean, outside);
  // A range narrower than float spacing still stays half-open: values round down from hi.
  std::vector<float> narrow(1000);
  const double lo = 1.0, hi = 1.0 + 1.1920928955078125e-07;  // the next float after 1
  ctx.check(fillUniform(span(narrow), lo, hi, 1, 0).isOk(), "fillUniform failed");
  outside = 0;
  for (float x : narrow) outside += x != 1.f;
  ctx.check(outside == 0, "uniform on [1, nextafter(1)): %d values are not 1", outside);
  std::vector<float> same(5);
  ctx.check(fillUniform(span(same), 2.0, 2.0, 1, 0).isOk() && same[0] == 2.f && same[4] == 2.f,
            "uniform on [2, 2] gave %g", same[0]);
}

ATROUS_TEST(opsDropoutMasksFollowTheUniformStream) {
  ThreadCountGuard guard;
  setNumThreads(2);
  const int64_t n = 100001;
  Rng rng(9);
  const auto x = rng.floats(n);
  std::vector<float> mask(n), out(n), u(n);
  const double keep = 0.3;
  ctx.check(dropout(cspan(x), keep, 5, 77, span(mask), span(out)).isOk(), "dropout failed");
  ctx.check(fillUniform(span(u), 0.0, 1.0, 5, 77).isOk(), "fillUniform failed");
  const float scale = static_cast<float>(1 / keep);
  int64_t kept = 0, wrongMask = 0, wrongOut = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float want = u[i] < keep ? scale : 0.f;
    kept += mask[i] != 0;
    wrongMask += mask[i] != want;
    wrongOut += out[i] != x[i] * want;
  }
  ctx.check(wrongMask == 0 && wrongOut == 0, "dropout: %lld masks and %lld outputs differ from u < keep",
            (long long)wrongMask, (long long)wrongOut);
  ctx.check(std::fabs(kept / double(n) - keep) < 0.01, "dropout kept %.4f, want %.2f", kept / double(n), keep);

  auto y = x;  // keep = 1: everything kept, unscaled; out == x in place
  ctx.check(dropout(cspan(y), 1.0, 5, 0, span(mask), span(y)).isOk(), "dropout keep=1 failed");
  int64_t notOne = 0;
  for (float m : mask) notOne += m != 1.f;
  ctx.check(notOne == 0 && sameBits(y.data(), x.data(), n), "keep = 1: %lld masks are not 1, or out != x",
            (long long)notOne);
}

ATROUS_TEST(opsRandomRejectsBadArguments) {
  std::vector<float> x(8), mask(8), out(8), shortBuf(7);
  expectError(ctx, fillUniform(span(out), 2.0, 1.0, 0, 0), "expects lo <= hi, but got lo=2", "lo > hi accepted");
  expectError(ctx, fillUniform(span(out), 0.0, INFINITY, 0, 0), "hi expects a finite number", "hi = inf accepted");
  expectError(ctx, fillUniform(span(out), NAN, 1.0, 0, 0), "lo expects a finite number", "lo = NaN accepted");
  expectError(ctx, fillNormal(span(out), 0.0, -1.0, 0, 0), "std expects a number >= 0, but got -1",
              "a negative std accepted");
  expectError(ctx, fillNormal(span(out), NAN, 1.0, 0, 0), "mean expects a finite number", "mean = NaN accepted");
  expectError(ctx, fillNormal(span(out), 0.0, INFINITY, 0, 0), "std expects a finite number", "std = inf accepted");
  for (double keep : {0.0, -0.5, 1.5, double(NAN)})
    expectError(ctx, dropout(cspan(x), keep, 0, 0, span(mask), span(out)), "keep expects a probability in (0, 1]",
                ("dropout with keep = " + std::to_string(keep)).c_str());
  expectError(ctx, dropout(cspan(x), 0.5, 0, 0, span(shortBuf), span(out)), "mask expects 8 elements, but got 7",
              "dropout accepted a short mask");
  expectError(ctx, dropout(cspan(x), 0.5, 0, 0, span(mask), span(shortBuf)), "out expects 8",
              "dropout accepted a short out");
  expectError(ctx, dropout(cspan(x), 0.5, 0, 0, span(x), span(out)), "mask expects its own buffer",
              "dropout accepted mask == x");
  expectError(ctx, dropout(cspan(x), 0.5, 0, 0, span(out), span(out)), "mask expects its own buffer",
              "dropout accepted mask == out");
}

}  // namespace

ATROUS_TEST(opsTransposeBatchedMatchesNaive) {
  Rng rng(41);
  const int64_t sizes[][3] = {{1, 1, 1}, {1, 1, 7}, {3, 7, 1}, {2, 31, 33}, {5, 32, 32}, {4, 33, 100}, {1, 300, 257},
                              {64, 24, 62}};
  for (const auto& s : sizes) {
    const int64_t batch = s[0], rows = s[1], cols = s[2], n = batch * rows * cols;
    const auto x = rng.floats(n);
    std::vector<float> out(n, kNan);
    if (!ctx.check(transposeBatched({x.data(), n}, batch, rows, cols, {out.data(), n}).isOk(), "%lldx%lldx%lld failed",
                   (long long)batch, (long long)rows, (long long)cols))
      continue;
    bool same = true;
    for (int64_t b = 0; b < batch && same; ++b)
      for (int64_t r = 0; r < rows && same; ++r)
        for (int64_t c = 0; c < cols && same; ++c)
          same = std::memcmp(&out[(b * cols + c) * rows + r], &x[(b * rows + r) * cols + c], 4) == 0;
    ctx.check(same, "%lldx%lldx%lld: out[b][c][r] != x[b][r][c]", (long long)batch, (long long)rows, (long long)cols);
  }
}

ATROUS_TEST(opsTransposeBatchedRejectsBadArguments) {
  std::vector<float> x(24), out(24);
  expectError(ctx, transposeBatched({x.data(), 24}, 2, 3, 4, {out.data(), 23}), "transposeBatched: out expects 24",
              "a short out accepted");
  expectError(ctx, transposeBatched({x.data(), 23}, 2, 3, 4, {out.data(), 24}), "transposeBatched: x expects 24",
              "a short x accepted");
  expectError(ctx, transposeBatched({x.data(), 24}, 0, 3, 4, {out.data(), 24}), "expect integers >= 1",
              "batch 0 accepted");
  expectError(ctx, transposeBatched({x.data(), 24}, int64_t{1} << 20, int64_t{1} << 20, 4, {out.data(), 24}),
              "product < 2^31", "an overflowing size accepted");
  expectError(ctx, transposeBatched({x.data(), 24}, 2, 3, 4, {x.data(), 24}), "overlaps", "out == x accepted");
}
