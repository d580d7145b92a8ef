// The CUDA elementwise kernels bit for bit against the CPU ones (odd lengths, in place, NaN and
// signed zeros), the float64 sum against a float64 loop, and the argument checks.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "../../kernels/cpu/elementwise.h"
#include "../../kernels/cuda/elementwise.h"
#include "cuda_harness.h"

using namespace atrous;
using test::Context;
using test::DeviceArray;
using test::Rng;

namespace {

const long long kLengths[] = {1, 3, 1000, 4097, (1 << 20) + 7};

bool sameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Random values with a few NaNs, zeros of both signs and infinities mixed in.
std::vector<float> specialFloats(Rng& rng, long long n) {
  auto v = rng.floats(n, -3.f, 3.f);
  const float specials[] = {std::numeric_limits<float>::quiet_NaN(), 0.f, -0.f, INFINITY, -INFINITY};
  for (long long i = 0; i < n; i += 97) v[i] = specials[(i / 97) % 5];
  return v;
}

using CpuBinary = std::function<Status(ConstFloatSpan, ConstFloatSpan, FloatSpan)>;
using CudaBinary = std::function<Status(ConstFloatSpan, ConstFloatSpan, FloatSpan)>;

void checkBinary(Context& ctx, const char* name, const CpuBinary& cpu, const CudaBinary& gpu) {
  Rng rng(11);
  for (long long n : kLengths) {
    auto a = specialFloats(rng, n), b = specialFloats(rng, n);
    std::vector<float> want(n);
    ctx.check(cpu({a.data(), n}, {b.data(), n}, {want.data(), n}).isOk(), "%s n=%lld: cpu failed", name, n);
    DeviceArray dA(a), dB(b), dOut(n);
    Status s = gpu(dA.span(), dB.span(), dOut.span());
    ctx.check(s.isOk() && sameBits(dOut.toHost(), want), "%s n=%lld: differs from the CPU kernel (%s)", name, n,
              s.message().c_str());
    s = gpu(dA.span(), dB.span(), dA.span());  // in place
    ctx.check(s.isOk() && sameBits(dA.toHost(), want), "%s n=%lld in place: differs from the CPU kernel (%s)", name,
              n, s.message().c_str());
  }
}

}  // namespace

ATROUS_CUDA_TEST(cudaElementwiseMatchesCpuBitForBit) {
  checkBinary(ctx, "add", [](auto a, auto b, auto o) { return add(a, b, o); },
              [](auto a, auto b, auto o) { return cuda::add(a, b, o); });
  checkBinary(ctx, "mul", [](auto a, auto b, auto o) { return mul(a, b, o); },
              [](auto a, auto b, auto o) { return cuda::mul(a, b, o); });
  checkBinary(ctx, "axpby", [](auto a, auto b, auto o) { return axpby(a, 0.3f, b, -1.7f, o); },
              [](auto a, auto b, auto o) { return cuda::axpby(a, 0.3f, b, -1.7f, o); });
  checkBinary(ctx, "reluBackward", [](auto x, auto g, auto o) { return reluBackward(x, g, o); },
              [](auto x, auto g, auto o) { return cuda::reluBackward(x, g, o); });
  Rng rng(12);
  for (long long n : kLengths) {
    auto x = specialFloats(rng, n);
    std::vector<float> want(n);
    ctx.check(relu({x.data(), n}, {want.data(), n}).isOk(), "relu n=%lld: cpu failed", n);
    DeviceArray dX(x), dOut(n);
    Status s = cuda::relu(dX.span(), dOut.span());
    ctx.check(s.isOk() && sameBits(dOut.toHost(), want), "relu n=%lld: differs from the CPU kernel (%s)", n,
              s.message().c_str());
    s = cuda::fill(dOut.span(), -2.5f);
    ctx.check(s.isOk() && sameBits(dOut.toHost(), std::vector<float>(n, -2.5f)), "fill n=%lld (%s)", n,
              s.message().c_str());
  }
}

ATROUS_CUDA_TEST(cudaSumMatchesFloat64) {
  Rng rng(13);
  for (long long n : {0ll, 1ll, 5ll, 4096ll, 4097ll, 1000003ll, (1ll << 23) + 1}) {
    auto x = rng.floats(n, -1.f, 1.f);
    double want = 0, magnitude = 0;  // float64 rounding grows with the sum of |x|
    for (float v : x) want += v, magnitude += std::fabs(v);
    DeviceArray dX(x), dResult(2);  // a double's worth of floats
    Status s = cuda::sum(dX.span(), reinterpret_cast<double*>(dResult.data()));
    double got = NAN;
    if (s.isOk()) {
      auto raw = dResult.toHost();
      std::memcpy(&got, raw.data(), sizeof got);
    }
    ctx.check(s.isOk() && std::fabs(got - want) <= 1e-12 * magnitude + 1e-12,
              "sum n=%lld: got %.17g, want %.17g (%s)", n, got, want, s.message().c_str());
  }
}

ATROUS_CUDA_ARGS_TEST(cudaElementwiseRejectsBadArguments) {
  std::vector<float> a(16), b(16), out(16);
  struct Case { const char* what; Status s; const char* mentions; };
  const Case cases[] = {
      {"add, short b", cuda::add({a.data(), 16}, {b.data(), 15}, {out.data(), 16}), "add (cuda): b expects 16"},
      {"mul, long out", cuda::mul({a.data(), 16}, {b.data(), 16}, {out.data(), 17}), "mul (cuda): out expects 16"},
      {"axpby, shifted out", cuda::axpby({a.data(), 16}, 1.f, {b.data(), 16}, 1.f, {a.data() + 1, 15}), "axpby (cuda)"},
      {"relu, overlapping out", cuda::relu({a.data(), 16}, {a.data() + 2, 16}), "overlaps"},
      {"reluBackward, short dx", cuda::reluBackward({a.data(), 16}, {b.data(), 16}, {out.data(), 3}), "dx expects"},
      {"sum, null result", cuda::sum({a.data(), 16}, nullptr), "sum (cuda)"},
  };
  for (const Case& c : cases)
    ctx.check(!c.s.isOk() && c.s.message().find(c.mentions) != std::string::npos, "%s: expected '%s', got '%s'",
              c.what, c.mentions, c.s.message().c_str());
}
