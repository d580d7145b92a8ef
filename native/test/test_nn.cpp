// nn kernels (batch norm, batch norm fused with ReLU, optimizer updates, dtype conversion) against naive
// float64 loops written from the definitions. The batch-norm gradients are checked against central
// differences of the float64 reference forward, so they do not share the kernel's closed form; the
// fused batch norm + ReLU is also held to the bits of the unfused pair (batch norm, relu, reluBackward).
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "../kernels/cpu/batchnorm.h"
#include "../kernels/cpu/batchnorm_rows.h"
#include "../kernels/cpu/dtype_convert.h"
#include "../kernels/cpu/elementwise.h"
#include "../kernels/cpu/optim_update.h"
#include "harness.h"

using namespace atrous;
using test::Context;
using test::Rng;

namespace {

constexpr double kTolerance = 1e-5;
const float kNan = std::numeric_limits<float>::quiet_NaN();

FloatSpan span(std::vector<float>& v) { return {v.data(), static_cast<long long>(v.size())}; }
ConstFloatSpan cspan(const std::vector<float>& v) { return {v.data(), static_cast<long long>(v.size())}; }
bool sameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}


// ---- batch norm: float64 reference forward ----

struct BnCase {
  int64_t n, c, s;
  double eps, factor;
  bool affine;
  std::string describe() const {
    return "N=" + std::to_string(n) + " C=" + std::to_string(c) + " S=" + std::to_string(s) +
           " eps=" + std::to_string(eps) + " factor=" + std::to_string(factor) + (affine ? " affine" : " no-affine");
  }
};

// y with batch statistics (train) or the given running ones (eval); x in double so it can be perturbed.
std::vector<double> bnReference(const BnCase& k, const std::vector<double>& x, const std::vector<double>& gamma,
                                const std::vector<double>& beta, bool train, const std::vector<float>& rm,
                                const std::vector<float>& rv, std::vector<double>* batchMean = nullptr,
                                std::vector<double>* batchVarUnbiased = nullptr) {
  std::vector<double> y(x.size());
  for (int64_t c = 0; c < k.c; ++c) {
    double mean = rm[c], var = rv[c];
    if (train) {
      double sum = 0, sq = 0;
      for (int64_t n = 0; n < k.n; ++n)
        for (int64_t i = 0; i < k.s; ++i) sum += x[(n * k.c + c) * k.s + i];
      mean = sum / (k.n * k.s);
      for (int64_t n = 0; n < k.n; ++n)
        for (int64_t i = 0; i < k.s; ++i) sq += std::pow(x[(n * k.c + c) * k.s + i] - mean, 2);
      var = sq / (k.n * k.s);
      if (batchMean) (*batchMean)[c] = mean;
      if (batchVarUnbiased) (*batchVarUnbiased)[c] = sq / (k.n * k.s - 1);
    }
    for (int64_t n = 0; n < k.n; ++n)
      for (int64_t i = 0; i < k.s; ++i) {
        const int64_t j = (n * k.c + c) * k.s + i;
        y[j] = (x[j] - mean) / std::sqrt(var + k.eps) * gamma[c] + beta[c];
      }
  }
  return y;
}

double weighted(const std::vector<double>& y, const std::vector<float>& w) {
  double t = 0;
  for (size_t i = 0; i < y.size(); ++i) t += y[i] * w[i];
  return t;
}

// d/dx, d/dgamma, d/dbeta of L = sum(bn(x) * w) by central differences of the float64 reference.
struct BnGradients {
  std::vector<double> dx, dgamma, dbeta;
};

BnGradients bnFiniteDifferences(const BnCase& k, const std::vector<double>& x64, const std::vector<double>& g64,
                                const std::vector<double>& b64, bool train, const std::vector<float>& rm,
                                const std::vector<float>& rv, const std::vector<float>& w) {
  const double h = 1e-5;
  const int64_t size = static_cast<int64_t>(x64.size());
  auto probe = [&](const std::vector<double>& xs, const std::vector<double>& gs, const std::vector<double>& bs) {
    return weighted(bnReference(k, xs, gs, bs, train, rm, rv), w);
  };
  BnGradients out{std::vector<double>(size), std::vector<double>(k.c), std::vector<double>(k.c)};
  for (int64_t j = 0; j < size; ++j) {
    auto xp = x64, xm = x64;
    xp[j] += h;
    xm[j] -= h;
    out.dx[j] = (probe(xp, g64, b64) - probe(xm, g64, b64)) / (2 * h);
  }
  for (int64_t c = 0; c < k.c; ++c) {
    auto gp = g64, gm = g64, bp = b64, bm = b64;
    gp[c] += h; gm[c] -= h; bp[c] += h; bm[c] -= h;
    out.dgamma[c] = (probe(x64, gp, b64) - probe(x64, gm, b64)) / (2 * h);
    out.dbeta[c] = (probe(x64, g64, bp) - probe(x64, g64, bm)) / (2 * h);
  }
  return out;
}

void checkBatchNorm(Context& ctx, const BnCase& k, bool train, uint64_t seed) {
  Rng rng(seed);
  const int64_t size = k.n * k.c * k.s;
  auto x = rng.floats(size, -2.f, 3.f), dy = rng.floats(size);
  auto gamma = k.affine ? rng.floats(k.c, 0.5f, 1.5f) : std::vector<float>{};
  auto beta = k.affine ? rng.floats(k.c) : std::vector<float>{};
  auto rm = rng.floats(k.c), rv = rng.floats(k.c, 0.5f, 2.f);
  std::vector<double> g64(k.c, 1.0), b64(k.c, 0.0);
  if (k.affine) {
    g64.assign(gamma.begin(), gamma.end());
    b64.assign(beta.begin(), beta.end());
  }
  const std::vector<double> x64(x.begin(), x.end());
  const std::string cfg = k.describe() + (train ? " train" : " eval");

  std::vector<double> mean(k.c), unbiased(k.c);
  auto yRef = bnReference(k, x64, g64, b64, train, rm, rv, &mean, &unbiased);
  std::vector<float> y(size, kNan), saveMean(k.c, kNan), saveInvStd(k.c, kNan);
  std::vector<float> runMean = rm, runVar = rv;
  Status s = train ? batchNormForwardTrain({k.n, k.c, k.s}, cspan(x), cspan(gamma), cspan(beta), k.eps, k.factor,
                                           span(runMean), span(runVar), span(y), span(saveMean), span(saveInvStd))
                   : batchNormForwardEval({k.n, k.c, k.s}, cspan(x), cspan(gamma), cspan(beta), k.eps, cspan(rm),
                                          cspan(rv), span(y), span(saveMean), span(saveInvStd));
  double err = s.isOk() ? test::relativeL2(y.data(), yRef.data(), size) : INFINITY;
  ctx.check(err <= kTolerance, "nn batchNorm forward [%s]: rel L2 %.3g (%s)", cfg.c_str(), err, s.message().c_str());
  if (train) {
    std::vector<double> rmRef(k.c), rvRef(k.c);
    for (int64_t c = 0; c < k.c; ++c) {
      rmRef[c] = (1 - k.factor) * rm[c] + k.factor * mean[c];
      rvRef[c] = (1 - k.factor) * rv[c] + k.factor * unbiased[c];
    }
    double e1 = test::relativeL2(runMean.data(), rmRef.data(), k.c), e2 = test::relativeL2(runVar.data(), rvRef.data(), k.c);
    ctx.check(e1 <= kTolerance && e2 <= kTolerance, "nn batchNorm running stats [%s]: rel L2 mean %.3g var %.3g",
              cfg.c_str(), e1, e2);
  } else {
    ctx.check(runMean == rm && runVar == rv, "nn batchNorm eval [%s]: running stats changed", cfg.c_str());
  }

  // Gradients of L = Σ y·dy by central differences of the float64 reference.
  const auto [dxRef, dgRef, dbRef] = bnFiniteDifferences(k, x64, g64, b64, train, rm, rv, dy);
  std::vector<float> dx(size, kNan), dg(k.c, kNan), db(k.c, kNan);
  s = batchNormBackward({k.n, k.c, k.s}, cspan(x), cspan(dy), cspan(gamma), cspan(saveMean), cspan(saveInvStd), train,
                        span(dx), span(dg), span(db));
  const double gradTol = 1e-4;  // finite differences in float64, and float32 saved statistics
  double ex = s.isOk() ? test::relativeL2(dx.data(), dxRef.data(), size) : INFINITY;
  double eg = s.isOk() ? test::relativeL2(dg.data(), dgRef.data(), k.c) : INFINITY;
  double eb = s.isOk() ? test::relativeL2(db.data(), dbRef.data(), k.c) : INFINITY;
  ctx.check(ex <= gradTol && eg <= gradTol && eb <= gradTol,
            "nn batchNorm backward [%s]: rel L2 dx %.3g dgamma %.3g dbeta %.3g (%s)", cfg.c_str(), ex, eg, eb,
            s.message().c_str());
}

}  // namespace

ATROUS_TEST(nnBatchNormMatchesReference) {
  test::forEachIsa([&](Isa) {
    Rng rng(11);
    for (int t = 0; t < 16; ++t) {  // H·W up to 40: the vector loops' bodies and every tail
      BnCase k{rng.intIn(1, 4), rng.intIn(1, 5), t < 8 ? rng.intIn(1, 9) : rng.intIn(10, 40), t % 3 == 0 ? 1e-3 : 1e-5,
               t % 2 ? 0.1 : 0.3, t % 4 != 1};
      if (k.n * k.s < 4) k.s = 4;  // with 2 values a channel normalises to ±1 whatever x: dx ≈ 0, all rounding
      checkBatchNorm(ctx, k, true, 100 + t);
      checkBatchNorm(ctx, k, false, 200 + t);
    }
  });
}

// Eval normalisation and the fixed-statistics gradient (dy·scale) involve no sums: every ISA gives the
// same bits (the CUDA kernels are held to them too).
ATROUS_TEST(nnBatchNormEvalSameBitsOnEveryIsa) {
  const BatchNormShape shape{3, 4, 37};
  Rng rng(12);
  auto x = rng.floats(shape.size(), -2.f, 3.f), dy = rng.floats(shape.size());
  auto gamma = rng.floats(4, 0.5f, 1.5f), beta = rng.floats(4), rm = rng.floats(4), rv = rng.floats(4, 0.5f, 2.f);
  std::vector<std::vector<float>> ys, dxs;
  test::forEachIsa([&](Isa) {
    for (bool relu : {false, true}) {  // relu: the fused forward, and its backward masked by that output
      std::vector<float> y(shape.size()), mean(4), invStd(4), dx(shape.size());
      Status s = batchNormForwardEval(shape, cspan(x), cspan(gamma), cspan(beta), 1e-5, cspan(rm), cspan(rv), span(y),
                                      span(mean), span(invStd), relu);
      if (s.isOk())
        s = batchNormBackward(shape, cspan(x), cspan(dy), cspan(gamma), cspan(mean), cspan(invStd), false, span(dx),
                              FloatSpan{}, FloatSpan{}, relu ? cspan(y) : ConstFloatSpan{});
      ctx.check(s.isOk(), "batch norm eval: %s", s.message().c_str());
      ys.push_back(y);
      dxs.push_back(dx);
    }
  });
  for (size_t i = 2; i < ys.size(); ++i)  // runs alternate unfused, fused
    ctx.check(sameBits(ys[i], ys[i % 2]) && sameBits(dxs[i], dxs[i % 2]),
              "batch norm eval: the ISA run %zu (%s) gives other bits than the first", i / 2, i % 2 ? "fused" : "unfused");
}

namespace {

bool sameBitsOrBothNan(float a, float b) { return std::memcmp(&a, &b, 4) == 0 || (std::isnan(a) && std::isnan(b)); }

// dy, or +0 where the fused ReLU's output is <= 0 (reluBackward's rule; NaN passes).
float gradThroughRelu(float dy, const float* reluOut, int64_t i) { return reluOut && reluOut[i] <= 0.f ? 0.f : dy; }

// Values with the cases the row kernels must keep apart: ±0, NaN, negatives.
std::vector<float> withSpecials(Rng& rng, int64_t n, bool nans) {
  std::vector<float> v = rng.floats(n, -2.f, 3.f);
  for (float& e : v) {
    const int64_t r = rng.intIn(0, 15);
    e = r == 0 ? 0.f : r == 1 ? -0.f : r == 2 && nans ? kNan : e;
  }
  return v;
}

}  // namespace

// Each ISA's block loops (batchnorm_rows.h) against their definitions, for every n up to 40 (every
// vector body and tail): the sums within float64 rounding of a plain loop; normalise, scale and
// gradient to the bit, each double operation rounded on its own then rounded to float; the fused
// ReLU (-0 and NaN pass) and the gradient mask (reluOut <= 0 zeroes dy, NaN passes) included.
ATROUS_TEST(nnBatchNormRowsEveryIsaMatchDefinitions) {
  test::forEachIsa([&](Isa isa) {
    const bnrows::Kernels& rows = bnrows::active();
    Rng rng(15);
    for (int64_t n = 1; n <= 40; ++n) {
      const auto x = withSpecials(rng, n, false), xNan = withSpecials(rng, n, true), dy = withSpecials(rng, n, true);
      const auto dyFinite = withSpecials(rng, n, false), reluOut = withSpecials(rng, n, true);
      const double mean = rng.uniform(-1.f, 1.f), alpha = rng.uniform(-2.f, 2.f), shift = n % 2 ? -0.0 : 0.0;
      const double meanDy = rng.uniform(-1.f, 1.f), projection = rng.uniform(-1.f, 1.f), scale = rng.uniform(-2.f, 2.f);

      double sum = 0, squares = 0, magnitude = 0;
      for (int64_t i = 0; i < n; ++i) {
        sum += x[i];
        squares += (x[i] - mean) * (x[i] - mean);
        magnitude += std::fabs(x[i]) + (x[i] - mean) * (x[i] - mean);
      }
      const double tol = 1e-14 * magnitude;
      const double gotSum = rows.sum(x.data(), n), gotSquares = rows.squaredDeviation(x.data(), n, mean);
      ctx.check(std::fabs(gotSum - sum) <= tol && std::fabs(gotSquares - squares) <= tol,
                "bn rows %s n=%lld: sum %.17g (want %.17g), squared deviation %.17g (want %.17g)", isaName(isa),
                (long long)n, gotSum, sum, gotSquares, squares);

      for (const float* mask : {static_cast<const float*>(nullptr), reluOut.data()}) {
        double wantDy = 0.25, wantCentered = -0.5, gotDy = 0.25, gotCentered = -0.5, scaleSum = 0;  // sums accumulate
        for (int64_t i = 0; i < n; ++i) {
          const double g = gradThroughRelu(dyFinite[i], mask, i);
          wantDy += g;
          wantCentered += g * (x[i] - mean);
          scaleSum += std::fabs(g) * (1 + std::fabs(x[i] - mean));
        }
        rows.gradSums(dyFinite.data(), mask, x.data(), n, mean, &gotDy, &gotCentered);
        ctx.check(std::fabs(gotDy - wantDy) <= 1e-14 * (scaleSum + 1) &&
                      std::fabs(gotCentered - wantCentered) <= 1e-14 * (scaleSum + 1),
                  "bn rows %s n=%lld %s: gradSums %.17g %.17g (want %.17g %.17g)", isaName(isa), (long long)n,
                  mask ? "masked" : "unmasked", gotDy, gotCentered, wantDy, wantCentered);

        std::vector<float> dxScale(n, kNan), dxGradient(n, kNan);
        rows.scale(dy.data(), mask, n, scale, dxScale.data());
        rows.gradient(dy.data(), mask, x.data(), n, mean, meanDy, projection, scale, dxGradient.data());
        int wrong = 0;
        for (int64_t i = 0; i < n; ++i) {
          const double g = gradThroughRelu(dy[i], mask, i);
          const double centered = x[i] - mean, inner = (g - meanDy) - centered * projection;
          wrong += !sameBitsOrBothNan(dxScale[i], static_cast<float>(g * scale)) +
                   !sameBitsOrBothNan(dxGradient[i], static_cast<float>(scale * inner));
        }
        ctx.check(wrong == 0, "bn rows %s n=%lld %s: %d scale/gradient values off their definitions", isaName(isa),
                  (long long)n, mask ? "masked" : "unmasked", wrong);
      }

      for (bool relu : {false, true}) {
        std::vector<float> y(n, kNan);
        rows.normalise(xNan.data(), n, alpha, shift, relu, y.data());
        int wrong = 0;
        for (int64_t i = 0; i < n; ++i) {
          const double product = xNan[i] * alpha;
          float want = static_cast<float>(product + shift);
          if (relu && want < 0.f) want = 0.f;  // relu()'s rule: -0 and NaN pass
          wrong += !sameBitsOrBothNan(y[i], want);
        }
        ctx.check(wrong == 0, "bn rows %s n=%lld relu=%d: %d normalised values off their definition", isaName(isa),
                  (long long)n, relu, wrong);
      }
    }
  });
}

namespace {

// ---- batch norm + ReLU fused: the float64 reference, and the bits of the unfused pair ----

struct BnReluInputs {
  std::vector<float> x, dy, gamma, beta, rm, rv;
};

struct BnReluRun {
  std::vector<float> y, saveMean, saveInvStd, runMean, runVar, dx, dg, db;
  Status status;
};

// fused: one forward with relu and one backward given reluOut. Unfused: batch norm, relu(),
// reluBackward() into a full-size gradient, then batch norm's backward.
BnReluRun runBnRelu(const BnCase& k, bool train, bool fused, const BnReluInputs& in) {
  const int64_t size = k.n * k.c * k.s;
  const BatchNormShape shape{k.n, k.c, k.s};
  BnReluRun r{std::vector<float>(size, kNan), std::vector<float>(k.c, kNan), std::vector<float>(k.c, kNan),
              in.rm, in.rv, std::vector<float>(size, kNan), std::vector<float>(k.c, kNan),
              std::vector<float>(k.c, kNan), Status::ok()};
  std::vector<float> bn(size, kNan), g(size, kNan);
  FloatSpan out = fused ? span(r.y) : span(bn);
  Status s = train ? batchNormForwardTrain(shape, cspan(in.x), cspan(in.gamma), cspan(in.beta), k.eps, k.factor,
                                           span(r.runMean), span(r.runVar), out, span(r.saveMean),
                                           span(r.saveInvStd), fused)
                   : batchNormForwardEval(shape, cspan(in.x), cspan(in.gamma), cspan(in.beta), k.eps, cspan(in.rm),
                                          cspan(in.rv), out, span(r.saveMean), span(r.saveInvStd), fused);
  if (s.isOk() && !fused) s = relu(cspan(bn), span(r.y));
  if (s.isOk() && !fused) s = reluBackward(cspan(bn), cspan(in.dy), span(g));
  if (s.isOk())
    s = batchNormBackward(shape, cspan(in.x), fused ? cspan(in.dy) : cspan(g), cspan(in.gamma), cspan(r.saveMean),
                          cspan(r.saveInvStd), train, span(r.dx), span(r.dg), span(r.db),
                          fused ? cspan(r.y) : ConstFloatSpan{});
  r.status = s;
  return r;
}

void checkBatchNormRelu(Context& ctx, const BnCase& k, bool train, const BnReluInputs& in, const std::string& what) {
  const int64_t size = k.n * k.c * k.s;
  const std::string cfg = what + " " + k.describe() + (train ? " train" : " eval");
  const BnReluRun fused = runBnRelu(k, train, true, in), unfused = runBnRelu(k, train, false, in);
  ctx.check(fused.status.isOk() && unfused.status.isOk(), "nn batchNormRelu [%s]: %s / %s", cfg.c_str(),
            fused.status.message().c_str(), unfused.status.message().c_str());
  ctx.check(sameBits(fused.y, unfused.y) && sameBits(fused.saveMean, unfused.saveMean) &&
                sameBits(fused.saveInvStd, unfused.saveInvStd) && sameBits(fused.runMean, unfused.runMean) &&
                sameBits(fused.runVar, unfused.runVar),
            "nn batchNormRelu forward [%s]: other bits than batch norm then relu", cfg.c_str());
  ctx.check(sameBits(fused.dx, unfused.dx) && sameBits(fused.dg, unfused.dg) && sameBits(fused.db, unfused.db),
            "nn batchNormRelu backward [%s]: other bits than reluBackward then batch norm's backward", cfg.c_str());

  std::vector<double> g64(k.c, 1.0), b64(k.c, 0.0);
  if (k.affine) {
    g64.assign(in.gamma.begin(), in.gamma.end());
    b64.assign(in.beta.begin(), in.beta.end());
  }
  const std::vector<double> x64(in.x.begin(), in.x.end());
  auto yRef = bnReference(k, x64, g64, b64, train, in.rm, in.rv);
  for (double& v : yRef) v = std::max(v, 0.0);
  double err = test::relativeL2(fused.y.data(), yRef.data(), size);
  ctx.check(err <= kTolerance, "nn batchNormRelu forward [%s]: rel L2 %.3g", cfg.c_str(), err);

  // Gradients of L = Σ relu(bn(x))·dy: central differences of Σ bn(x)·(dy where y > 0), the mask taken
  // from the kernel's y (a value within rounding of 0 may fall either way; an exact 0 passes nothing).
  std::vector<float> masked(size);
  for (int64_t j = 0; j < size; ++j) masked[j] = fused.y[j] > 0 ? in.dy[j] : 0.f;
  const auto [dxRef, dgRef, dbRef] = bnFiniteDifferences(k, x64, g64, b64, train, in.rm, in.rv, masked);
  // Absolute floor: a channel whose outputs are all masked has zero gradients (rel L2 of 0 vs ~1e-11).
  auto close = [](const std::vector<float>& got, const std::vector<double>& want) {
    double num = 0, den = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      num += (got[i] - want[i]) * (got[i] - want[i]);
      den += want[i] * want[i];
    }
    return std::sqrt(num) <= 1e-4 * std::sqrt(den) + 1e-6;
  };
  ctx.check(close(fused.dx, dxRef) && close(fused.dg, dgRef) && close(fused.db, dbRef),
            "nn batchNormRelu backward [%s]: dx/dgamma/dbeta off the float64 differences", cfg.c_str());
}

BnReluInputs randomBnReluInputs(const BnCase& k, uint64_t seed) {
  Rng rng(seed);
  const int64_t size = k.n * k.c * k.s;
  BnReluInputs in;
  in.x = rng.floats(size, -2.f, 3.f);
  in.dy = rng.floats(size);
  in.gamma = k.affine ? rng.floats(k.c, -1.5f, 1.5f) : std::vector<float>{};  // negative γ flips the mask
  in.beta = k.affine ? rng.floats(k.c) : std::vector<float>{};
  in.rm = rng.floats(k.c);
  in.rv = rng.floats(k.c, 0.5f, 2.f);
  return in;
}

}  // namespace

ATROUS_TEST(nnBatchNormReluMatchesReferenceAndUnfusedPair) {
  test::forEachIsa([&](Isa) {
    Rng rng(13);
    for (int t = 0; t < 16; ++t) {  // H·W up to 40: the vector loops' bodies and every tail
      BnCase k{rng.intIn(1, 4), rng.intIn(1, 5), t < 8 ? rng.intIn(1, 9) : rng.intIn(10, 40), t % 3 == 0 ? 1e-3 : 1e-5,
               t % 2 ? 0.1 : 0.3, t % 4 != 1};
      if (k.n * k.s < 4) k.s = 4;
      checkBatchNormRelu(ctx, k, true, randomBnReluInputs(k, 300 + t), "random");
      checkBatchNormRelu(ctx, k, false, randomBnReluInputs(k, 400 + t), "random");
    }
  });
}

// Batch-norm outputs of exactly +0 and -0: x from {-1, -0, 1, 0, 2, -2} repeated, so each block (H·W a
// multiple of 6) sums to 0 and the batch mean is exactly 0; with β = ±0 and the running mean 0, x = ±0
// normalises to exactly ±0 in train and eval. Both mask to 0 (reluBackward's x <= 0), and relu passes -0.
ATROUS_TEST(nnBatchNormReluTiesAtZero) {
  const float kPattern[6] = {-1.f, -0.f, 1.f, 0.f, 2.f, -2.f};
  test::forEachIsa([&](Isa) {
    Rng rng(14);
    for (int64_t spatial : {6, 12, 30, 42}) {
      BnCase k{rng.intIn(1, 3), 3, spatial, 1e-5, 0.1, true};
      BnReluInputs in;
      const int64_t size = k.n * k.c * k.s;
      for (int64_t j = 0; j < size; ++j) in.x.push_back(kPattern[j % 6]);
      in.dy = rng.floats(size);
      in.gamma = rng.floats(k.c, 0.5f, 1.5f);
      in.beta = {-0.f, 0.f, -0.f};
      in.rm = {0.f, 0.f, 0.f};
      in.rv = rng.floats(k.c, 0.5f, 2.f);
      for (bool train : {true, false}) {
        checkBatchNormRelu(ctx, k, train, in, "ties");
        const BnReluRun r = runBnRelu(k, train, true, in);
        int64_t negZeros = 0, zeros = 0;
        for (int64_t j = 0; j < size; ++j) {
          if (in.x[j] != 0.f) continue;
          zeros += r.y[j] == 0.f;
          negZeros += r.y[j] == 0.f && std::signbit(r.y[j]);
        }
        ctx.check(zeros == size / 3 && negZeros > 0, "nn batchNormRelu ties S=%lld %s: %lld of %lld zeros, %lld -0",
                  static_cast<long long>(spatial), train ? "train" : "eval", static_cast<long long>(zeros),
                  static_cast<long long>(size / 3), static_cast<long long>(negZeros));
      }
    }
  });
}

ATROUS_TEST(nnBatchNormRejectsBadArguments) {
  std::vector<float> x(12, 1.f), y(12), m(3), v(3, 1.f), sm(3), si(3), shortBuf(2);
  Status s = batchNormForwardTrain({2, 3, 2}, cspan(x), cspan(shortBuf), {}, 1e-5, 0.1, {}, {}, span(y), span(sm), span(si));
  ctx.check(!s.isOk() && s.message().find("gamma") != std::string::npos, "nn batchNorm: short gamma -> %s",
            s.message().c_str());
  s = batchNormForwardTrain({1, 3, 1}, {x.data(), 3}, {}, {}, 1e-5, 0.1, {}, {}, {y.data(), 3}, span(sm), span(si));
  ctx.check(!s.isOk() && s.message().find("more than 1 value") != std::string::npos,
            "nn batchNorm: one value per channel -> %s", s.message().c_str());
  s = batchNormForwardEval({2, 3, 2}, cspan(x), {}, {}, 1e-5, cspan(m), {}, span(y), span(sm), span(si));
  ctx.check(!s.isOk() && s.message().find("runningVar") != std::string::npos, "nn batchNorm eval without runningVar -> %s",
            s.message().c_str());
  s = batchNormBackward({2, 3, 2}, cspan(x), {x.data(), 11}, {}, cspan(sm), cspan(si), true, span(y), {}, {});
  ctx.check(!s.isOk() && s.message().find("dy expects 12") != std::string::npos, "nn batchNorm backward short dy -> %s",
            s.message().c_str());
  s = batchNormBackward({2, 3, 2}, cspan(x), cspan(x), {}, cspan(sm), cspan(si), true, span(y), {}, {}, {x.data(), 11});
  ctx.check(!s.isOk() && s.message().find("batchNormBackward: reluOut expects 12") != std::string::npos,
            "nn batchNorm backward short reluOut -> %s", s.message().c_str());
}

namespace {

// ---- optimizers: float64 references of torch.optim's update rules ----

struct SgdRef {
  std::vector<double> p, buf;
  void step(const std::vector<float>& g, const SgdHyper& h, bool first) {
    for (size_t i = 0; i < p.size(); ++i) {
      double d = g[i] + h.weightDecay * p[i];
      if (h.momentum != 0) {
        buf[i] = first ? d : h.momentum * buf[i] + (1 - h.dampening) * d;
        d = h.nesterov ? d + h.momentum * buf[i] : buf[i];
      }
      p[i] -= h.lr * d;
    }
  }
};

struct AdamRef {
  std::vector<double> p, m, v, vmax;
  void step(const std::vector<float>& g, const AdamHyper& h, bool amsgrad) {
    for (size_t i = 0; i < p.size(); ++i) {
      if (h.decoupled) p[i] *= 1 - h.lr * h.weightDecay;
      const double gi = h.decoupled ? g[i] : g[i] + h.weightDecay * p[i];
      m[i] = h.beta1 * m[i] + (1 - h.beta1) * gi;
      v[i] = h.beta2 * v[i] + (1 - h.beta2) * gi * gi;
      double second = v[i];
      if (amsgrad) second = vmax[i] = std::max(vmax[i], v[i]);
      const double mHat = m[i] / (1 - std::pow(h.beta1, h.step));
      const double vHat = second / (1 - std::pow(h.beta2, h.step));
      p[i] -= h.lr * mHat / (std::sqrt(vHat) + h.eps);
    }
  }
};

}  // namespace

ATROUS_TEST(nnSgdMatchesReference) {
  const SgdHyper configs[] = {
      {0.1, 0, 0, 0, false}, {0.05, 0.9, 0, 0, false}, {0.05, 0.9, 0, 1e-2, true},
      {0.02, 0.8, 0.3, 5e-3, false}, {0.01, 0.5, 0, 0.1, true}};
  Rng rng(7);
  int index = 0;
  for (const SgdHyper& h : configs) {
    for (int64_t n : {1, 37, 70001}) {  // 70001 spans several parallel chunks
      auto p = rng.floats(n);
      std::vector<float> buf(h.momentum != 0 ? n : 0, kNan);
      SgdRef ref{std::vector<double>(p.begin(), p.end()), std::vector<double>(n)};
      Status s;
      for (int step = 0; step < 4 && s.isOk(); ++step) {
        auto g = rng.floats(n);
        s = sgdStep(span(p), cspan(g), span(buf), h, step == 0);
        ref.step(g, h, step == 0);
      }
      double err = s.isOk() ? test::relativeL2(p.data(), ref.p.data(), n) : INFINITY;
      ctx.check(err <= kTolerance, "nn sgd config %d n=%lld lr=%g momentum=%g dampening=%g wd=%g nesterov=%d: rel L2 %.3g (%s)",
                index, static_cast<long long>(n), h.lr, h.momentum, h.dampening, h.weightDecay, h.nesterov, err,
                s.message().c_str());
    }
    ++index;
  }
}

ATROUS_TEST(nnAdamMatchesReference) {
  Rng rng(8);
  for (bool decoupled : {false, true})
    for (bool amsgrad : {false, true})
      for (double wd : {0.0, 0.05})
        for (int64_t n : {3, 70001}) {
          AdamHyper h;
          h.lr = 1e-2;
          h.beta1 = 0.85;
          h.beta2 = 0.99;
          h.eps = 1e-6;
          h.weightDecay = wd;
          h.decoupled = decoupled;
          auto p = rng.floats(n);
          std::vector<float> m(n, 0.f), v(n, 0.f), vmax(amsgrad ? n : 0, 0.f);
          AdamRef ref{std::vector<double>(p.begin(), p.end()), std::vector<double>(n), std::vector<double>(n),
                      std::vector<double>(n)};
          Status s;
          for (int step = 1; step <= 5 && s.isOk(); ++step) {
            h.step = step;
            auto g = rng.floats(n, -0.5f, 0.5f);
            if (step == 3) g[0] = 0;  // a zero gradient after non-zero ones exercises amsgrad's max
            s = adamStep(span(p), cspan(g), span(m), span(v), span(vmax), h);
            ref.step(g, h, amsgrad);
          }
          double err = s.isOk() ? test::relativeL2(p.data(), ref.p.data(), n) : INFINITY;
          ctx.check(err <= kTolerance, "nn adam decoupled=%d amsgrad=%d wd=%g n=%lld: rel L2 %.3g (%s)", decoupled,
                    amsgrad, wd, static_cast<long long>(n), err, s.message().c_str());
        }
}

ATROUS_TEST(nnOptimizerStepsRejectBadArguments) {
  std::vector<float> p(4), g(3), buf(4), m(4), v(4);
  Status s = sgdStep(span(p), cspan(g), span(buf), {0.1, 0.9, 0, 0, false}, true);
  ctx.check(!s.isOk() && s.message() == "sgdStep: grad expects 4 elements, but got 3", "nn sgd short grad -> %s",
            s.message().c_str());
  std::vector<float> g4(4);
  s = sgdStep(span(p), cspan(g4), {}, {0.1, 0.9, 0, 0, false}, true);
  ctx.check(!s.isOk() && s.message().find("momentumBuffer") != std::string::npos, "nn sgd missing buffer -> %s",
            s.message().c_str());
  AdamHyper h;
  h.lr = NAN;
  s = adamStep(span(p), cspan(g4), span(m), span(v), {}, h);
  ctx.check(!s.isOk() && s.message().find("lr expects a finite number") != std::string::npos, "nn adam nan lr -> %s",
            s.message().c_str());
  h.lr = 1e-3;
  h.step = 0;
  s = adamStep(span(p), cspan(g4), span(m), span(v), {}, h);
  ctx.check(!s.isOk() && s.message().find("step") != std::string::npos, "nn adam step 0 -> %s", s.message().c_str());
}

// ---- dtype conversion ----

namespace {

// The value of a half bit pattern from its definition: (-1)^s · 2^(e-15) · (1 + m/1024), or subnormal.
double halfValue(uint16_t bits) {
  const int sign = bits >> 15, e = (bits >> 10) & 0x1f, m = bits & 0x3ff;
  double v;
  if (e == 0x1f) v = m ? std::numeric_limits<double>::quiet_NaN() : INFINITY;
  else if (e == 0) v = std::ldexp(m, -24);
  else v = std::ldexp(1024 + m, e - 25);
  return sign ? -v : v;
}

}  // namespace

ATROUS_TEST(nnDtypeConversionMatchesDefinitions) {
  // Every half bit pattern, one byte off alignment.
  std::vector<uint8_t> bytes(1 + 2 * 65536);
  for (uint32_t b = 0; b < 65536; ++b) std::memcpy(&bytes[1 + 2 * b], &b, 2);
  std::vector<float> out(65536, kNan);
  Status s = convertToFloat32(bytes.data() + 1, 2 * 65536, SourceDtype::F16, span(out));
  int wrong = 0;
  for (uint32_t b = 0; b < 65536 && s.isOk(); ++b) {
    const double want = halfValue(static_cast<uint16_t>(b));
    const bool same = std::isnan(want) ? std::isnan(out[b]) : (out[b] == want && std::signbit(out[b]) == std::signbit(want));
    if (!same && ++wrong <= 3) ctx.check(false, "nn f16 0x%04x: got %.9g, expected %.9g", b, out[b], want);
  }
  ctx.check(s.isOk() && wrong == 0, "nn f16: %d patterns wrong (%s)", wrong, s.message().c_str());

  // bfloat16 is the top half of a float32.
  const float samples[] = {1.f, -2.5f, 3.140625f, 0.f, -0.f, 65280.f, 1e-38f};
  std::vector<uint8_t> bf;
  for (float f : samples) {
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    uint16_t top = static_cast<uint16_t>(bits >> 16);
    bf.push_back(top & 0xff);
    bf.push_back(top >> 8);
  }
  std::vector<float> bfOut(7, kNan);
  s = convertToFloat32(bf.data(), bf.size(), SourceDtype::BF16, span(bfOut));
  for (int i = 0; i < 7; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &samples[i], 4);
    bits &= 0xffff0000u;
    float want;
    std::memcpy(&want, &bits, 4);
    ctx.check(s.isOk() && bfOut[i] == want, "nn bf16 sample %d: got %g, expected %g", i, bfOut[i], want);
  }

  // Integers and doubles.
  const int64_t ints[] = {0, -3, 7, 16777216, -2147483648LL};
  std::vector<float> iOut(5, kNan);
  s = convertToFloat32(reinterpret_cast<const uint8_t*>(ints), sizeof ints, SourceDtype::I64, span(iOut));
  for (int i = 0; i < 5; ++i)
    ctx.check(s.isOk() && iOut[i] == static_cast<float>(ints[i]), "nn i64 %d: got %g", i, iOut[i]);
  const double doubles[] = {0.1, -1e300, 2.5};
  std::vector<float> dOut(3, kNan);
  s = convertToFloat32(reinterpret_cast<const uint8_t*>(doubles), sizeof doubles, SourceDtype::F64, span(dOut));
  ctx.check(s.isOk() && dOut[0] == 0.1f && std::isinf(dOut[1]) && dOut[1] < 0 && dOut[2] == 2.5f,
            "nn f64: got %g %g %g", dOut[0], dOut[1], dOut[2]);

  s = convertToFloat32(bytes.data(), 5, SourceDtype::F16, {out.data(), 2});
  ctx.check(!s.isOk() && s.message().find("expects 4 bytes") != std::string::npos, "nn convert wrong byte count -> %s",
            s.message().c_str());
  SourceDtype d;
  ctx.check(parseSourceDtype("BF16", &d) && d == SourceDtype::BF16 && !parseSourceDtype("F8_E4M3", &d),
            "nn parseSourceDtype");
}
