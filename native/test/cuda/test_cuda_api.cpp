// The C table that the addon dlopen()s (atrous_cuda_api.h): complete and versioned, each entry
// refusing bad arguments with its op's message (no device needed), and on a device each entry
// running the kernel it names (a table wired to the wrong function would pass everything else).
#include <cstring>
#include <string>
#include <vector>

#include <cmath>
#include <cstddef>
#include "../../kernels/cuda/atrous_cuda_api.h"
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

  const ConvGeometry g = test::geometry(1, 2, 5, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1);
  AtrousConvGeometry bad = toAbi(g);
  bad.batch = 0;
  std::vector<float> big(4096);
  const AtrousIn x{big.data(), g.inputSize()}, w{big.data(), g.weightSize()}, none{nullptr, 0};
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
