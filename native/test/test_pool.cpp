// Pooling kernels against naive float64 loops written from PyTorch's definitions: stride != kernel,
// padding, non-square planes, adaptive windows that do not divide the input, ties, every ISA's 2x2
// fast path, and every argument check.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
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

}  // namespace

// Adaptive max over PyTorch's windows: values drawn from a few levels (ties), NaN and -inf sprinkled
// in; the reference picks a window's last NaN, else its first maximum, else (all -inf) its first cell.
// The backward is maxPool2dBackward through the argmax.
ATROUS_TEST(opsAdaptiveMaxPool2dMatchesNaive) {
  ThreadCountGuard guard;
  struct Case { Nchw x; int64_t oh, ow; };
  for (int threads : {1, 2})
    for (Case k : {Case{{2, 3, 7, 5}, 3, 2}, Case{{1, 2, 1, 10}, 1, 4}, Case{{1, 1, 3, 2}, 5, 7},
                   Case{{2, 2, 9, 9}, 1, 1}, Case{{1, 2, 1, 7}, 1, 3}, Case{{8, 16, 33, 29}, 7, 5}}) {
      setNumThreads(threads);
      char tag[160];
      std::snprintf(tag, sizeof tag, "x=[%lld,%lld,%lld,%lld] out=[%lld,%lld] threads=%d", (long long)k.x.n,
                    (long long)k.x.c, (long long)k.x.h, (long long)k.x.w, (long long)k.oh, (long long)k.ow, threads);
      Rng rng(static_cast<uint64_t>(k.x.size()) + 3);
      std::vector<float> x(static_cast<size_t>(k.x.size()));
      for (float& v : x) {
        const int64_t r = rng.intIn(0, 29);
        v = r == 0 ? kNan : r == 1 ? -kInf : static_cast<float>(rng.intIn(-3, 3));
      }
      const int64_t ysize = k.x.n * k.x.c * k.oh * k.ow;
      auto dy = rng.floats(ysize);
      std::vector<int32_t> wantIdx(static_cast<size_t>(ysize));
      std::vector<double> wantDx(static_cast<size_t>(k.x.size()), 0);
      for (int64_t pl = 0; pl < k.x.n * k.x.c; ++pl)
        for (int64_t i = 0; i < k.oh; ++i)
          for (int64_t j = 0; j < k.ow; ++j) {
            int64_t hs, he, ws, we;
            adaptiveWindow(i, k.x.h, k.oh, &hs, &he);
            adaptiveWindow(j, k.x.w, k.ow, &ws, &we);
            const float* plane = x.data() + pl * k.x.h * k.x.w;
            int32_t want = -1;
            for (int64_t ih = hs; ih < he; ++ih)
              for (int64_t iw = ws; iw < we; ++iw)
                if (std::isnan(plane[ih * k.x.w + iw])) want = static_cast<int32_t>(ih * k.x.w + iw);
            if (want < 0) {
              want = static_cast<int32_t>(hs * k.x.w + ws);
              for (int64_t ih = hs; ih < he; ++ih)
                for (int64_t iw = ws; iw < we; ++iw)
                  if (plane[ih * k.x.w + iw] > plane[want]) want = static_cast<int32_t>(ih * k.x.w + iw);
            }
            const int64_t o = (pl * k.oh + i) * k.ow + j;
            wantIdx[o] = want;
            wantDx[pl * k.x.h * k.x.w + want] += dy[o];
          }
      std::vector<float> y(static_cast<size_t>(ysize), kNan), dx(static_cast<size_t>(k.x.size()), kNan);
      std::vector<int32_t> argmax(static_cast<size_t>(ysize), -1);
      Status s = adaptiveMaxPool2dForward(k.x, k.oh, k.ow, cspan(x), span(y), ispan(argmax));
      ctx.check(s.isOk(), "adaptiveMaxPool2dForward %s: %s", tag, s.message().c_str());
      int wrong = 0;
      for (int64_t o = 0; o < ysize; ++o) {
        const float want = x[(o / (k.oh * k.ow)) * k.x.h * k.x.w + wantIdx[o]];
        wrong += argmax[o] != wantIdx[o] || !(y[o] == want || (std::isnan(y[o]) && std::isnan(want)));
      }
      ctx.check(wrong == 0, "adaptiveMaxPool2dForward %s: %d windows differ", tag, wrong);
      s = maxPool2dBackward(k.x, Nchw{k.x.n, k.x.c, k.oh, k.ow}, cspan(dy), ConstInt32Span(argmax.data(), ysize), span(dx));
      ctx.check(s.isOk(), "maxPool2dBackward after adaptive max %s: %s", tag, s.message().c_str());
      checkClose(ctx, dx, wantDx, std::string("adaptive max backward ") + tag);
    }
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
