// softmax / log-softmax along a dim, forward and backward, against float64 loops by the definition;
// tanh and sigmoid likewise; and their argument checks.
#include <cmath>
#include <cstring>
#include <utility>
#include <string>
#include <vector>

#include "../kernels/cpu/elementwise.h"
#include "../kernels/cpu/exp_rows.h"
#include "../kernels/cpu/softmax.h"
#include "harness.h"
#include "op_test_util.h"

using namespace atrous;
using namespace atrous::optest;
using test::Rng;

namespace {

// y and dx in float64 for one outer × size × inner block layout.
void naiveSoftmax(const std::vector<float>& x, const std::vector<float>& dy, int64_t outer, int64_t size, int64_t inner,
                  bool log, std::vector<double>& y, std::vector<double>& dx) {
  y.assign(x.size(), 0);
  dx.assign(x.size(), 0);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      auto at = [&](int64_t s) { return (o * size + s) * inner + i; };
      double m = -INFINITY, z = 0, dot = 0;
      for (int64_t s = 0; s < size; ++s) m = std::fmax(m, x[at(s)]);
      for (int64_t s = 0; s < size; ++s) z += std::exp(x[at(s)] - m);
      for (int64_t s = 0; s < size; ++s) {
        const double p = std::exp(x[at(s)] - m) / z;
        y[at(s)] = log ? x[at(s)] - m - std::log(z) : p;
        dot += log ? dy[at(s)] : dy[at(s)] * p;
      }
      for (int64_t s = 0; s < size; ++s) {
        const double p = std::exp(x[at(s)] - m) / z;
        dx[at(s)] = log ? dy[at(s)] - p * dot : p * (dy[at(s)] - dot);
      }
    }
}

ATROUS_TEST(opsSoftmaxMatchesNaive) {
  Rng rng(77);
  const int64_t shapes[][3] = {{1, 1, 1}, {3, 5, 1}, {2, 7, 3}, {4, 1, 9}, {1, 1000, 1}, {8, 33, 65}, {300, 10, 30}};
  for (const auto& sh : shapes)
    for (int log = 0; log < 2; ++log) {
      const int64_t outer = sh[0], size = sh[1], inner = sh[2], n = outer * size * inner;
      std::vector<float> x = rng.floats(n, -8.f, 8.f), dy = rng.floats(n), y(n, kNan), dx(n, kNan);
      if (n > 3) x[2] = 1e4f;  // would overflow exp without the max shift
      std::vector<double> wantY, wantDx;
      naiveSoftmax(x, dy, outer, size, inner, log, wantY, wantDx);
      const std::string tag = std::to_string(outer) + "x" + std::to_string(size) + "x" + std::to_string(inner) +
                              (log ? " log" : "");
      ctx.check(softmaxForward(cspan(x), outer, size, inner, log, span(y)).isOk(), "softmaxForward %s", tag.c_str());
      checkClose(ctx, y, wantY, "softmaxForward " + tag);
      ctx.check(softmaxBackward(cspan(y), cspan(dy), outer, size, inner, log, span(dx)).isOk(), "softmaxBackward %s",
                tag.c_str());
      // Gradients of a one-element softmax are exactly 0: compare absolutely there.
      double worst = 0, norm = 0;
      for (int64_t k = 0; k < n; ++k) {
        worst = std::fmax(worst, std::fabs(dx[k] - wantDx[k]));
        norm = std::fmax(norm, std::fabs(wantDx[k]));
      }
      ctx.check(worst <= 1e-5 * std::fmax(norm, 1.0), "softmaxBackward %s: max error %g (max |dx| %g)", tag.c_str(), worst, norm);
    }
}

// The float64 exp behind softmax and cross-entropy, each ISA's row variant this CPU runs: within 1 ulp
// of the double nearest expl's value over the whole range (subnormal results included), +inf past
// overflow, 0 past underflow, NaN kept, and each value added to its column's total.
ATROUS_TEST(opsExpShiftedRowWithinOneUlp) {
  using RowFn = void (*)(const float*, const double*, int64_t, double*, double*);
  std::vector<std::pair<Isa, RowFn>> rows = {{Isa::Scalar, expShiftedRowScalar}};
#if ATROUS_ARCH_X86
  rows.push_back({Isa::Avx2, expShiftedRowAvx2});
  rows.push_back({Isa::Avx512, expShiftedRowAvx512});
#endif
  Rng rng(2027);
  std::vector<float> x;
  std::vector<double> shift;
  for (int k = 0; k < 50000; ++k) {  // x − shift over [−760, 720], shift a non-integer double
    x.push_back(rng.uniform(-760.f, 720.f));
    shift.push_back(rng.uniform(-1.f, 1.f) * 0.7853981633974483);
  }
  const float inf = INFINITY;
  for (float v : {0.f, -0.f, 1e-30f, -1e-30f, 0.5f, -0.5f, 0.34657359f, -0.34657359f, -708.39f, -708.4f, -744.4f,
                  -745.13f, -745.14f, -745.2f, 709.78f, 709.79f, 710.f, inf, -inf, kNan}) {
    x.push_back(v);
    shift.push_back(0);
  }
  for (double sh : {745.1332191019411, 745.1332191019412, 708.3964185322641, -709.782712893384, -709.7827128933841}) {
    x.push_back(0.f);
    shift.push_back(sh);
  }
  const int64_t n = static_cast<int64_t>(x.size());
  auto bits = [](double v) {
    uint64_t b;
    std::memcpy(&b, &v, 8);
    return b;
  };
  for (const auto& [isa, row] : rows) {
    if (!isaSupported(isa)) continue;
    std::vector<double> e(n, -1), totals(n, 1);
    row(x.data(), shift.data(), n, e.data(), totals.data());
    int bad = 0;
    for (int64_t i = 0; i < n && bad < 5; ++i) {
      const double arg = static_cast<double>(x[i]) - shift[i];
      const double want = static_cast<double>(std::exp(static_cast<long double>(arg)));
      bool ok;
      if (std::isnan(want)) {
        ok = std::isnan(e[i]);
      } else if (std::isinf(want)) {
        ok = std::isinf(e[i]) && e[i] > 0;
      } else {
        const uint64_t a = bits(e[i]), b = bits(want);
        ok = e[i] >= 0 && !std::isinf(e[i]) && (a > b ? a - b : b - a) <= 1;
      }
      ok = ok && (std::isnan(want) ? std::isnan(totals[i]) : totals[i] == 1 + e[i]);
      if (!ctx.check(ok, "expShiftedRow %s: exp(%.17g) gave %.17g (total %.17g), want %.17g", isaName(isa), arg, e[i],
                     totals[i], want))
        ++bad;
    }
  }
}

ATROUS_TEST(opsSoftmaxRejectsBadArguments) {
  std::vector<float> x(12), out(12), shortBuf(11);
  expectError(ctx, softmaxForward(cspan(x), 3, 4, 1, false, span(shortBuf)), "out expects 12", "a short out accepted");
  expectError(ctx, softmaxForward(cspan(shortBuf), 3, 4, 1, false, span(out)), "x expects 12", "a short x accepted");
  expectError(ctx, softmaxForward(cspan(x), 3, 0, 4, false, span(out)), "size >= 1", "size 0 accepted");
  expectError(ctx, softmaxForward(cspan(x), int64_t{1} << 40, 4, 1, false, span(out)), "product < 2^31",
              "an overflowing size accepted");
  expectError(ctx, softmaxForward({x.data(), 11}, 1, 11, 1, false, {x.data() + 1, 11}), "overlaps",
              "a shifted in-place out accepted");
  expectError(ctx, softmaxBackward(cspan(x), cspan(shortBuf), 3, 4, 1, true, span(out)), "dy expects 12",
              "a short dy accepted");
}

ATROUS_TEST(opsTanhSigmoidMatchNaive) {
  Rng rng(78);
  for (int64_t n : kSizes) {
    std::vector<float> x = rng.floats(n, -30.f, 30.f), dy = rng.floats(n), out(n, kNan), dx(n, kNan);
    std::vector<double> y(n), wantDx(n);
    const std::string tag = "n=" + std::to_string(n);
    ctx.check(tanhForward(cspan(x), span(out)).isOk(), "tanhForward %s", tag.c_str());
    for (int64_t i = 0; i < n; ++i) y[i] = std::tanh(static_cast<double>(x[i]));
    checkClose(ctx, out, y, "tanhForward " + tag);
    ctx.check(tanhBackward(cspan(out), cspan(dy), span(dx)).isOk(), "tanhBackward %s", tag.c_str());
    for (int64_t i = 0; i < n; ++i) wantDx[i] = dy[i] * (1 - static_cast<double>(out[i]) * out[i]);
    checkClose(ctx, dx, wantDx, "tanhBackward " + tag);
    ctx.check(sigmoidForward(cspan(x), span(out)).isOk(), "sigmoidForward %s", tag.c_str());
    for (int64_t i = 0; i < n; ++i) y[i] = 1 / (1 + std::exp(-static_cast<double>(x[i])));
    checkClose(ctx, out, y, "sigmoidForward " + tag);
    ctx.check(sigmoidBackward(cspan(out), cspan(dy), span(dx)).isOk(), "sigmoidBackward %s", tag.c_str());
    for (int64_t i = 0; i < n; ++i) wantDx[i] = dy[i] * static_cast<double>(out[i]) * (1 - static_cast<double>(out[i]));
    checkClose(ctx, dx, wantDx, "sigmoidBackward " + tag);
  }
  std::vector<float> big = {-1e30f, 1e30f, -100.f, 100.f}, out(4);
  ctx.check(sigmoidForward(cspan(big), span(out)).isOk() && out[0] == 0.f && out[1] == 1.f && std::isfinite(out[2]),
            "sigmoid of large |x|: %g %g %g", out[0], out[1], out[2]);
  std::vector<float> shortBuf(3);
  expectError(ctx, tanhForward(cspan(big), span(shortBuf)), "out expects 4", "a short out accepted");
  expectError(ctx, sigmoidBackward(cspan(big), cspan(shortBuf), span(out)), "dy expects 4", "a short dy accepted");
}

}  // namespace
