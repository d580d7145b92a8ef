// The CUDA pooling kernels bit for bit against the CPU ones: random windows (odd sizes, padding,
// kernel larger or smaller than the stride, adaptive outputs larger and smaller than the input),
// inputs with ties, NaN and -inf; the max backward also through random argmax with many
// collisions. The per-cell arithmetic (pool_cells.h) is also checked on the host, so it runs
// without a device; the argument checks too.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "../../kernels/cpu/pool.h"
#include "../../kernels/cuda/pool.h"
#include "../../kernels/cuda/pool_cells.h"
#include "cuda_harness.h"

using namespace atrous;
using test::Context;
using test::DeviceArray;
using test::DeviceInt32Array;
using test::Rng;
using test::sameBits;
using test::sameBitsOrNan;

namespace {

struct PoolCase {
  Nchw x;
  PoolWindow p;
  int64_t outH = 1, outW = 1;  // adaptive
  std::string text() const {
    char buf[256];
    std::snprintf(buf, sizeof buf, "x=[%lld,%lld,%lld,%lld] kernel=[%lld,%lld] stride=[%lld,%lld] pad=[%lld,%lld] adaptive=[%lld,%lld]",
                  (long long)x.n, (long long)x.c, (long long)x.h, (long long)x.w, (long long)p.kernelH,
                  (long long)p.kernelW, (long long)p.strideH, (long long)p.strideW, (long long)p.padH,
                  (long long)p.padW, (long long)outH, (long long)outW);
    return buf;
  }
};

// Random valid windows; a few fixed edge cases first (global pooling, kernel > stride, stride > kernel).
std::vector<PoolCase> poolCases(int count) {
  std::vector<PoolCase> cases = {
      {{1, 1, 1, 1}, {1, 1, 1, 1, 0, 0}, 1, 1},
      {{2, 3, 7, 5}, {7, 5, 1, 1, 0, 0}, 1, 1},
      {{2, 2, 9, 11}, {3, 3, 2, 2, 1, 1}, 4, 5},
      {{1, 3, 10, 7}, {2, 2, 3, 3, 1, 0}, 13, 9},
      {{3, 2, 28, 28}, {2, 2, 2, 2, 0, 0}, 7, 7},
      {{1, 1, 5, 6}, {5, 4, 1, 2, 2, 2}, 2, 3},
  };
  Rng rng(21);
  while (int(cases.size()) < count) {
    PoolCase c;
    c.x = {rng.intIn(1, 3), rng.intIn(1, 4), rng.intIn(1, 13), rng.intIn(1, 13)};
    c.p.kernelH = rng.intIn(1, 5), c.p.kernelW = rng.intIn(1, 5);
    c.p.strideH = rng.intIn(1, 4), c.p.strideW = rng.intIn(1, 4);
    c.p.padH = rng.intIn(0, c.p.kernelH / 2), c.p.padW = rng.intIn(0, c.p.kernelW / 2);
    c.outH = rng.intIn(1, 2 * c.x.h + 1), c.outW = rng.intIn(1, 2 * c.x.w + 1);
    if (validatePool("test", c.x, c.p).isOk()) cases.push_back(c);
  }
  return cases;
}

// Values from a few integers (so windows tie), with NaN and -inf mixed in.
std::vector<float> poolInput(Rng& rng, int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& e : v) e = float(rng.intIn(-3, 3));
  for (int64_t i = 0; i < n; i += 1 + rng.intIn(0, 40)) v[i] = rng.intIn(0, 1) ? NAN : -INFINITY;
  return v;
}

struct CpuPool {
  std::vector<float> maxY, maxDx, avgY, avgDx, adaY, adaDx, dyMax, dyAda, dyAdaptive;
  std::vector<int32_t> argmax;
};

CpuPool runCpu(Context& ctx, const PoolCase& c, const std::vector<float>& x, Rng& rng) {
  CpuPool r;
  const Nchw ys = pooledShape(c.x, c.p), as{c.x.n, c.x.c, c.outH, c.outW};
  r.maxY.resize(ys.size()), r.argmax.resize(ys.size()), r.avgY.resize(ys.size()), r.adaY.resize(as.size());
  r.maxDx.resize(c.x.size()), r.avgDx.resize(c.x.size()), r.adaDx.resize(c.x.size());
  r.dyMax = rng.floats(ys.size(), -2.f, 2.f);
  r.dyAdaptive = rng.floats(as.size(), -2.f, 2.f);
  const std::string cfg = c.text();
  auto ok = [&](Status s, const char* what) { ctx.check(s.isOk(), "cpu %s [%s]: %s", what, cfg.c_str(), s.message().c_str()); };
  ok(maxPool2dForward(c.x, c.p, {x.data(), c.x.size()}, {r.maxY.data(), ys.size()}, {r.argmax.data(), ys.size()}), "max fwd");
  ok(maxPool2dBackward(c.x, ys, {r.dyMax.data(), ys.size()}, {r.argmax.data(), ys.size()}, {r.maxDx.data(), c.x.size()}), "max bwd");
  ok(avgPool2dForward(c.x, c.p, {x.data(), c.x.size()}, {r.avgY.data(), ys.size()}), "avg fwd");
  ok(avgPool2dBackward(c.x, c.p, {r.dyMax.data(), ys.size()}, {r.avgDx.data(), c.x.size()}), "avg bwd");
  ok(adaptiveAvgPool2dForward(c.x, c.outH, c.outW, {x.data(), c.x.size()}, {r.adaY.data(), as.size()}), "adaptive fwd");
  ok(adaptiveAvgPool2dBackward(c.x, c.outH, c.outW, {r.dyAdaptive.data(), as.size()}, {r.adaDx.data(), c.x.size()}),
     "adaptive bwd");
  return r;
}

}  // namespace

// pool_cells.h on the host, cell by cell, against the CPU kernels: the kernels' arithmetic and
// window ranges are checked even where no device is present.
ATROUS_CUDA_ARGS_TEST(cudaPoolCellsMatchCpuBitForBit) {
  Rng rng(22);
  for (const PoolCase& c : poolCases(300)) {
    const std::string cfg = c.text();
    const auto x = poolInput(rng, c.x.size());
    const CpuPool want = runCpu(ctx, c, x, rng);
    const Nchw ys = pooledShape(c.x, c.p), as{c.x.n, c.x.c, c.outH, c.outW};
    std::vector<float> maxY(ys.size()), avgY(ys.size()), avgDx(c.x.size()), adaY(as.size()), adaDx(c.x.size());
    std::vector<int32_t> argmax(ys.size());
    for (int64_t plane = 0; plane < c.x.planes(); ++plane) {
      const float* xp = x.data() + plane * c.x.planeSize();
      for (int64_t o = 0; o < ys.planeSize(); ++o) {
        const int64_t i = plane * ys.planeSize() + o;
        maxY[i] = cuda::poolcell::maxPoolOutput(xp, c.x, c.p, o / ys.w, o % ys.w, &argmax[i]);
        avgY[i] = cuda::poolcell::avgPoolOutput(xp, c.x, c.p, o / ys.w, o % ys.w);
      }
      for (int64_t o = 0; o < as.planeSize(); ++o)
        adaY[plane * as.planeSize() + o] = cuda::poolcell::adaptiveAvgOutput(xp, c.x, as, o / as.w, o % as.w);
      for (int64_t r = 0; r < c.x.planeSize(); ++r) {
        const int64_t i = plane * c.x.planeSize() + r;
        avgDx[i] = cuda::poolcell::avgPoolInputGradient(want.dyMax.data() + plane * ys.planeSize(), c.x, c.p, ys,
                                                        r / c.x.w, r % c.x.w);
        adaDx[i] = cuda::poolcell::adaptiveAvgInputGradient(want.dyAdaptive.data() + plane * as.planeSize(), c.x, as,
                                                            r / c.x.w, r % c.x.w);
      }
    }
    ctx.check(sameBits(maxY, want.maxY) && sameBits(argmax, want.argmax), "max forward cells [%s]", cfg.c_str());
    ctx.check(sameBits(avgY, want.avgY), "avg forward cells [%s]", cfg.c_str());
    ctx.check(sameBits(avgDx, want.avgDx), "avg backward cells [%s]", cfg.c_str());
    ctx.check(sameBits(adaY, want.adaY), "adaptive forward cells [%s]", cfg.c_str());
    ctx.check(sameBits(adaDx, want.adaDx), "adaptive backward cells [%s]", cfg.c_str());
  }
}

ATROUS_CUDA_TEST(cudaPoolMatchesCpuBitForBit) {
  Rng rng(23);
  for (const PoolCase& c : poolCases(120)) {
    const std::string cfg = c.text();
    const auto x = poolInput(rng, c.x.size());
    const CpuPool want = runCpu(ctx, c, x, rng);
    const Nchw ys = pooledShape(c.x, c.p), as{c.x.n, c.x.c, c.outH, c.outW};
    const float sentinel = 1234.5f;  // outputs start as garbage: every element must be written
    DeviceArray dX(x), dY(std::vector<float>(ys.size(), sentinel)), dDx(std::vector<float>(c.x.size(), sentinel));
    DeviceArray dDy(want.dyMax), dAdaY(std::vector<float>(as.size(), sentinel)), dAdaDy(want.dyAdaptive);
    DeviceInt32Array dArgmax(std::vector<int32_t>(ys.size(), -7));
    auto ok = [&](Status s, const char* what) { return ctx.check(s.isOk(), "%s [%s]: %s", what, cfg.c_str(), s.message().c_str()); };

    ok(cuda::maxPool2dForward(c.x, c.p, dX.span(), dY.span(), dArgmax.span()), "max forward");
    ctx.check(sameBits(dY.toHost(), want.maxY) && sameBits(dArgmax.toHost(), want.argmax), "max forward differs [%s]",
              cfg.c_str());
    ok(cuda::maxPool2dBackward(c.x, ys, dDy.span(), dArgmax.span(), dDx.span()), "max backward");
    ctx.check(sameBits(dDx.toHost(), want.maxDx), "max backward differs [%s]", cfg.c_str());

    ok(cuda::avgPool2dForward(c.x, c.p, dX.span(), dY.span()), "avg forward");
    ctx.check(sameBitsOrNan(dY.toHost(), want.avgY), "avg forward differs [%s]", cfg.c_str());
    dDx.upload(std::vector<float>(c.x.size(), sentinel));
    ok(cuda::avgPool2dBackward(c.x, c.p, dDy.span(), dDx.span()), "avg backward");
    ctx.check(sameBits(dDx.toHost(), want.avgDx), "avg backward differs [%s]", cfg.c_str());

    ok(cuda::adaptiveAvgPool2dForward(c.x, c.outH, c.outW, dX.span(), dAdaY.span()), "adaptive forward");
    ctx.check(sameBitsOrNan(dAdaY.toHost(), want.adaY), "adaptive forward differs [%s]", cfg.c_str());
    dDx.upload(std::vector<float>(c.x.size(), sentinel));
    ok(cuda::adaptiveAvgPool2dBackward(c.x, c.outH, c.outW, dAdaDy.span(), dDx.span()), "adaptive backward");
    ctx.check(sameBits(dDx.toHost(), want.adaDx), "adaptive backward differs [%s]", cfg.c_str());
  }
}

// Random argmax over small planes: many outputs of one 32-output chunk hit one cell, some cells none.
ATROUS_CUDA_TEST(cudaMaxPoolBackwardAddsCollisionsInOrder) {
  Rng rng(24);
  const Nchw shapes[][2] = {{{2, 3, 2, 2}, {2, 3, 9, 11}}, {{1, 5, 3, 1}, {1, 5, 40, 3}}, {{4, 1, 7, 7}, {4, 1, 1, 1}},
                            {{1, 2, 1, 1}, {1, 2, 33, 1}}};
  for (const auto& pair : shapes) {
    const Nchw x = pair[0], y = pair[1];
    std::vector<int32_t> argmax(y.size());
    for (auto& a : argmax) a = int32_t(rng.intIn(0, x.planeSize() - 1));
    const auto dy = rng.floats(y.size(), -100.f, 100.f);
    std::vector<float> want(x.size());
    Status s = maxPool2dBackward(x, y, {dy.data(), y.size()}, {argmax.data(), y.size()}, {want.data(), x.size()});
    ctx.check(s.isOk(), "cpu: %s", s.message().c_str());
    DeviceArray dDy(dy), dDx(std::vector<float>(x.size(), NAN));
    DeviceInt32Array dArgmax(argmax);
    s = cuda::maxPool2dBackward(x, y, dDy.span(), dArgmax.span(), dDx.span());
    ctx.check(s.isOk() && sameBits(dDx.toHost(), want), "x=[%lld,%lld,%lld,%lld] y=[%lld,%lld,%lld,%lld]: differs (%s)",
              (long long)x.n, (long long)x.c, (long long)x.h, (long long)x.w, (long long)y.n, (long long)y.c,
              (long long)y.h, (long long)y.w, s.message().c_str());
  }
}

// An argmax outside the plane is reported (with its position and value) before dx is written.
ATROUS_CUDA_TEST(cudaMaxPoolBackwardRejectsBadArgmaxOnDevice) {
  const Nchw x{1, 2, 4, 4}, y{1, 2, 2, 2};
  for (int32_t bad : {-1, 16, 1 << 30}) {
    std::vector<int32_t> argmax = {0, 5, 10, 15, 3, 3, 3, 3};
    argmax[6] = bad;
    argmax[7] = -5;  // a later bad one: the first is named
    DeviceArray dDy(std::vector<float>(8, 1.f)), dDx(std::vector<float>(32, 7.f));
    DeviceInt32Array dArgmax(argmax);
    Status s = cuda::maxPool2dBackward(x, y, dDy.span(), dArgmax.span(), dDx.span());
    const std::string want = "maxPool2dBackward (cuda): argmax[6] expects an index in [0, 16), but got " + std::to_string(bad);
    ctx.check(!s.isOk() && s.message() == want, "bad argmax %d: got '%s', want '%s'", bad, s.message().c_str(),
              want.c_str());
    ctx.check(sameBits(dDx.toHost(), std::vector<float>(32, 7.f)), "bad argmax %d: dx was written", bad);
  }
}

ATROUS_CUDA_ARGS_TEST(cudaPoolRejectsBadArguments) {
  std::vector<float> x(64), y(64), dx(64);
  std::vector<int32_t> argmax(64);
  const Nchw xs{1, 1, 8, 8}, ys{1, 1, 4, 4};
  const PoolWindow w{2, 2, 2, 2, 0, 0};
  struct Case { const char* what; Status s; const char* mentions; };
  const Case cases[] = {
      {"zero kernel", cuda::maxPool2dForward(xs, {0, 2, 1, 1, 0, 0}, {x.data(), 64}, {y.data(), 16}, {argmax.data(), 16}),
       "maxPool2dForward (cuda): kernel expects integers in 1..2^31-1, but got [0, 2]"},
      {"padding over half the kernel", cuda::avgPool2dForward(xs, {2, 2, 1, 1, 2, 0}, {x.data(), 64}, {y.data(), 49}),
       "avgPool2dForward (cuda): padding expects"},
      {"empty output", cuda::avgPool2dBackward({1, 1, 2, 2}, {3, 3, 1, 1, 0, 0}, {y.data(), 1}, {dx.data(), 4}),
       "output would be empty"},
      {"short x", cuda::maxPool2dForward(xs, w, {x.data(), 63}, {y.data(), 16}, {argmax.data(), 16}),
       "maxPool2dForward (cuda): x expects 64 elements, but got 63"},
      {"long argmax", cuda::maxPool2dForward(xs, w, {x.data(), 64}, {y.data(), 16}, {argmax.data(), 17}),
       "argmax expects 16 elements, but got 17"},
      {"y overlapping x", cuda::maxPool2dForward(xs, w, {x.data(), 64}, {x.data() + 8, 16}, {argmax.data(), 16}),
       "y expects its own buffer, but it overlaps x"},
      {"argmax overlapping y",
       cuda::maxPool2dForward(xs, w, {x.data(), 64}, {y.data(), 16}, {reinterpret_cast<int32_t*>(y.data()) + 4, 16}),
       "argmax expects its own buffer, but it overlaps y"},
      {"backward batch mismatch",
       cuda::maxPool2dBackward(xs, {2, 1, 4, 4}, {y.data(), 32}, {argmax.data(), 32}, {dx.data(), 64}),
       "maxPool2dBackward (cuda): yShape expects the batch and channels of xShape [1, 1, 8, 8], but got [2, 1, 4, 4]"},
      {"backward dx overlapping argmax",
       cuda::maxPool2dBackward(xs, ys, {y.data(), 16}, {reinterpret_cast<int32_t*>(dx.data()), 16}, {dx.data(), 64}),
       "dx expects its own buffer, but it overlaps argmax"},
      {"backward short dy", cuda::maxPool2dBackward(xs, ys, {y.data(), 15}, {argmax.data(), 16}, {dx.data(), 64}),
       "dy expects 16 elements, but got 15"},
      {"adaptive zero output", cuda::adaptiveAvgPool2dForward(xs, 0, 3, {x.data(), 64}, {y.data(), 0}),
       "adaptiveAvgPool2dForward (cuda): outHW expects integers in 1..2^31-1, but got [0, 3]"},
      {"adaptive short dx", cuda::adaptiveAvgPool2dBackward(xs, 2, 2, {y.data(), 4}, {dx.data(), 60}),
       "adaptiveAvgPool2dBackward (cuda): dx expects 64 elements, but got 60"},
      {"zero channels", cuda::adaptiveAvgPool2dForward({1, 0, 8, 8}, 2, 2, {x.data(), 0}, {y.data(), 0}),
       "xShape expects every dim >= 1"},
  };
  for (const Case& c : cases)
    ctx.check(!c.s.isOk() && c.s.message().find(c.mentions) != std::string::npos, "%s: expected '%s', got '%s'",
              c.what, c.mentions, c.s.message().c_str());
}
