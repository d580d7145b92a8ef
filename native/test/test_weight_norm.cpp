// Weight norm over rows (rowNorms, weightNormForward/Backward) against float64 loops by the definition
// and, for the backward, central differences of Σ dw·w taken in float64; in place, with one gradient
// left out, on several thread counts; and the argument checks.
#include <cmath>
#include <string>
#include <vector>

#include "../kernels/cpu/weight_norm.h"
#include "harness.h"
#include "op_test_util.h"

using namespace atrous;
using namespace atrous::optest;
using test::Rng;

namespace {

// w = g·v/‖v‖ per row, all in float64.
std::vector<double> naiveWeightNorm(const std::vector<double>& v, const std::vector<double>& g, int64_t rows) {
  const int64_t width = static_cast<int64_t>(v.size()) / rows;
  std::vector<double> w(v.size());
  for (int64_t r = 0; r < rows; ++r) {
    double squares = 0;
    for (int64_t i = 0; i < width; ++i) squares += v[r * width + i] * v[r * width + i];
    for (int64_t i = 0; i < width; ++i) w[r * width + i] = g[r] * v[r * width + i] / std::sqrt(squares);
  }
  return w;
}

double weighted(const std::vector<double>& w, const std::vector<float>& dw) {
  double total = 0;
  for (size_t i = 0; i < w.size(); ++i) total += w[i] * dw[i];
  return total;
}

std::vector<double> widen(const std::vector<float>& x) { return std::vector<double>(x.begin(), x.end()); }

}  // namespace

ATROUS_TEST(weightNormMatchesNaive) {
  ThreadCountGuard guard;
  Rng rng(91);
  // Conv weights (rows = output channels), one wide row, and enough rows to cross the parallel threshold.
  const int64_t shapes[][2] = {{1, 1}, {4, 27}, {7, 5}, {1, 70001}, {300, 300}, {30000, 3}};
  for (int threads : {1, 3}) {
    setNumThreads(threads);
    for (const auto& sh : shapes) {
      const int64_t rows = sh[0], width = sh[1], n = rows * width;
      const std::string tag = std::to_string(rows) + "x" + std::to_string(width) + " threads " + std::to_string(threads);
      std::vector<float> v = rng.floats(n), g = rng.floats(rows, 0.5f, 2.f), dw = rng.floats(n);
      std::vector<float> norms(rows, kNan), w(n, kNan), dv(n, kNan), dg(rows, kNan);
      std::vector<double> wantNorms(rows), wantW = naiveWeightNorm(widen(v), widen(g), rows), wantDv(n), wantDg(rows);
      for (int64_t r = 0; r < rows; ++r) {
        double squares = 0, dot = 0;
        for (int64_t i = r * width; i < (r + 1) * width; ++i) {
          squares += static_cast<double>(v[i]) * v[i];
          dot += static_cast<double>(dw[i]) * v[i];
        }
        const double nr = std::sqrt(squares);
        wantNorms[r] = nr;
        wantDg[r] = dot / nr;
        for (int64_t i = r * width; i < (r + 1) * width; ++i) wantDv[i] = g[r] / nr * dw[i] - g[r] * dot / (nr * nr * nr) * v[i];
      }
      ctx.check(rowNorms(cspan(v), rows, width, span(norms)).isOk(), "rowNorms %s", tag.c_str());
      checkClose(ctx, norms, wantNorms, "rowNorms " + tag);
      ctx.check(weightNormForward(cspan(v), cspan(g), rows, width, span(w)).isOk(), "weightNormForward %s", tag.c_str());
      checkClose(ctx, w, wantW, "weightNormForward " + tag);
      ctx.check(weightNormBackward(cspan(v), cspan(g), cspan(dw), rows, width, span(dv), span(dg)).isOk(),
                "weightNormBackward %s", tag.c_str());
      if (width > 1) checkClose(ctx, dv, wantDv, "weightNormBackward dv " + tag);  // width 1: dv is 0 up to rounding
      checkClose(ctx, dg, wantDg, "weightNormBackward dg " + tag);

      // One gradient at a time gives the same values; in place (w = v, dv = dw) too.
      std::vector<float> dgOnly(rows, kNan), dvOnly(n, kNan);
      ctx.check(weightNormBackward(cspan(v), cspan(g), cspan(dw), rows, width, {}, span(dgOnly)).isOk() && dgOnly == dg,
                "weightNormBackward dg alone %s", tag.c_str());
      ctx.check(weightNormBackward(cspan(v), cspan(g), cspan(dw), rows, width, span(dvOnly), {}).isOk() && dvOnly == dv,
                "weightNormBackward dv alone %s", tag.c_str());
      std::vector<float> inPlace = dw;
      ctx.check(weightNormBackward(cspan(v), cspan(g), cspan(inPlace), rows, width, span(inPlace), {}).isOk() && inPlace == dv,
                "weightNormBackward in place (dv = dw) %s", tag.c_str());
      inPlace = v;
      ctx.check(weightNormForward(cspan(inPlace), cspan(g), rows, width, span(inPlace)).isOk() && inPlace == w,
                "weightNormForward in place (w = v) %s", tag.c_str());
    }
  }
}

// The backward as the derivative of L = Σ dw·w(v, g): central differences of the float64 definition.
ATROUS_TEST(weightNormBackwardMatchesFiniteDifferences) {
  Rng rng(92);
  const int64_t rows = 3, width = 4, n = rows * width;
  std::vector<float> v = rng.floats(n), g = rng.floats(rows, 0.5f, 2.f), dw = rng.floats(n), dv(n), dg(rows);
  ctx.check(weightNormBackward(cspan(v), cspan(g), cspan(dw), rows, width, span(dv), span(dg)).isOk(), "weightNormBackward");
  const double h = 1e-6;
  auto loss = [&](std::vector<double> vd, std::vector<double> gd) { return weighted(naiveWeightNorm(vd, gd, rows), dw); };
  for (int64_t i = 0; i < n; ++i) {
    std::vector<double> plus = widen(v), minus = widen(v);
    plus[i] += h, minus[i] -= h;
    const double numeric = (loss(plus, widen(g)) - loss(minus, widen(g))) / (2 * h);
    ctx.check(std::fabs(dv[i] - numeric) <= 1e-5 * (1 + std::fabs(numeric)), "dv[%lld] = %.9g, differences %.9g",
              static_cast<long long>(i), dv[i], numeric);
  }
  for (int64_t r = 0; r < rows; ++r) {
    std::vector<double> plus = widen(g), minus = widen(g);
    plus[r] += h, minus[r] -= h;
    const double numeric = (loss(widen(v), plus) - loss(widen(v), minus)) / (2 * h);
    ctx.check(std::fabs(dg[r] - numeric) <= 1e-5 * (1 + std::fabs(numeric)), "dg[%lld] = %.9g, differences %.9g",
              static_cast<long long>(r), dg[r], numeric);
  }
}

ATROUS_TEST(weightNormRejectsBadArguments) {
  std::vector<float> v(12), g(3), w(12), norms(3), shortBuf(11), two(2);
  expectError(ctx, rowNorms(cspan(shortBuf), 3, 4, span(norms)), "rowNorms: v expects 12", "a short v accepted");
  expectError(ctx, rowNorms(cspan(v), 3, 4, span(two)), "rowNorms: norms expects 3", "short norms accepted");
  expectError(ctx, rowNorms(cspan(v), 0, 4, span(norms)), "rows >= 1", "rows 0 accepted");
  expectError(ctx, rowNorms(cspan(v), 3, -4, span(norms)), "width >= 1", "a negative width accepted");
  expectError(ctx, rowNorms(cspan(v), int64_t{1} << 40, int64_t{1} << 40, span(norms)), "fits 64 bits",
              "an overflowing rows x width accepted");
  expectError(ctx, rowNorms(cspan(v), 3, 4, {v.data() + 2, 3}), "overlaps", "norms inside v accepted");
  expectError(ctx, weightNormForward(cspan(v), cspan(two), 3, 4, span(w)), "weightNormForward: g expects 3", "a short g accepted");
  expectError(ctx, weightNormForward(cspan(v), cspan(g), 3, 4, span(shortBuf)), "w expects 12", "a short w accepted");
  expectError(ctx, weightNormForward({v.data(), 11}, {g.data(), 1}, 1, 11, {v.data() + 1, 11}), "overlaps",
              "a shifted in-place w accepted");
  expectError(ctx, weightNormBackward(cspan(v), cspan(g), cspan(shortBuf), 3, 4, span(w), span(norms)), "dw expects 12",
              "a short dw accepted");
  expectError(ctx, weightNormBackward(cspan(v), cspan(g), cspan(w), 3, 4, span(shortBuf), {}), "dv expects 12",
              "a short dv accepted");
  expectError(ctx, weightNormBackward(cspan(v), cspan(g), cspan(w), 3, 4, {}, span(two)), "dg expects 3",
              "a short dg accepted");
  expectError(ctx, weightNormBackward(cspan(v), cspan(g), cspan(w), 3, 4, {}, {v.data() + 1, 3}), "overlaps",
              "dg inside v accepted");
}
