// The CUDA convolutions against the naive float64 loops of reference.cpp (random geometries and the
// rarely-hit paths, each also with a workspace small enough to force pixel tiles and K slices),
// against the CPU convolutions on the suite's shapes, and their argument checks.
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "../../kernels/cpu/conv/conv.h"
#include "../../kernels/cuda/conv.h"
#include "../conv_cases.h"
#include "../reference.h"
#include "cuda_harness.h"
#include "sgemm_cases.h"

using namespace atrous;
using test::Context;
using test::geometry;
using test::randomGeometry;
using test::DeviceArray;
using test::Rng;

namespace {

constexpr double kTolerance = 1e-5;
// Workspace budgets: the default, one that tiles images in small groups, one that cuts single
// images into a few output pixels per tile.
constexpr long long kBudgets[] = {0, 64 << 10, 2 << 10};


// Runs one pass into a NaN-filled device buffer (outputs are overwritten, never read) and returns
// it on the host, or an empty vector after recording the failed status.
template <class Run>
std::vector<float> runPass(Context& ctx, const char* pass, const std::string& cfg, long long size, Run run) {
  DeviceArray out(std::vector<float>(size_t(size), std::numeric_limits<float>::quiet_NaN()));
  Status s = run(out.span());
  if (!ctx.check(s.isOk(), "%s [%s]: %s", pass, cfg.c_str(), s.message().c_str())) return {};
  return out.toHost();
}

void expectClose(Context& ctx, const char* pass, const std::string& cfg, long long budget,
                 const std::vector<float>& got, const double* want, int64_t n, double tolerance) {
  if (got.empty()) return;
  const double err = test::relativeL2(got.data(), want, n);
  ctx.check(err <= tolerance, "%s [%s] workspace=%lld: rel L2 %.3g", pass, cfg.c_str(), budget, err);
}

// Forward (with and without bias), backward-data, backward-weight and bias gradient of one geometry,
// under every workspace budget, against the float64 references.
void checkAll(Context& ctx, const ConvGeometry& g, uint64_t seed, double tolerance = kTolerance) {
  Rng rng(seed);
  const auto x = rng.floats(g.inputSize()), w = rng.floats(g.weightSize()), b = rng.floats(g.outChannels);
  const auto dy = rng.floats(g.outputSize());
  const std::string cfg = g.describe();
  const auto yRef = reference::convForward(g, x.data(), w.data(), b.data());
  const auto yRefNoBias = reference::convForward(g, x.data(), w.data(), nullptr);
  const auto dxRef = reference::convBackwardData(g, dy.data(), w.data());
  const auto dwRef = reference::convBackwardWeight(g, x.data(), dy.data());
  const auto dbRef = reference::convBackwardBias(g, dy.data());
  DeviceArray dX(x), dW(w), dB(b), dDy(dy);
  for (long long budget : kBudgets) {
    cuda::setConvWorkspaceBytes(budget);
    auto y = runPass(ctx, "forward", cfg, g.outputSize(),
                     [&](FloatSpan out) { return cuda::convForward(g, dX.span(), dW.span(), dB.span(), out); });
    expectClose(ctx, "forward", cfg, budget, y, yRef.data(), g.outputSize(), tolerance);
    y = runPass(ctx, "forward no-bias", cfg, g.outputSize(),
                [&](FloatSpan out) { return cuda::convForward(g, dX.span(), dW.span(), {}, out); });
    expectClose(ctx, "forward no-bias", cfg, budget, y, yRefNoBias.data(), g.outputSize(), tolerance);
    auto dx = runPass(ctx, "backwardData", cfg, g.inputSize(),
                      [&](FloatSpan out) { return cuda::convBackwardData(g, dDy.span(), dW.span(), out); });
    expectClose(ctx, "backwardData", cfg, budget, dx, dxRef.data(), g.inputSize(), tolerance);
    auto dw = runPass(ctx, "backwardWeight", cfg, g.weightSize(),
                      [&](FloatSpan out) { return cuda::convBackwardWeight(g, dX.span(), dDy.span(), out); });
    expectClose(ctx, "backwardWeight", cfg, budget, dw, dwRef.data(), g.weightSize(), tolerance);
  }
  cuda::setConvWorkspaceBytes(0);
  auto db = runPass(ctx, "backwardBias", cfg, g.outChannels,
                    [&](FloatSpan out) { return cuda::convBackwardBias(g, dDy.span(), out); });
  expectClose(ctx, "backwardBias", cfg, 0, db, dbRef.data(), g.outChannels, tolerance);
}


}  // namespace

ATROUS_CUDA_TEST(cudaConvRandomGeometriesMatchFloat64) {
  test::Tf32Scope fp32(false);
  Rng rng(4321);
  for (int i = 0; i < 120; ++i) checkAll(ctx, randomGeometry(rng), 2000 + i);
}

ATROUS_CUDA_TEST(cudaConvRarePathsMatchFloat64) {
  test::Tf32Scope fp32(false);
  const ConvGeometry cases[] = {
      geometry(2, 3, 5, 5, 4, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1),       // 1x1: no columns
      geometry(2, 6, 5, 5, 4, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 2),       // 1x1 with groups
      geometry(2, 3, 5, 5, 4, 1, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1),       // 1x1 strided: columns again
      geometry(2, 3, 1, 1, 4, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1),       // everything of size 1
      geometry(2, 4, 7, 7, 3, 3, 3, 1, 1, 0, 0, 0, 0, 3, 3, 1),       // output of size 1
      geometry(1, 4, 4, 5, 6, 2, 2, 1, 1, 5, 4, 6, 3, 1, 1, 2),       // padding larger than the kernel
      geometry(2, 4, 5, 6, 4, 3, 3, 1, 1, 9, 9, 9, 9, 9, 9, 1),       // dilation larger than the input
      geometry(1, 4, 5, 6, 4, 3, 3, 2, 3, 9, 9, 9, 9, 9, 9, 1),       // ... with strides
      geometry(3, 6, 9, 9, 6, 3, 3, 1, 1, 1, 2, 2, 1, 2, 2, 3),       // 'same' with odd total pad, groups
      geometry(2, 8, 1, 40, 8, 1, 2, 1, 1, 0, 0, 8, 0, 1, 8, 1),      // causal 1-d
      geometry(2, 8, 1, 41, 8, 1, 3, 1, 2, 0, 0, 6, 0, 1, 3, 1),      // causal 1-d, stride 2
      geometry(2, 6, 9, 8, 12, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 6),      // depthwise, multiplier 2
      geometry(2, 6, 9, 8, 6, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 6),       // depthwise, strided
      geometry(1, 1, 12, 12, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),     // one input channel
      geometry(4, 24, 13, 11, 20, 3, 3, 1, 1, 6, 6, 6, 6, 6, 6, 1),   // ASPP-like
      geometry(1, 40, 20, 20, 36, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1),   // batch 1
      geometry(5, 20, 14, 14, 28, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 1),   // strided: gathered data gradient
      geometry(2, 8, 1, 3000, 8, 1, 2, 1, 1, 0, 0, 64, 0, 1, 64, 1),  // long 1-d: the weight gradient's K slices
      geometry(1, 140, 9, 9, 130, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),   // channels past one 128 tile
      // Strides and paddings near 2^31: tap positions (oh * stride, ih + padTop) past 2^31 in im2col /
      // col2im; in the second, input row 3 is read by output row 2 (3 + (2^31 - 1) = 2 * (2^30 + 1)).
      geometry(1, 2, 2, 3, 2, 1, 2, 2147483647, 1, 2147483647, 2147483647, 0, 1, 1, 1, 1),
      geometry(1, 2, 4, 3, 2, 1, 2, 1073741825, 1, 2147483647, 0, 0, 1, 1, 1, 1),
  };
  int i = 0;
  for (const ConvGeometry& g : cases) checkAll(ctx, g, 77 + i++);
}

// The direct depthwise kernels (one input channel per group, conv_depthwise.h) on every pass.
ATROUS_CUDA_TEST(cudaConvDepthwiseMatchesFloat64) {
  test::Tf32Scope fp32(false);
  constexpr int64_t kBig = 2147483647;  // 2^31 - 1
  const ConvGeometry cases[] = {
      geometry(2, 5, 9, 8, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 5),        // multiplier 1, 'same'
      geometry(2, 3, 9, 8, 12, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 3),       // multiplier 4, dilated
      geometry(3, 4, 11, 10, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 4),      // stride 2
      geometry(2, 3, 13, 12, 3, 3, 3, 3, 2, 4, 4, 4, 4, 4, 4, 3),      // stride 3x2, dilation 4
      geometry(2, 4, 10, 9, 4, 3, 3, 1, 1, 0, 2, 2, 0, 2, 2, 4),       // asymmetric padding
      geometry(1, 2, 7, 9, 6, 4, 2, 2, 3, 3, 0, 1, 4, 3, 4, 2),        // even kernel, mixed everything
      geometry(1, 3, 6, 7, 3, 5, 5, 1, 1, 6, 6, 6, 6, 1, 1, 3),        // padding larger than the kernel
      geometry(2, 2, 5, 6, 2, 3, 3, 1, 1, 9, 9, 9, 9, 9, 9, 2),        // dilation past the input: taps in padding
      geometry(2, 6, 1, 37, 6, 1, 3, 1, 1, 0, 0, 8, 0, 1, 4, 6),       // causal 1-d, dilation 4
      geometry(3, 4, 1, 41, 8, 1, 5, 1, 2, 0, 0, 2, 3, 1, 3, 4),       // 1-d, multiplier 2, stride 2
      geometry(1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1),        // one pixel, padded 1x1
      geometry(1, 1, 2, 2, 3, 2, 2, 1, 1, 0, 0, 0, 0, 1, 1, 1),        // tiny, one channel, multiplier 3
      geometry(1, 1, 1, 1, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1),        // one input pixel, only the centre tap
      geometry(4, 7, 5, 3, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 7),        // odd sizes, narrow rows
      geometry(1, 2, 1, 40000, 2, 1, 3, 1, 1, 0, 0, 2, 2, 1, 2, 2),    // long 1-d: the weight gradient's chunks
      geometry(1, 2, 2, 3, 2, 1, 2, kBig, 1, kBig, 0, 0, 1, 1, 1, 2),  // positions past 2^31: 64-bit indices
  };
  int i = 0;
  for (const ConvGeometry& g : cases) checkAll(ctx, g, 500 + i++);
}

// The suite's shapes (native/bench/conv-suite.json) at batch 2 (S8: 1), against the CPU kernels:
// both are float32 sums of up to ~10^4 products in different orders, hence the looser tolerance.
ATROUS_CUDA_TEST(cudaConvSuiteShapesMatchCpu) {
  test::Tf32Scope fp32(false);
  const ConvGeometry cases[] = {
      geometry(2, 64, 32, 32, 64, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1),          // S1
      geometry(2, 128, 32, 32, 128, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1),        // S2
      geometry(2, 256, 64, 64, 256, 3, 3, 1, 1, 4, 4, 4, 4, 4, 4, 1),        // S3
      geometry(2, 512, 33, 33, 256, 3, 3, 1, 1, 12, 12, 12, 12, 12, 12, 1),  // S4
      geometry(2, 128, 1, 4096, 128, 1, 2, 1, 1, 0, 0, 64, 0, 1, 64, 1),     // S5 causal
      geometry(2, 64, 56, 56, 128, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 1),         // S6
      geometry(2, 128, 64, 64, 128, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 128),      // S7 depthwise
      geometry(1, 32, 128, 128, 32, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1),        // S8
  };
  constexpr double kSuiteTolerance = 5e-5;
  Rng rng(99);
  for (const ConvGeometry& g : cases) {
    const std::string cfg = g.describe();
    auto x = rng.floats(g.inputSize()), w = rng.floats(g.weightSize()), b = rng.floats(g.outChannels);
    auto dy = rng.floats(g.outputSize());
    auto span = [](std::vector<float>& v) { return FloatSpan{v.data(), (long long)v.size()}; };
    std::vector<float> y(g.outputSize()), dx(g.inputSize()), dw(g.weightSize());
    const bool cpuOk = convForward(g, span(x), span(w), span(b), span(y)).isOk() &&
                       convBackwardData(g, span(dy), span(w), span(dx)).isOk() &&
                       convBackwardWeight(g, span(x), span(dy), span(dw)).isOk();
    if (!ctx.check(cpuOk, "[%s]: the CPU kernels failed", cfg.c_str())) continue;
    const std::vector<double> yCpu(y.begin(), y.end()), dxCpu(dx.begin(), dx.end()), dwCpu(dw.begin(), dw.end());
    DeviceArray dX(x), dW(w), dB(b), dDy(dy);
    auto yGpu = runPass(ctx, "forward", cfg, g.outputSize(),
                        [&](FloatSpan out) { return cuda::convForward(g, dX.span(), dW.span(), dB.span(), out); });
    expectClose(ctx, "forward vs cpu", cfg, 0, yGpu, yCpu.data(), g.outputSize(), kSuiteTolerance);
    auto dxGpu = runPass(ctx, "backwardData", cfg, g.inputSize(),
                         [&](FloatSpan out) { return cuda::convBackwardData(g, dDy.span(), dW.span(), out); });
    expectClose(ctx, "backwardData vs cpu", cfg, 0, dxGpu, dxCpu.data(), g.inputSize(), kSuiteTolerance);
    auto dwGpu = runPass(ctx, "backwardWeight", cfg, g.weightSize(),
                         [&](FloatSpan out) { return cuda::convBackwardWeight(g, dX.span(), dDy.span(), out); });
    expectClose(ctx, "backwardWeight vs cpu", cfg, 0, dwGpu, dwCpu.data(), g.weightSize(), kSuiteTolerance);
  }
}

// The convolutions' GEMMs follow the TF32 switch: within TF32's rounding of float64 on every pass and
// workspace tiling (the bias gradient has no GEMM and stays exact), and visibly not FP32.
ATROUS_CUDA_TEST(cudaConvFollowsTheTf32Switch) {
  test::Tf32Scope tf32(true);
  const ConvGeometry cases[] = {
      geometry(2, 32, 16, 16, 48, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1),   // dilated 3x3
      geometry(2, 12, 9, 8, 12, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 3),     // groups
      geometry(2, 16, 6, 7, 24, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1),     // 1x1: no columns
      geometry(2, 8, 1, 3000, 8, 1, 2, 1, 1, 0, 0, 64, 0, 1, 64, 1),  // long 1-d: K slices
  };
  int i = 0;
  for (const ConvGeometry& g : cases) checkAll(ctx, g, 3000 + i++, test::kTf32Tolerance);
  const ConvGeometry& g = cases[0];
  Rng rng(3100);
  const auto x = rng.floats(g.inputSize()), w = rng.floats(g.weightSize());
  const auto yRef = reference::convForward(g, x.data(), w.data(), nullptr);
  DeviceArray dX(x), dW(w);
  auto y = runPass(ctx, "forward", g.describe(), g.outputSize(),
                   [&](FloatSpan out) { return cuda::convForward(g, dX.span(), dW.span(), {}, out); });
  if (y.empty()) return;
  const double err = test::relativeL2(y.data(), yRef.data(), g.outputSize());
  ctx.check(err >= test::kTf32Floor, "forward [%s] with TF32 on: relative L2 %.3g, below TF32's %.3g: FP32 ran",
            g.describe().c_str(), err, test::kTf32Floor);
}

ATROUS_CUDA_ARGS_TEST(cudaConvRejectsBadArguments) {
  // Host buffers stand in for device ones: every case must fail before anything is queued.
  ConvGeometry good = geometry(2, 4, 6, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2);
  std::vector<float> x(good.inputSize(), 1.f), w(good.weightSize(), 1.f), y(good.outputSize(), 7.f), b(4, 0.f);
  const long long X = (long long)x.size(), W = (long long)w.size(), Y = (long long)y.size();
  // A depthwise geometry takes the direct kernels: its arguments are checked before them too (its
  // buffers are no longer than good's).
  const ConvGeometry depthwise = geometry(2, 4, 6, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4);
  for (const ConvGeometry& valid : {good, depthwise})
    for (const test::BadConvCase& c : test::badConvForwardCases(valid)) {
      Status s = cuda::convForward(c.g, {x.data(), c.inputSize}, {w.data(), c.weightSize}, {b.data(), c.biasSize},
                                   {y.data(), c.outputSize});
      ctx.check(!s.isOk() && s.message().find(c.mentions) != std::string::npos &&
                    s.message().find("convForward (cuda)") != std::string::npos,
                "%s (groups %lld): expected an error naming 'convForward (cuda)' and %s, got '%s'", c.what,
                (long long)valid.groups, c.mentions, s.message().c_str());
    }
  std::vector<float> dx(good.inputSize(), 7.f);
  Status s = cuda::convBackwardData(good, {y.data(), Y}, {w.data(), W - 1}, {dx.data(), X});
  ctx.check(!s.isOk() && s.message().find("weight") != std::string::npos, "backwardData, short weight: '%s'",
            s.message().c_str());
  s = cuda::convBackwardWeight(good, {x.data(), X}, {y.data(), Y}, {w.data(), W + 3});
  ctx.check(!s.isOk() && s.message().find("gradWeight") != std::string::npos, "backwardWeight, long gradWeight: '%s'",
            s.message().c_str());
  s = cuda::convBackwardData(depthwise, {y.data(), Y}, {w.data(), depthwise.weightSize()}, {dx.data(), X - 1});
  ctx.check(!s.isOk() && s.message().find("gradInput") != std::string::npos,
            "depthwise backwardData, short gradInput: '%s'", s.message().c_str());
  s = cuda::convBackwardWeight(depthwise, {x.data(), X}, {nullptr, Y}, {w.data(), depthwise.weightSize()});
  ctx.check(!s.isOk() && s.message().find("null") != std::string::npos,
            "depthwise backwardWeight, null gradOutput: '%s'", s.message().c_str());
  s = cuda::convBackwardBias(good, {y.data(), Y}, {dx.data(), 3});
  ctx.check(!s.isOk() && s.message().find("gradBias") != std::string::npos, "backwardBias, 3 slots: '%s'",
            s.message().c_str());
  s = cuda::convForward(good, {nullptr, X}, {w.data(), W}, {}, {y.data(), Y});
  ctx.check(!s.isOk() && s.message().find("null") != std::string::npos, "forward, null input: '%s'",
            s.message().c_str());
  bool untouched = true;
  for (float v : y) untouched = untouched && v == 7.f;
  ctx.check(untouched, "a rejected call wrote into the output");
}
