// The C table that the addon dlopen()s (atrous_cuda_api.h): complete and versioned, each entry
// refusing bad arguments with its op's message (no device needed), and on a device each entry
// running the kernel it names (a table wired to the wrong function would pass everything else).
#include <cstring>
#include <string>
#include <vector>

#include <cmath>
#include <cstddef>
#include "../../kernels/cpu/batchnorm.h"
#include "../../kernels/cpu/elementwise.h"
#include "../../kernels/cpu/loss.h"
#include "../../kernels/cpu/optim_update.h"
#include "../../kernels/cpu/pool.h"
#include "../../kernels/cpu/random.h"
#include "../../kernels/cuda/atrous_cuda_api.h"
#include "../../kernels/cuda/sgemm.h"
#include "../conv_cases.h"
#include "../reference.h"
#include "cuda_harness.h"

using namespace atrous;
using test::Context;
using test::DeviceArray;
using test::Rng;

namespace {

const AtrousCudaApi& api() { return *atrous_cuda_api(); }

AtrousIn in(DeviceArray& a) { return AtrousIn{a.data(), a.size()}; }
AtrousOut out(DeviceArray& a) { return AtrousOut{a.data(), a.size()}; }

AtrousConvGeometry toAbi(const ConvGeometry& g) {
  return AtrousConvGeometry{g.batch,    g.inChannels, g.inH,       g.inW,      g.outChannels, g.kernelH,
                            g.kernelW,  g.strideH,    g.strideW,   g.padTop,   g.padBottom,   g.padLeft,
                            g.padRight, g.dilationH,  g.dilationW, g.groups};
}

// A failed call: nonzero, with a message that names the op.
void expectRefused(Context& ctx, const char* what, int rc, const char* mentions) {
  const std::string msg = api().lastError();
  ctx.check(rc != 0 && msg.find(mentions) != std::string::npos, "%s: rc=%d, lastError '%s' should mention '%s'", what,
            rc, msg.c_str(), mentions);
}

}  // namespace

ATROUS_CUDA_ARGS_TEST(c_api_table_is_complete_and_versioned) {
  const AtrousCudaApi* t = atrous_cuda_api();
  if (!ctx.check(t != nullptr && t == atrous_cuda_api(), "atrous_cuda_api() must return one table")) return;
  ctx.check(t->abiVersion == ATROUS_CUDA_ABI_VERSION, "abiVersion %u, header says %d", t->abiVersion,
            ATROUS_CUDA_ABI_VERSION);
  ctx.check(t->structSize == sizeof(AtrousCudaApi), "structSize %u, header says %zu", t->structSize,
            sizeof(AtrousCudaApi));
  // Every entry after the two version words is a function pointer.
  const size_t first = offsetof(AtrousCudaApi, lastError);
  const size_t count = (sizeof(AtrousCudaApi) - first) / sizeof(void (*)());
  for (size_t i = 0; i < count; ++i) {
    void (*fn)() = nullptr;
    std::memcpy(&fn, reinterpret_cast<const char*>(t) + first + i * sizeof(fn), sizeof(fn));
    ctx.check(fn != nullptr, "entry %zu of the table is null", i);
  }
}

ATROUS_CUDA_ARGS_TEST(c_api_refuses_bad_arguments_with_the_ops_message) {
  float host[16] = {};  // stands in for device memory: refused before anything is touched
  const AtrousIn a{host, 16}, shortA{host, 15};
  const AtrousOut o{host, 16};
  expectRefused(ctx, "add, short b", api().add(a, shortA, o), "add");
  expectRefused(ctx, "mul, short b", api().mul(a, shortA, o), "mul");
  expectRefused(ctx, "axpby, short b", api().axpby(a, 1.f, shortA, 1.f, o), "axpby");
  expectRefused(ctx, "relu, short out", api().relu(a, AtrousOut{host, 15}), "relu");
  expectRefused(ctx, "reluBackward, short dy", api().reluBackward(a, shortA, o), "reluBackward");
  expectRefused(ctx, "sum, null result", api().sum(a, nullptr), "sum");
  expectRefused(ctx, "sgemm, lda < K", api().sgemm(0, 0, 4, 4, 4, 1.f, a, 3, a, 4, 0.f, o, 4), "sgemm");
  expectRefused(ctx, "allocate, null out", api().allocate(4, nullptr), "allocate");
  expectRefused(ctx, "sub, short b", api().sub(a, shortA, o), "sub");
  expectRefused(ctx, "transposeBatched, short out", api().transposeBatched(a, 2, 2, 4, AtrousOut{host, 15}),
                "transposeBatched");
  expectRefused(ctx, "scaleShift, short out", api().scaleShift(a, 1.f, 0.f, AtrousOut{host, 15}), "scaleShift");
  expectRefused(ctx, "addChannelBias, short bias", api().addChannelBias(a, AtrousIn{host, 3}, 4, 2, o), "addChannelBias");
  expectRefused(ctx, "sumSquares, null result", api().sumSquares(a, nullptr), "sumSquares");
  float other[16] = {};
  const AtrousOut mask{other, 16};
  expectRefused(ctx, "dropout, keep 0", api().dropout(a, 0.0, 1, 0, mask, o), "dropout");
  expectRefused(ctx, "dropout, short mask", api().dropout(a, 0.5, 1, 0, AtrousOut{other, 15}, o), "dropout");
  expectRefused(ctx, "dropout, mask over x", api().dropout(a, 0.5, 1, 0, AtrousOut{host, 16}, mask), "dropout");
  expectRefused(ctx, "fillUniform, lo > hi", api().fillUniform(o, 1.0, 0.0, 1, 0), "fillUniform");
  expectRefused(ctx, "fillNormal, std < 0", api().fillNormal(o, 0.0, -1.0, 1, 0), "fillNormal");

  int32_t ints[16] = {};
  const AtrousNchw x44{1, 1, 4, 4}, y22{1, 1, 2, 2};
  const AtrousPoolWindow w2{2, 2, 2, 2, 0, 0};
  expectRefused(ctx, "maxPool2dForward, null window", api().maxPool2dForward(&x44, nullptr, a, o, AtrousIntOut{ints, 4}),
                "maxPool2dForward");
  expectRefused(ctx, "maxPool2dForward, short argmax",
                api().maxPool2dForward(&x44, &w2, a, AtrousOut{host, 4}, AtrousIntOut{ints, 3}), "maxPool2dForward");
  expectRefused(ctx, "maxPool2dBackward, short dx",
                api().maxPool2dBackward(&x44, &y22, AtrousIn{host, 4}, AtrousIntIn{ints, 4}, AtrousOut{host, 15}),
                "maxPool2dBackward");
  expectRefused(ctx, "avgPool2dForward, short y", api().avgPool2dForward(&x44, &w2, a, AtrousOut{host, 3}),
                "avgPool2dForward");
  expectRefused(ctx, "avgPool2dBackward, short dx", api().avgPool2dBackward(&x44, &w2, AtrousIn{host, 4}, AtrousOut{host, 3}),
                "avgPool2dBackward");
  expectRefused(ctx, "adaptiveAvgPool2dForward, short y", api().adaptiveAvgPool2dForward(&x44, 2, 2, a, AtrousOut{host, 3}),
                "adaptiveAvgPool2dForward");
  expectRefused(ctx, "adaptiveAvgPool2dBackward, null shape",
                api().adaptiveAvgPool2dBackward(nullptr, 2, 2, AtrousIn{host, 4}, o), "adaptiveAvgPool2dBackward");
  double loss = 0;
  expectRefused(ctx, "crossEntropyForward, short targets",
                api().crossEntropyForward(4, 4, a, AtrousIntIn{ints, 3}, o, &loss), "crossEntropyForward");
  expectRefused(ctx, "crossEntropyForward, null loss",
                api().crossEntropyForward(4, 4, a, AtrousIntIn{ints, 4}, o, nullptr), "crossEntropyForward");
  expectRefused(ctx, "crossEntropyBackward, short dlogits",
                api().crossEntropyBackward(4, 4, a, AtrousIntIn{ints, 4}, 1.f, AtrousOut{host, 15}), "crossEntropyBackward");
  const AtrousBatchNormShape bn{2, 2, 4};
  const AtrousIn none{nullptr, 0};
  const AtrousOut noneOut{nullptr, 0};
  expectRefused(ctx, "batchNormForwardTrain, short y",
                api().batchNormForwardTrain(&bn, a, none, none, 1e-5, 0.1, noneOut, noneOut, AtrousOut{host, 15},
                                            AtrousOut{host, 2}, AtrousOut{host + 2, 2}),
                "batchNorm");
  expectRefused(ctx, "batchNormForwardEval, null shape",
                api().batchNormForwardEval(nullptr, a, none, none, 1e-5, AtrousIn{host, 2}, AtrousIn{host, 2}, o,
                                           AtrousOut{host, 2}, AtrousOut{host, 2}),
                "batchNorm");
  expectRefused(ctx, "batchNormBackward, short dy",
                api().batchNormBackward(&bn, a, shortA, none, AtrousIn{host, 2}, AtrousIn{host, 2}, 1, o, noneOut, noneOut),
                "batchNormBackward");
  const AtrousSgd sgd{0.1, 0.9, 0, 0, 0};
  expectRefused(ctx, "sgdStep, short grad", api().sgdStep(o, shortA, o, &sgd, 1), "sgdStep");
  expectRefused(ctx, "sgdStep, null hyperparameters", api().sgdStep(o, a, o, nullptr, 1), "sgdStep");
  const AtrousAdam adam{1e-3, 0.9, 0.999, 1e-8, 0, 0, 1};
  expectRefused(ctx, "adamStep, short grad", api().adamStep(o, shortA, o, o, noneOut, &adam), "adamStep");

  const ConvGeometry g = test::geometry(1, 2, 5, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
  AtrousConvGeometry bad = toAbi(g);
  bad.batch = 0;
  std::vector<float> big(4096);
  const AtrousIn x{big.data(), g.inputSize()}, w{big.data(), g.weightSize()};
  const AtrousOut y{big.data(), g.outputSize()};
  expectRefused(ctx, "convForward, null geometry", api().convForward(nullptr, x, w, none, y), "geometry is null");
  expectRefused(ctx, "convForward, batch 0", api().convForward(&bad, x, w, none, y), "convForward");
  const AtrousConvGeometry good = toAbi(g);
  const AtrousIn shortW{big.data(), g.weightSize() - 1};
  expectRefused(ctx, "convForward, short w", api().convForward(&good, x, shortW, none, y), "convForward");
  expectRefused(ctx, "convBackwardData, short w",
                api().convBackwardData(&good, AtrousIn{big.data(), g.outputSize()}, shortW, AtrousOut{big.data(), g.inputSize()}),
                "convBackwardData");
  expectRefused(ctx, "convBackwardWeight, short dw",
                api().convBackwardWeight(&good, x, AtrousIn{big.data(), g.outputSize()},
                                         AtrousOut{big.data(), g.weightSize() - 1}),
                "convBackwardWeight");
  expectRefused(ctx, "convBackwardBias, short db",
                api().convBackwardBias(&good, AtrousIn{big.data(), g.outputSize()}, AtrousOut{big.data(), 2}),
                "convBackwardBias");
}

ATROUS_CUDA_TEST(c_api_each_entry_runs_the_kernel_it_names) {
  Rng rng(5);
  const long long n = 1000;
  const std::vector<float> ha = rng.floats(n, -2.f, 2.f), hb = rng.floats(n, -2.f, 2.f);
  DeviceArray a(ha), b(hb), o(n);
  auto expectEach = [&](const char* what, int rc, auto want) {
    if (!ctx.check(rc == 0, "%s: %s", what, api().lastError())) return;
    const std::vector<float> got = o.toHost();
    for (long long i = 0; i < n; ++i)
      if (!ctx.check(got[i] == want(i), "%s: [%lld] = %g, want %g", what, i, got[i], want(i))) return;
  };
  expectEach("add", api().add(in(a), in(b), out(o)), [&](long long i) { return ha[i] + hb[i]; });
  expectEach("mul", api().mul(in(a), in(b), out(o)), [&](long long i) { return ha[i] * hb[i]; });
  expectEach("axpby", api().axpby(in(a), 2.f, in(b), -1.f, out(o)),
             [&](long long i) { return ha[i] * 2.f + hb[i] * -1.f; });
  expectEach("relu", api().relu(in(a), out(o)), [&](long long i) { return ha[i] > 0 ? ha[i] : 0.f; });
  expectEach("reluBackward", api().reluBackward(in(a), in(b), out(o)),
             [&](long long i) { return ha[i] <= 0 ? 0.f : hb[i]; });
  expectEach("fill", api().fill(out(o), 0.25f), [](long long) { return 0.25f; });
  double total = 0, want = 0;
  for (float v : ha) want += v;
  if (ctx.check(api().sum(in(a), &total) == 0, "sum: %s", api().lastError()))
    ctx.check(std::abs(total - want) <= 1e-9 * n, "sum = %.17g, want %.17g", total, want);

  // Copies through the table: host -> device -> device -> host.
  std::vector<float> back(n);
  ctx.check(api().copyToDevice(o.data(), ha.data(), n * sizeof(float)) == 0 &&
                api().copyOnDevice(b.data(), o.data(), n * sizeof(float)) == 0 &&
                api().copyToHost(back.data(), b.data(), n * sizeof(float)) == 0 && back == ha,
            "copyToDevice/copyOnDevice/copyToHost do not round-trip: %s", api().lastError());
  b.upload(hb);  // the round trip left a's values in b

  expectEach("sub", api().sub(in(a), in(b), out(o)), [&](long long i) { return ha[i] - hb[i]; });
  // 10 matrices of 4 x 25: out[b][c][r] = a[b][r][c].
  expectEach("transposeBatched", api().transposeBatched(in(a), 10, 4, 25, out(o)), [&](long long i) {
    const long long b = i / 100, c = (i % 100) / 4, r = i % 4;
    return ha[b * 100 + r * 25 + c];
  });
  {
    std::vector<float> want(n);
    scaleShift(ConstFloatSpan(ha.data(), n), 0.3f, -1.7f, FloatSpan{want.data(), n});
    expectEach("scaleShift", api().scaleShift(in(a), 0.3f, -1.7f, out(o)), [&](long long i) { return want[i]; });
    std::vector<float> bias = {0.5f, -1.f, 2.f, 4.f};
    DeviceArray dBias(bias);
    expectEach("addChannelBias", api().addChannelBias(in(a), in(dBias), 4, 10, out(o)),
               [&](long long i) { return ha[i] + bias[(i / 10) % 4]; });
    double squares = 0, wantSquares = 0;
    for (float v : ha) wantSquares += double(v) * double(v);
    if (ctx.check(api().sumSquares(in(a), &squares) == 0, "sumSquares: %s", api().lastError()))
      ctx.check(std::abs(squares - wantSquares) <= 1e-9 * n, "sumSquares = %.17g, want %.17g", squares, wantSquares);
  }

  // sgemm: C (8x8) = A (8x125) B (125x8), against the float64 reference.
  const int64_t m = 8, k = 125;
  DeviceArray c(m * m);
  if (ctx.check(api().sgemm(0, 0, m, m, k, 1.f, AtrousIn{a.data(), m * k}, k, AtrousIn{a.data(), k * m}, m, 0.f,
                            out(c), m) == 0,
                "sgemm: %s", api().lastError())) {
    std::vector<double> ref(m * m, 0.0);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < m; ++j)
        for (int64_t p = 0; p < k; ++p) ref[i * m + j] += double(ha[i * k + p]) * double(ha[p * m + j]);
    const std::vector<float> got = c.toHost();
    ctx.check(test::relativeL2(got.data(), ref.data(), m * m) <= 1e-5, "sgemm through the table: wrong values");
  }

  // The four convolution entries against the float64 reference.
  const ConvGeometry g = test::geometry(2, 4, 9, 7, 6, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 2);
  const AtrousConvGeometry ag = toAbi(g);
  const auto hx = rng.floats(g.inputSize(), -1.f, 1.f), hw = rng.floats(g.weightSize(), -1.f, 1.f);
  const auto hdy = rng.floats(g.outputSize(), -1.f, 1.f), hbias = rng.floats(g.outChannels, -1.f, 1.f);
  DeviceArray x(hx), w(hw), dy(hdy), bias(hbias), y(g.outputSize()), dx(g.inputSize()), dw(g.weightSize()),
      db(g.outChannels);
  auto close = [&](const char* what, int rc, DeviceArray& got, const std::vector<double>& ref) {
    if (!ctx.check(rc == 0, "%s: %s", what, api().lastError())) return;
    const std::vector<float> v = got.toHost();
    ctx.check(test::relativeL2(v.data(), ref.data(), got.size()) <= 1e-5, "%s through the table: wrong values", what);
  };
  close("convForward", api().convForward(&ag, in(x), in(w), in(bias), out(y)), y,
        reference::convForward(g, hx.data(), hw.data(), hbias.data()));
  close("convBackwardData", api().convBackwardData(&ag, in(dy), in(w), out(dx)), dx,
        reference::convBackwardData(g, hdy.data(), hw.data()));
  close("convBackwardWeight", api().convBackwardWeight(&ag, in(x), in(dy), out(dw)), dw,
        reference::convBackwardWeight(g, hx.data(), hdy.data()));
  close("convBackwardBias", api().convBackwardBias(&ag, in(dy), out(db)), db,
        reference::convBackwardBias(g, hdy.data()));
}

// The ABI-2 and ABI-3 entries on a device, each against its CPU kernel (bit for bit where the CUDA header
// promises it, else within its stated tolerance): a wrong wiring gives wildly different values.
ATROUS_CUDA_TEST(c_api_training_step_entries_match_the_cpu) {
  Rng rng(6);
  auto same = [&](const char* what, int rc, DeviceArray& got, const std::vector<float>& want, double tol) {
    if (!ctx.check(rc == 0, "%s: %s", what, api().lastError())) return;
    const std::vector<float> v = got.toHost();
    ctx.check(test::relativeL2(v.data(), want.data(), got.size()) <= tol, "%s through the table: differs from the CPU",
              what);
  };
  // Pooling over 2x3x9x8 with a 3x3 window, stride 2, padding 1.
  const Nchw xs{2, 3, 9, 8};
  PoolWindow pw;
  pw.kernelH = pw.kernelW = 3, pw.strideH = pw.strideW = 2, pw.padH = pw.padW = 1;
  const Nchw ys{2, 3, 5, 4};
  const AtrousNchw ax{2, 3, 9, 8}, ay{2, 3, 5, 4};
  const AtrousPoolWindow apw{3, 3, 2, 2, 1, 1};
  const auto hx = rng.floats(xs.size(), -1.f, 1.f), hdy = rng.floats(ys.size(), -1.f, 1.f);
  std::vector<float> y(ys.size()), dx(xs.size());
  std::vector<int32_t> argmax(ys.size());
  DeviceArray dX(hx), dDy(hdy), dY(ys.size()), dDx(xs.size()), dArgmax(ys.size());  // argmax: 4-byte elements
  const AtrousIntOut argOut{reinterpret_cast<int32_t*>(dArgmax.data()), dArgmax.size()};
  const AtrousIntIn argIn{reinterpret_cast<const int32_t*>(dArgmax.data()), dArgmax.size()};
  maxPool2dForward(xs, pw, ConstFloatSpan(hx.data(), xs.size()), FloatSpan{y.data(), ys.size()},
                   Int32Span{argmax.data(), ys.size()});
  same("maxPool2dForward", api().maxPool2dForward(&ax, &apw, in(dX), out(dY), argOut), dY, y, 0);
  maxPool2dBackward(xs, ys, ConstFloatSpan(hdy.data(), ys.size()), ConstInt32Span(argmax.data(), ys.size()),
                    FloatSpan{dx.data(), xs.size()});
  same("maxPool2dBackward", api().maxPool2dBackward(&ax, &ay, in(dDy), argIn, out(dDx)), dDx, dx, 0);
  avgPool2dForward(xs, pw, ConstFloatSpan(hx.data(), xs.size()), FloatSpan{y.data(), ys.size()});
  same("avgPool2dForward", api().avgPool2dForward(&ax, &apw, in(dX), out(dY)), dY, y, 0);
  avgPool2dBackward(xs, pw, ConstFloatSpan(hdy.data(), ys.size()), FloatSpan{dx.data(), xs.size()});
  same("avgPool2dBackward", api().avgPool2dBackward(&ax, &apw, in(dDy), out(dDx)), dDx, dx, 0);
  adaptiveAvgPool2dForward(xs, 5, 4, ConstFloatSpan(hx.data(), xs.size()), FloatSpan{y.data(), ys.size()});
  same("adaptiveAvgPool2dForward", api().adaptiveAvgPool2dForward(&ax, 5, 4, in(dX), out(dY)), dY, y, 0);
  adaptiveAvgPool2dBackward(xs, 5, 4, ConstFloatSpan(hdy.data(), ys.size()), FloatSpan{dx.data(), xs.size()});
  same("adaptiveAvgPool2dBackward", api().adaptiveAvgPool2dBackward(&ax, 5, 4, in(dDy), out(dDx)), dDx, dx, 0);

  // Cross-entropy over 6 rows of 10 classes.
  const int64_t rows = 6, classes = 10;
  const auto logits = rng.floats(rows * classes, -3.f, 3.f);
  std::vector<int32_t> targets = {0, 9, 3, 3, 7, 1};
  std::vector<float> probs(rows * classes), dlogits(rows * classes);
  double cpuLoss = 0, gpuLoss = 0;
  crossEntropyForward(rows, classes, ConstFloatSpan(logits.data(), rows * classes), ConstInt32Span(targets.data(), rows),
                      FloatSpan{probs.data(), rows * classes}, &cpuLoss);
  std::vector<float> targetBits(rows);
  std::memcpy(targetBits.data(), targets.data(), rows * sizeof(int32_t));
  DeviceArray dLogits(logits), dTargets(targetBits), dProbs(rows * classes), dDlogits(rows * classes);
  const AtrousIntIn tIn{reinterpret_cast<const int32_t*>(dTargets.data()), rows};
  same("crossEntropyForward", api().crossEntropyForward(rows, classes, in(dLogits), tIn, out(dProbs), &gpuLoss), dProbs,
       probs, 1e-6);
  ctx.check(std::abs(gpuLoss - cpuLoss) <= 1e-12 * std::abs(cpuLoss), "crossEntropyForward loss %.17g, cpu %.17g",
            gpuLoss, cpuLoss);
  crossEntropyBackward(rows, classes, ConstFloatSpan(probs.data(), rows * classes), ConstInt32Span(targets.data(), rows),
                       0.5f, FloatSpan{dlogits.data(), rows * classes});
  same("crossEntropyBackward", api().crossEntropyBackward(rows, classes, in(dProbs), tIn, 0.5f, out(dDlogits)),
       dDlogits, dlogits, 1e-6);

  // Batch norm (training, then backward) over 4x3x5x5.
  const BatchNormShape bs{4, 3, 25};
  const AtrousBatchNormShape abs{4, 3, 25};
  const auto bx = rng.floats(bs.size(), -2.f, 2.f), bdy = rng.floats(bs.size(), -1.f, 1.f);
  const auto gamma = rng.floats(3, 0.5f, 1.5f), beta = rng.floats(3, -0.5f, 0.5f);
  std::vector<float> rm(3, 0.f), rv(3, 1.f), by(bs.size()), mean(3), invStd(3), bdx(bs.size()), dg(3), db(3);
  batchNormForwardTrain(bs, ConstFloatSpan(bx.data(), bs.size()), ConstFloatSpan(gamma.data(), 3),
                        ConstFloatSpan(beta.data(), 3), 1e-5, 0.1, FloatSpan{rm.data(), 3}, FloatSpan{rv.data(), 3},
                        FloatSpan{by.data(), bs.size()}, FloatSpan{mean.data(), 3}, FloatSpan{invStd.data(), 3});
  DeviceArray gX(bx), gDy(bdy), gGamma(gamma), gBeta(beta), gRm(std::vector<float>(3, 0.f)),
      gRv(std::vector<float>(3, 1.f)), gY(bs.size()), gMean(3), gInvStd(3), gDx(bs.size()), gDg(3), gDb(3);
  same("batchNormForwardTrain",
       api().batchNormForwardTrain(&abs, in(gX), in(gGamma), in(gBeta), 1e-5, 0.1, out(gRm), out(gRv), out(gY),
                                   out(gMean), out(gInvStd)),
       gY, by, 1e-6);
  same("batchNormForwardTrain runningVar", 0, gRv, rv, 1e-6);
  batchNormBackward(bs, ConstFloatSpan(bx.data(), bs.size()), ConstFloatSpan(bdy.data(), bs.size()),
                    ConstFloatSpan(gamma.data(), 3), ConstFloatSpan(mean.data(), 3), ConstFloatSpan(invStd.data(), 3),
                    true, FloatSpan{bdx.data(), bs.size()}, FloatSpan{dg.data(), 3}, FloatSpan{db.data(), 3});
  same("batchNormBackward",
       api().batchNormBackward(&abs, in(gX), in(gDy), in(gGamma), in(gMean), in(gInvStd), 1, out(gDx), out(gDg),
                               out(gDb)),
       gDx, bdx, 1e-5);
  same("batchNormBackward dgamma", 0, gDg, dg, 1e-5);

  // Optimizer steps on 257 parameters: SGD with momentum (two steps), then AdamW.
  const long long m = 257;
  auto param = rng.floats(m, -1.f, 1.f);
  const auto grad = rng.floats(m, -1.f, 1.f);
  DeviceArray pP(param), pG(grad), pBuf(m), pM(std::vector<float>(m, 0.f)), pV(std::vector<float>(m, 0.f));
  std::vector<float> buf(m);
  SgdHyper sh;
  sh.lr = 0.1, sh.momentum = 0.9, sh.weightDecay = 1e-4, sh.nesterov = true;
  const AtrousSgd asgd{0.1, 0.9, 0, 1e-4, 1};
  for (int step = 0; step < 2; ++step) {
    sgdStep(FloatSpan{param.data(), m}, ConstFloatSpan(grad.data(), m), FloatSpan{buf.data(), m}, sh, step == 0);
    same("sgdStep", api().sgdStep(out(pP), in(pG), out(pBuf), &asgd, step == 0), pP, param, 0);
  }
  std::vector<float> expAvg(m, 0.f), expAvgSq(m, 0.f);
  AdamHyper ah;
  ah.lr = 1e-2, ah.weightDecay = 1e-2, ah.decoupled = true, ah.step = 1;
  const AtrousAdam aadam{1e-2, 0.9, 0.999, 1e-8, 1e-2, 1, 1};
  adamStep(FloatSpan{param.data(), m}, ConstFloatSpan(grad.data(), m), FloatSpan{expAvg.data(), m},
           FloatSpan{expAvgSq.data(), m}, FloatSpan{}, ah);
  same("adamStep", api().adamStep(out(pP), in(pG), out(pM), out(pV), AtrousOut{nullptr, 0}, &aadam), pP, param, 0);

  // Random numbers over 1001 elements from an odd offset: dropout and uniforms bit for bit.
  const long long r = 1001;
  const uint64_t seed = 77, offset = 12345;
  const auto rx = rng.floats(r, -1.f, 1.f);
  std::vector<float> rMask(r), rOut(r), rFill(r);
  DeviceArray dRx(rx), dMask(r), dOut(r), dFill(r);
  dropout(ConstFloatSpan(rx.data(), r), 0.7, seed, offset, FloatSpan{rMask.data(), r}, FloatSpan{rOut.data(), r});
  same("dropout", api().dropout(in(dRx), 0.7, seed, offset, out(dMask), out(dOut)), dOut, rOut, 0);
  same("dropout mask", 0, dMask, rMask, 0);
  fillUniform(FloatSpan{rFill.data(), r}, -3.0, 5.0, seed, offset);
  same("fillUniform", api().fillUniform(out(dFill), -3.0, 5.0, seed, offset), dFill, rFill, 0);
  fillNormal(FloatSpan{rFill.data(), r}, 1.0, 0.25, seed, offset);
  same("fillNormal", api().fillNormal(out(dFill), 1.0, 0.25, seed, offset), dFill, rFill, 1e-6);
}

ATROUS_CUDA_ARGS_TEST(c_api_tf32_switch_is_the_sgemm_switch) {
  const bool before = cuda::sgemmTf32();
  api().setTf32(1);
  ctx.check(cuda::sgemmTf32() && api().tf32() == 1, "setTf32(1) must turn the SGEMM switch on");
  api().setTf32(0);
  ctx.check(!cuda::sgemmTf32() && api().tf32() == 0, "setTf32(0) must turn the SGEMM switch off");
  cuda::setSgemmTf32(before);
}
