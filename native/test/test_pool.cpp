// Pooling kernels against naive float64 loops written from PyTorch's definitions: stride != kernel,
// padding, non-square planes, adaptive windows that do not divide the input, ties, every ISA's 2x2
// fast path, and every argument check. One set of references serves every test: a grid of windows
// (fixed or adaptive), the average over each, and the cell each max picks.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "../kernels/cpu/pool.h"
#include "harness.h"
#include "op_test_util.h"

using namespace atrous;
using namespace atrous::optest;
using test::Rng;

namespace {

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

// An adaptive pool's case: N×C×H×W to N×C×oh×ow.
struct AdaptiveCase {
  Nchw x;
  int64_t oh, ow;
  std::string describe() const {
    char buf[160];
    std::snprintf(buf, sizeof buf, "x=[%lld,%lld,%lld,%lld] out=[%lld,%lld]", (long long)x.n, (long long)x.c,
                  (long long)x.h, (long long)x.w, (long long)oh, (long long)ow);
    return buf;
  }
};

// Runs body(case, tag) for every case on 1 and then 2 threads; tag names the case and the thread count.
template <class Case, class Body>
void onOneAndTwoThreads(const std::vector<Case>& cases, Body body) {
  ThreadCountGuard guard;
  for (int threads : {1, 2})
    for (const Case& k : cases) {
      setNumThreads(threads);
      body(k, k.describe() + " threads=" + std::to_string(threads));
    }
}

// ---- the references ----

// One output's window: rows [h0, h1) and columns [w0, w1) of its plane (the cells inside the input),
// and what its average divides by.
struct Window {
  int64_t h0, h1, w0, w1;
  double divisor;
};

// The windows of every output plane: x's planes pooled to oh×ow, window(i, j) for output (i, j).
struct PoolGrid {
  Nchw x;
  int64_t oh, ow;
  std::function<Window(int64_t, int64_t)> window;
  int64_t outputSize() const { return x.planes() * oh * ow; }
};

// kernel × kernel every stride, padding before the first row and column; padded zeros count in the average.
PoolGrid fixedGrid(const PoolCase& k) {
  const PoolWindow p = k.p;
  const Nchw x = k.x;
  return {x, k.oh(), k.ow(), [p, x](int64_t i, int64_t j) {
            const int64_t h = i * p.strideH - p.padH, w = j * p.strideW - p.padW;
            return Window{std::max<int64_t>(h, 0), std::min(h + p.kernelH, x.h), std::max<int64_t>(w, 0),
                          std::min(w + p.kernelW, x.w), static_cast<double>(p.kernelH * p.kernelW)};
          }};
}

// [floor(i*in/out), ceil((i+1)*in/out)) in real arithmetic, as PyTorch defines it; the average over its cells.
PoolGrid adaptiveGrid(const AdaptiveCase& k) {
  auto bounds = [](int64_t i, int64_t in, int64_t out) {
    return std::array<int64_t, 2>{static_cast<int64_t>(std::floor(static_cast<double>(i) * in / out)),
                                  static_cast<int64_t>(std::ceil(static_cast<double>(i + 1) * in / out))};
  };
  const Nchw x = k.x;
  return {x, k.oh, k.ow, [x, bounds, k](int64_t i, int64_t j) {
            const auto [h0, h1] = bounds(i, x.h, k.oh);
            const auto [w0, w1] = bounds(j, x.w, k.ow);
            return Window{h0, h1, w0, w1, static_cast<double>((h1 - h0) * (w1 - w0))};
          }};
}

// body(plane, o, window) for every output, o its index in the output.
template <class Body>
void forEachWindow(const PoolGrid& g, Body body) {
  for (int64_t pl = 0; pl < g.x.planes(); ++pl)
    for (int64_t i = 0; i < g.oh; ++i)
      for (int64_t j = 0; j < g.ow; ++j) body(pl, (pl * g.oh + i) * g.ow + j, g.window(i, j));
}

// body(c) for every cell of window w, c its index in the plane, in row-major order.
template <class Body>
void forEachCell(const PoolGrid& g, const Window& w, Body body) {
  for (int64_t h = w.h0; h < w.h1; ++h)
    for (int64_t c = w.w0; c < w.w1; ++c) body(h * g.x.w + c);
}

std::vector<double> naiveAvgPool(const PoolGrid& g, const std::vector<float>& x) {
  std::vector<double> y(static_cast<size_t>(g.outputSize()), 0);
  forEachWindow(g, [&](int64_t pl, int64_t o, const Window& w) {
    const float* plane = x.data() + pl * g.x.planeSize();
    double s = 0;
    forEachCell(g, w, [&](int64_t c) { s += plane[c]; });
    y[o] = s / w.divisor;
  });
  return y;
}

// dx = d(sum(y * dy))/dx for the average pool.
std::vector<double> naiveAvgPoolBackward(const PoolGrid& g, const std::vector<float>& dy) {
  std::vector<double> dx(static_cast<size_t>(g.x.size()), 0);
  forEachWindow(g, [&](int64_t pl, int64_t o, const Window& w) {
    double* plane = dx.data() + pl * g.x.planeSize();
    forEachCell(g, w, [&](int64_t c) { plane[c] += dy[o] / w.divisor; });
  });
  return dx;
}

// Per output, the cell of its plane the max picks, as PyTorch does: the window's last NaN, else its first
// maximum in row-major order (all -inf: its first cell).
std::vector<int32_t> naiveArgmax(const PoolGrid& g, const std::vector<float>& x) {
  std::vector<int32_t> at(static_cast<size_t>(g.outputSize()), -1);
  forEachWindow(g, [&](int64_t pl, int64_t o, const Window& w) {
    const float* plane = x.data() + pl * g.x.planeSize();
    int64_t nan = -1, best = -1;
    forEachCell(g, w, [&](int64_t c) {
      if (std::isnan(plane[c])) nan = c;
      else if (best < 0 || plane[c] > plane[best]) best = c;
    });
    at[o] = static_cast<int32_t>(nan >= 0 ? nan : best);
  });
  return at;
}

// dx of a max pool: each dy added at the cell its window picked.
std::vector<double> naiveMaxPoolBackward(const PoolGrid& g, const std::vector<int32_t>& argmax, const std::vector<float>& dy) {
  std::vector<double> dx(static_cast<size_t>(g.x.size()), 0);
  forEachWindow(g, [&](int64_t pl, int64_t o, const Window&) { dx[pl * g.x.planeSize() + argmax[o]] += dy[o]; });
  return dx;
}

// Outputs whose argmax is not the reference's pick, or whose value is not that cell's (NaN matches NaN).
int maxMismatches(const PoolGrid& g, const std::vector<float>& x, const std::vector<float>& y,
                  const std::vector<int32_t>& argmax, const std::vector<int32_t>& want) {
  int wrong = 0;
  forEachWindow(g, [&](int64_t pl, int64_t o, const Window&) {
    const float v = x[pl * g.x.planeSize() + want[o]];
    wrong += argmax[o] != want[o] || !(y[o] == v || (std::isnan(y[o]) && std::isnan(v)));
  });
  return wrong;
}

// Values from the integers -levels..levels (so windows tie), one in oneIn NaN and one in oneIn -inf.
std::vector<float> tiedValues(Rng& rng, int64_t n, int64_t oneIn, int64_t levels) {
  std::vector<float> v(static_cast<size_t>(n));
  for (float& e : v) {
    const int64_t r = rng.intIn(0, oneIn - 1);
    e = r == 0 ? kNan : r == 1 ? -kInf : static_cast<float>(rng.intIn(-levels, levels));
  }
  return v;
}

// ---- the kernels against them ----

ATROUS_TEST(opsMaxPool2dMatchesNaive) {
  onOneAndTwoThreads(poolCases(), [&](const PoolCase& k, const std::string& tag) {
    const PoolGrid g = fixedGrid(k);
    Rng rng(static_cast<uint64_t>(k.x.size()));
    auto x = rng.floats(k.x.size(), -3.f, -1.f);  // all negative: a padded zero would win if counted
    std::vector<float> y(g.outputSize());
    std::vector<int32_t> argmax(y.size());
    Status s = maxPool2dForward(k.x, k.p, cspan(x), span(y), ispan(argmax));
    ctx.check(s.isOk(), "maxPool2dForward %s: %s", tag.c_str(), s.message().c_str());
    const std::vector<int32_t> want = naiveArgmax(g, x);
    const int wrong = maxMismatches(g, x, y, argmax, want);
    ctx.check(wrong == 0, "maxPool2dForward %s: %d windows differ", tag.c_str(), wrong);

    // Backward: dx at the chosen cells sums the dy of every window that chose them.
    auto dy = rng.floats(g.outputSize());
    std::vector<float> dx(k.x.size(), 123.f);  // must be zeroed by the kernel
    s = maxPool2dBackward(k.x, Nchw{k.x.n, k.x.c, k.oh(), k.ow()}, cspan(dy), ConstInt32Span(argmax.data(), g.outputSize()),
                          span(dx));
    ctx.check(s.isOk(), "maxPool2dBackward %s: %s", tag.c_str(), s.message().c_str());
    checkClose(ctx, dx, naiveMaxPoolBackward(g, want, dy), "maxPool2dBackward " + tag);
  });
}

// The 2x2 stride-2 fast path (maxpool_rows.h) on every ISA: widths that leave every tail of a
// 16-window vector step, values drawn from a few levels (many ties), NaN and -inf sprinkled in.
ATROUS_TEST(opsMaxPool2x2EveryIsaMatchesNaive) {
  test::forEachIsa([&](Isa isa) {
    Rng rng(77);
    for (int64_t w = 2; w <= 70; w += (w < 36 ? 1 : 7))
      for (int64_t h : {2, 3, 5}) {
        const PoolCase k = poolCase(2, 2, h, w, 2, 2, 2, 2, 0, 0);
        const PoolGrid g = fixedGrid(k);
        const std::vector<float> x = tiedValues(rng, k.x.size(), 20, 2);
        std::vector<float> y(static_cast<size_t>(g.outputSize()));
        std::vector<int32_t> argmax(y.size());
        Status s = maxPool2dForward(k.x, k.p, cspan(x), span(y), ispan(argmax));
        const int wrong = maxMismatches(g, x, y, argmax, naiveArgmax(g, x));
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
  onOneAndTwoThreads(poolCases(), [&](const PoolCase& k, const std::string& tag) {
    const PoolGrid g = fixedGrid(k);
    Rng rng(static_cast<uint64_t>(k.x.size()) + 1);
    auto x = rng.floats(k.x.size(), 0.5f, 2.f);  // positive: padded zeros visibly lower the average
    std::vector<float> y(g.outputSize());
    Status s = avgPool2dForward(k.x, k.p, cspan(x), span(y));
    ctx.check(s.isOk(), "avgPool2dForward %s: %s", tag.c_str(), s.message().c_str());
    checkClose(ctx, y, naiveAvgPool(g, x), "avgPool2dForward " + tag);

    auto dy = rng.floats(g.outputSize());
    std::vector<float> dx(k.x.size(), kNan);  // must be zeroed by the kernel
    s = avgPool2dBackward(k.x, k.p, cspan(dy), span(dx));
    ctx.check(s.isOk(), "avgPool2dBackward %s: %s", tag.c_str(), s.message().c_str());
    checkClose(ctx, dx, naiveAvgPoolBackward(g, dy), "avgPool2dBackward " + tag);
  });
}

ATROUS_TEST(opsAdaptiveAvgPool2dMatchesNaive) {
  const std::vector<AdaptiveCase> cases = {{{2, 3, 7, 5}, 3, 2}, {{1, 2, 10, 10}, 4, 6}, {{1, 1, 3, 2}, 5, 7},
                                           {{2, 2, 9, 9}, 1, 1}, {{1, 1, 6, 6}, 6, 6}, {{8, 16, 33, 29}, 7, 5}};
  onOneAndTwoThreads(cases, [&](const AdaptiveCase& k, const std::string& tag) {
    const PoolGrid g = adaptiveGrid(k);
    Rng rng(static_cast<uint64_t>(k.x.size()) + 2);
    auto x = rng.floats(k.x.size());
    auto dy = rng.floats(g.outputSize());
    std::vector<float> y(dy.size()), dx(k.x.size(), kNan);
    Status s = adaptiveAvgPool2dForward(k.x, k.oh, k.ow, cspan(x), span(y));
    ctx.check(s.isOk(), "adaptiveAvgPool2dForward %s: %s", tag.c_str(), s.message().c_str());
    checkClose(ctx, y, naiveAvgPool(g, x), "adaptiveAvgPool2dForward " + tag);
    s = adaptiveAvgPool2dBackward(k.x, k.oh, k.ow, cspan(dy), span(dx));
    ctx.check(s.isOk(), "adaptiveAvgPool2dBackward %s: %s", tag.c_str(), s.message().c_str());
    checkClose(ctx, dx, naiveAvgPoolBackward(g, dy), "adaptiveAvgPool2dBackward " + tag);
  });
}

// Adaptive max over PyTorch's windows, values drawn from a few levels (ties) with NaN and -inf sprinkled
// in. The backward is maxPool2dBackward through the argmax.
ATROUS_TEST(opsAdaptiveMaxPool2dMatchesNaive) {
  const std::vector<AdaptiveCase> cases = {{{2, 3, 7, 5}, 3, 2}, {{1, 2, 1, 10}, 1, 4}, {{1, 1, 3, 2}, 5, 7},
                                           {{2, 2, 9, 9}, 1, 1}, {{1, 2, 1, 7}, 1, 3}, {{8, 16, 33, 29}, 7, 5}};
  onOneAndTwoThreads(cases, [&](const AdaptiveCase& k, const std::string& tag) {
    const PoolGrid g = adaptiveGrid(k);
    Rng rng(static_cast<uint64_t>(k.x.size()) + 3);
    const std::vector<float> x = tiedValues(rng, k.x.size(), 30, 3);
    auto dy = rng.floats(g.outputSize());
    std::vector<float> y(static_cast<size_t>(g.outputSize()), kNan), dx(static_cast<size_t>(k.x.size()), kNan);
    std::vector<int32_t> argmax(y.size(), -1);
    Status s = adaptiveMaxPool2dForward(k.x, k.oh, k.ow, cspan(x), span(y), ispan(argmax));
    ctx.check(s.isOk(), "adaptiveMaxPool2dForward %s: %s", tag.c_str(), s.message().c_str());
    const std::vector<int32_t> want = naiveArgmax(g, x);
    const int wrong = maxMismatches(g, x, y, argmax, want);
    ctx.check(wrong == 0, "adaptiveMaxPool2dForward %s: %d windows differ", tag.c_str(), wrong);
    s = maxPool2dBackward(k.x, Nchw{k.x.n, k.x.c, k.oh, k.ow}, cspan(dy), ConstInt32Span(argmax.data(), g.outputSize()),
                          span(dx));
    ctx.check(s.isOk(), "maxPool2dBackward after adaptive max %s: %s", tag.c_str(), s.message().c_str());
    checkClose(ctx, dx, naiveMaxPoolBackward(g, want, dy), "adaptive max backward " + tag);
  });
}

// ---- argument checks ----

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

ATROUS_TEST(opsAdaptiveMaxPool2dRejectsBadArguments) {
  const Nchw xs{1, 2, 5, 5};
  std::vector<float> x(50), y(18), small(17);
  std::vector<int32_t> argmax(18), shortArgmax(17);
  ctx.check(adaptiveMaxPool2dForward(xs, 3, 3, cspan(x), span(y), ispan(argmax)).isOk(), "the valid case failed");
  expectError(ctx, adaptiveMaxPool2dForward(xs, 3, 0, cspan(x), span(y), ispan(argmax)),
              "adaptiveMaxPool2dForward: outHW expects integers in 1..2^31-1, but got [3, 0]", "outW 0 accepted");
  expectError(ctx, adaptiveMaxPool2dForward(xs, 3, 3, cspan(small), span(y), ispan(argmax)), "x expects 50",
              "a short x accepted");
  expectError(ctx, adaptiveMaxPool2dForward(xs, 3, 3, cspan(x), span(small), ispan(argmax)), "y expects 18",
              "a short y accepted");
  expectError(ctx, adaptiveMaxPool2dForward(xs, 3, 3, cspan(x), span(y), ispan(shortArgmax)), "argmax expects 18",
              "a short argmax accepted");
  expectError(ctx, adaptiveMaxPool2dForward(xs, 3, 3, cspan(x), span(y), Int32Span{reinterpret_cast<int32_t*>(y.data()), 18}),
              "argmax expects its own buffer", "argmax over y accepted");
}

}  // namespace
