// The CUDA elementwise kernels bit for bit against the CPU ones (odd lengths, in place, NaN and
// signed zeros; channel biases with inner 1 and > 1), the float64 sum and sum of squares against a
// float64 loop, argmaxRows against the CPU's (ties, NaN rows; its row scan also on the host), and
// the argument checks.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "../../kernels/cpu/argmax_rows.h"
#include "../../kernels/cpu/elementwise.h"
#include "../../kernels/cuda/argmax_rows.h"
#include "../../kernels/cpu/transpose.h"
#include "../../kernels/cuda/elementwise.h"
#include "../../kernels/cuda/transpose.h"
#include "cuda_harness.h"

using namespace atrous;
using test::Context;
using test::DeviceArray;
using test::DeviceInt32Array;
using test::Rng;
using test::sameBits;
using test::sameBitsOrNan;

namespace {

const long long kLengths[] = {1, 3, 1000, 4097, (1 << 20) + 7};

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
    ctx.check(s.isOk() && sameBitsOrNan(dOut.toHost(), want), "%s n=%lld: differs from the CPU kernel (%s)", name, n,
              s.message().c_str());
    s = gpu(dA.span(), dB.span(), dA.span());  // in place
    ctx.check(s.isOk() && sameBitsOrNan(dA.toHost(), want), "%s n=%lld in place: differs from the CPU kernel (%s)", name,
              n, s.message().c_str());
  }
}

}  // namespace

ATROUS_CUDA_TEST(cudaElementwiseMatchesCpuBitForBit) {
  checkBinary(ctx, "add", [](auto a, auto b, auto o) { return add(a, b, o); },
              [](auto a, auto b, auto o) { return cuda::add(a, b, o); });
  checkBinary(ctx, "sub", [](auto a, auto b, auto o) { return sub(a, b, o); },
              [](auto a, auto b, auto o) { return cuda::sub(a, b, o); });
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
    ctx.check(scaleShift({x.data(), n}, 0.3f, -1.7f, {want.data(), n}).isOk(), "scaleShift n=%lld: cpu failed", n);
    s = cuda::scaleShift(dX.span(), 0.3f, -1.7f, dOut.span());
    ctx.check(s.isOk() && sameBitsOrNan(dOut.toHost(), want), "scaleShift n=%lld: differs from the CPU kernel (%s)", n,
              s.message().c_str());
    s = cuda::fill(dOut.span(), -2.5f);
    ctx.check(s.isOk() && sameBits(dOut.toHost(), std::vector<float>(n, -2.5f)), "fill n=%lld (%s)", n,
              s.message().c_str());
  }
}

ATROUS_CUDA_TEST(cudaSumMatchesFloat64) {
  Rng rng(13);
  for (bool squares : {false, true})
    for (long long n : {0ll, 1ll, 5ll, 4096ll, 4097ll, 1000003ll, (1ll << 23) + 1}) {
      auto x = rng.floats(n, -1.f, 1.f);
      double want = 0, magnitude = 0;  // float64 rounding grows with the sum of |terms|
      for (float v : x) {
        const double t = squares ? double(v) * v : v;
        want += t, magnitude += std::fabs(t);
      }
      DeviceArray dX(x), dResult(2);  // a double's worth of floats
      double* result = reinterpret_cast<double*>(dResult.data());
      Status s = squares ? cuda::sumSquares(dX.span(), result) : cuda::sum(dX.span(), result);
      double got = NAN;
      if (s.isOk()) {
        auto raw = dResult.toHost();
        std::memcpy(&got, raw.data(), sizeof got);
      }
      ctx.check(s.isOk() && std::fabs(got - want) <= 1e-12 * magnitude + 1e-12,
                "%s n=%lld: got %.17g, want %.17g (%s)", squares ? "sumSquares" : "sum", n, got, want,
                s.message().c_str());
    }
}

ATROUS_CUDA_TEST(cudaAddChannelBiasMatchesCpuBitForBit) {
  Rng rng(14);
  struct Shape { long long batch, channels, inner; };
  for (const Shape& sh : {Shape{1, 1, 1}, Shape{3, 10, 1}, Shape{7, 13, 1}, Shape{2, 3, 5}, Shape{4, 32, 196},
                          Shape{1, 5, 100003}}) {
    const long long n = sh.batch * sh.channels * sh.inner;
    auto a = specialFloats(rng, n), bias = specialFloats(rng, sh.channels);
    std::vector<float> want(n);
    ctx.check(addChannelBias({a.data(), n}, {bias.data(), sh.channels}, sh.channels, sh.inner, {want.data(), n}).isOk(),
              "cpu failed");
    DeviceArray dA(a), dBias(bias), dOut(std::vector<float>(n, 42.f));
    Status s = cuda::addChannelBias(dA.span(), dBias.span(), sh.channels, sh.inner, dOut.span());
    ctx.check(s.isOk() && sameBitsOrNan(dOut.toHost(), want), "addChannelBias %lldx%lldx%lld: differs (%s)", sh.batch,
              sh.channels, sh.inner, s.message().c_str());
    s = cuda::addChannelBias(dA.span(), dBias.span(), sh.channels, sh.inner, dA.span());
    ctx.check(s.isOk() && sameBitsOrNan(dA.toHost(), want), "addChannelBias %lldx%lldx%lld in place: differs (%s)",
              sh.batch, sh.channels, sh.inner, s.message().c_str());
  }
}

// Rows of a few integer values (ties), some with NaN, one all -inf.
static std::vector<float> argmaxInput(Rng& rng, long long rows, long long cols) {
  std::vector<float> x(size_t(rows * cols));
  for (auto& v : x) v = float(rng.intIn(-2, 2));
  for (long long r = 0; r < rows; r += 3) x[r * cols + rng.intIn(0, cols - 1)] = NAN;
  if (rows > 1) std::fill(x.begin() + cols, x.begin() + 2 * cols, -INFINITY);
  return x;
}

ATROUS_CUDA_ARGS_TEST(cudaArgmaxRowScanMatchesCpu) {
  Rng rng(15);
  for (long long cols : {1ll, 2ll, 10ll, 37ll}) {
    const long long rows = 50;
    auto x = argmaxInput(rng, rows, cols);
    std::vector<int32_t> want(rows), got(rows);
    ctx.check(argmaxRows({x.data(), rows * cols}, rows, cols, want.data(), rows).isOk(), "cpu failed");
    for (long long r = 0; r < rows; ++r) got[r] = cuda::argmaxOfRow(x.data() + r * cols, cols);
    ctx.check(got == want, "argmaxOfRow cols=%lld: differs from the CPU kernel", cols);
  }
}

ATROUS_CUDA_TEST(cudaArgmaxRowsMatchesCpu) {
  Rng rng(16);
  for (long long cols : {1ll, 10ll, 1000ll})
    for (long long rows : {1ll, 257ll, 10000ll}) {
      auto x = argmaxInput(rng, rows, cols);
      std::vector<int32_t> want(rows);
      ctx.check(argmaxRows({x.data(), rows * cols}, rows, cols, want.data(), rows).isOk(), "cpu failed");
      DeviceArray dX(x);
      DeviceInt32Array dOut(std::vector<int32_t>(rows, -1));
      Status s = cuda::argmaxRows(dX.span(), rows, cols, dOut.span().data, rows);
      ctx.check(s.isOk() && dOut.toHost() == want, "argmaxRows %lldx%lld: differs (%s)", rows, cols, s.message().c_str());
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
      {"scaleShift, short out", cuda::scaleShift({a.data(), 16}, 1.f, 0.f, {out.data(), 15}), "scaleShift (cuda): out expects 16"},
      {"sub, short out", cuda::sub({a.data(), 16}, {b.data(), 16}, {out.data(), 15}), "sub (cuda): out expects 16"},
      {"sumSquares, null result", cuda::sumSquares({a.data(), 16}, nullptr),
       "sumSquares (cuda): result expects a device pointer, but got null"},
      {"addChannelBias, not a multiple", cuda::addChannelBias({a.data(), 16}, {b.data(), 3}, 3, 2, {out.data(), 16}),
       "addChannelBias (cuda): a expects a multiple of channels*inner = 3*2 elements, but got 16"},
      {"addChannelBias, short bias", cuda::addChannelBias({a.data(), 16}, {b.data(), 3}, 4, 2, {out.data(), 16}),
       "addChannelBias (cuda): bias expects 4 elements, but got 3"},
      {"addChannelBias, zero inner", cuda::addChannelBias({a.data(), 16}, {b.data(), 4}, 4, 0, {out.data(), 16}),
       "channels and inner expect integers >= 1"},
      {"argmaxRows, short out", cuda::argmaxRows({a.data(), 16}, 4, 4, nullptr, 3),
       "argmaxRows (cuda): out expects 4 values (outer*inner), but got 3"},
      {"argmaxRows, rows*cols", cuda::argmaxRows({a.data(), 16}, 3, 4, nullptr, 3),
       "argmaxRows (cuda): x expects outer*size*inner = 12 values, but got 16"},
  };
  for (const Case& c : cases)
    ctx.check(!c.s.isOk() && c.s.message().find(c.mentions) != std::string::npos, "%s: expected '%s', got '%s'",
              c.what, c.mentions, c.s.message().c_str());
}

ATROUS_CUDA_TEST(cudaTransposeBatchedMatchesCpu) {
  Rng rng(17);
  const int64_t sizes[][3] = {{1, 1, 1}, {3, 7, 1}, {2, 31, 33}, {5, 32, 32}, {4, 33, 100}, {1, 300, 257},
                              {70000, 2, 3}};  // more matrices than gridDim.z: the grid-stride loop
  for (const auto& s : sizes) {
    const int64_t batch = s[0], rows = s[1], cols = s[2], n = batch * rows * cols;
    const auto x = rng.floats(n);
    std::vector<float> want(n);
    ctx.check(transposeBatched({x.data(), n}, batch, rows, cols, {want.data(), n}).isOk(), "cpu failed");
    DeviceArray dX(x), dOut(n);
    Status st = cuda::transposeBatched(dX.span(), batch, rows, cols, dOut.span());
    ctx.check(st.isOk() && sameBits(dOut.toHost(), want), "transposeBatched %lldx%lldx%lld differs from the CPU (%s)",
              (long long)batch, (long long)rows, (long long)cols, st.message().c_str());
  }
}

ATROUS_CUDA_ARGS_TEST(cudaTransposeBatchedRejectsBadArguments) {
  std::vector<float> x(24), out(24);
  const Status shortOut = cuda::transposeBatched({x.data(), 24}, 2, 3, 4, {out.data(), 23});
  ctx.check(shortOut.message().find("transposeBatched (cuda): out expects 24") != std::string::npos, "short out: '%s'",
            shortOut.message().c_str());
  const long long tallRows = 65535ll * 32 + 1;  // one tile row more than gridDim.y holds
  std::vector<float> tallX(tallRows), tallOut(tallRows);
  const Status tall = cuda::transposeBatched({tallX.data(), tallRows}, 1, tallRows, 1, {tallOut.data(), tallRows});
  ctx.check(tall.message().find("rows expects at most") != std::string::npos,
            "a matrix taller than the grid allows must be refused, not half done: '%s'", tall.message().c_str());
}
