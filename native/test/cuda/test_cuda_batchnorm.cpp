// The CUDA batch norm against the CPU kernel. On the host (no device needed): the per-channel
// arithmetic (batchnorm_channels.h) fed the CPU's sequential sums reproduces the CPU bit for bit.
// On the device, whose sums run in another fixed order: statistics within 1 float ulp, y, dx,
// dgamma and dbeta within a few ulp of the CPU's float64-accumulated results, eval bit for bit,
// and two runs bit-identical (no atomics). Shapes span one slice to the 64-slice cap, with and
// without affine and running statistics.
#include <cmath>
#include <string>
#include <vector>

#include "../../kernels/cpu/batchnorm.h"
#include "../../kernels/cuda/batchnorm.h"
#include "../../kernels/cuda/batchnorm_channels.h"
#include "cuda_harness.h"

using namespace atrous;
using test::Context;
using test::DeviceArray;
using test::Rng;
using test::sameBits;

namespace {

const BatchNormShape kShapes[] = {{1, 1, 2}, {2, 3, 5}, {8, 16, 49}, {256, 4, 49}, {64, 3, 1024}, {1, 2, 600000}};

std::string shapeText(const BatchNormShape& s, bool affine, bool running) {
  return "N=" + std::to_string(s.batch) + " C=" + std::to_string(s.channels) + " S=" + std::to_string(s.spatial) +
         " affine=" + std::to_string(affine) + " running=" + std::to_string(running);
}

// Values with a large common offset per channel (the two-pass variance matters) and some spread.
std::vector<float> bnInput(Rng& rng, const BatchNormShape& s) {
  auto v = rng.floats(s.size(), -2.f, 2.f);
  for (int64_t i = 0; i < s.size(); ++i) v[i] += 10.f * float((i / s.spatial) % s.channels);
  return v;
}

FloatSpan spanOf(std::vector<float>& v, bool present) { return present ? FloatSpan{v.data(), (long long)v.size()} : FloatSpan{}; }
FloatSpan spanOf(DeviceArray& d, bool present) { return present ? d.span() : FloatSpan{}; }

// |got − want| <= ulps float ulps of want, or rel·(|want| + floor) for values that cancel.
bool close(const std::vector<float>& got, const std::vector<float>& want, double rel, double floor) {
  if (got.size() != want.size()) return false;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i]) ? !std::isnan(got[i]) : std::fabs(double(got[i]) - want[i]) > rel * (std::fabs(want[i]) + floor))
      return false;
  }
  return true;
}

}  // namespace

ATROUS_CUDA_ARGS_TEST(cudaBatchNormChannelMathMatchesCpuBitForBit) {
  Rng rng(51);
  for (const BatchNormShape& s : kShapes) {
    if (s.size() > 100000) continue;  // the arithmetic, not the size, is under test here
    const int64_t C = s.channels, count = s.batch * s.spatial;
    for (bool affine : {false, true}) {
      const auto x = bnInput(rng, s), dy = rng.floats(s.size());
      auto gamma = rng.floats(C, 0.5f, 1.5f), beta = rng.floats(C);
      auto runMean = rng.floats(C), runVar = rng.floats(C, 0.5f, 2.f);
      std::vector<float> y(s.size()), saveMean(C), saveInvStd(C), rm = runMean, rv = runVar;
      batchNormForwardTrain(s, {x.data(), s.size()}, spanOf(gamma, affine), spanOf(beta, affine), 1e-5, 0.1,
                            {rm.data(), C}, {rv.data(), C}, {y.data(), s.size()}, {saveMean.data(), C},
                            {saveInvStd.data(), C});
      std::vector<float> dx(s.size()), dgamma(C), dbeta(C), dxFixed(s.size());
      batchNormBackward(s, {x.data(), s.size()}, {dy.data(), s.size()}, spanOf(gamma, affine), {saveMean.data(), C},
                        {saveInvStd.data(), C}, true, {dx.data(), s.size()}, {dgamma.data(), C}, {dbeta.data(), C});
      batchNormBackward(s, {x.data(), s.size()}, {dy.data(), s.size()}, spanOf(gamma, affine), {saveMean.data(), C},
                        {saveInvStd.data(), C}, false, {dxFixed.data(), s.size()}, {}, {});

      std::vector<float> y2(s.size()), saveMean2(C), saveInvStd2(C), rm2 = runMean, rv2 = runVar;
      std::vector<float> dx2(s.size()), dgamma2(C), dbeta2(C), dxFixed2(s.size());
      for (int64_t c = 0; c < C; ++c) {
        auto each = [&](auto body) {
          for (int64_t n = 0; n < s.batch; ++n)
            for (int64_t i = 0; i < s.spatial; ++i) body((n * C + c) * s.spatial + i);
        };
        double sum = 0, squares = 0;
        each([&](int64_t i) { sum += x[i]; });
        const double mean = sum / double(count);
        each([&](int64_t i) { squares += cuda::bnmath::squareTerm(x[i], mean); });
        const double invStd = cuda::bnmath::invStdOf(squares / double(count), 1e-5);
        saveMean2[c] = float(mean), saveInvStd2[c] = float(invStd);
        rm2[c] = cuda::bnmath::runningUpdate(rm2[c], 0.1, mean);
        rv2[c] = cuda::bnmath::runningUpdate(rv2[c], 0.1, squares / double(count - 1));
        const auto a = cuda::bnmath::affineOf(mean, invStd, affine ? gamma[c] : 1.0, affine ? beta[c] : 0.0);
        each([&](int64_t i) { y2[i] = cuda::bnmath::normalise(x[i], a); });

        double sumDy = 0, sumDyCentered = 0;
        const double m = saveMean[c], is = saveInvStd[c];
        each([&](int64_t i) { sumDy += dy[i], sumDyCentered += cuda::bnmath::centeredTerm(dy[i], x[i], m); });
        dgamma2[c] = float(sumDyCentered * is), dbeta2[c] = float(sumDy);
        const auto k = cuda::bnmath::backwardCoefficients(sumDy, sumDyCentered, is, affine ? gamma[c] : 1.0, double(count));
        each([&](int64_t i) {
          dx2[i] = cuda::bnmath::dxWithBatchStats(dy[i], x[i], m, k);
          dxFixed2[i] = cuda::bnmath::dxWithFixedStats(dy[i], k.scale);
        });
      }
      const std::string cfg = shapeText(s, affine, true);
      ctx.check(sameBits(y, y2) && sameBits(saveMean, saveMean2) && sameBits(saveInvStd, saveInvStd2) &&
                    sameBits(rm, rm2) && sameBits(rv, rv2),
                "train channel math [%s]", cfg.c_str());
      ctx.check(sameBits(dx, dx2) && sameBits(dgamma, dgamma2) && sameBits(dbeta, dbeta2) && sameBits(dxFixed, dxFixed2),
                "backward channel math [%s]", cfg.c_str());
    }
  }
}

ATROUS_CUDA_TEST(cudaBatchNormMatchesCpu) {
  Rng rng(52);
  for (const BatchNormShape& s : kShapes)
    for (bool affine : {false, true})
      for (bool running : {false, true}) {
        const std::string cfg = shapeText(s, affine, running);
        const int64_t C = s.channels;
        const auto x = bnInput(rng, s), dy = rng.floats(s.size());
        auto gamma = rng.floats(C, 0.5f, 1.5f), beta = rng.floats(C);
        auto rm = rng.floats(C), rv = rng.floats(C, 0.5f, 2.f);
        std::vector<float> y(s.size()), saveMean(C), saveInvStd(C);
        DeviceArray dX(x), dDy(dy), dGamma(gamma), dBeta(beta), dRm(rm), dRv(rv);
        DeviceArray dY(s.size()), dSaveMean(C), dSaveInvStd(C);
        batchNormForwardTrain(s, {x.data(), s.size()}, spanOf(gamma, affine), spanOf(beta, affine), 1e-5, 0.1,
                              spanOf(rm, running), spanOf(rv, running), {y.data(), s.size()}, {saveMean.data(), C},
                              {saveInvStd.data(), C});
        std::vector<float> first;
        for (int run = 0; run < 2; ++run) {
          Status st = cuda::batchNormForwardTrain(s, dX.span(), spanOf(dGamma, affine), spanOf(dBeta, affine), 1e-5, 0.1,
                                                  spanOf(dRm, running), spanOf(dRv, running), dY.span(),
                                                  dSaveMean.span(), dSaveInvStd.span());
          ctx.check(st.isOk(), "train [%s]: %s", cfg.c_str(), st.message().c_str());
          if (run == 0) {
            first = dY.toHost();
            ctx.check(close(dSaveMean.toHost(), saveMean, 1.2e-7, 0) && close(dSaveInvStd.toHost(), saveInvStd, 1.2e-7, 0),
                      "train saved statistics [%s]", cfg.c_str());
            ctx.check(!running || (close(dRm.toHost(), rm, 1.2e-7, 1e-6) && close(dRv.toHost(), rv, 1.2e-7, 0)),
                      "train running statistics [%s]", cfg.c_str());
            ctx.check(close(first, y, 3e-7, 1e-2), "train y [%s]", cfg.c_str());
          } else {
            ctx.check(sameBits(dY.toHost(), first), "train y differs between two runs [%s]", cfg.c_str());
          }
        }

        // Backward from the CPU's saved statistics, so only the sums' order differs.
        DeviceArray dCpuMean(saveMean), dCpuInvStd(saveInvStd);
        for (bool batchStats : {true, false}) {
          std::vector<float> dx(s.size()), dgamma(C), dbeta(C);
          batchNormBackward(s, {x.data(), s.size()}, {dy.data(), s.size()}, spanOf(gamma, affine), {saveMean.data(), C},
                            {saveInvStd.data(), C}, batchStats, {dx.data(), s.size()}, {dgamma.data(), C},
                            {dbeta.data(), C});
          DeviceArray dDx(std::vector<float>(s.size(), NAN)), dDgamma(C), dDbeta(C);
          Status st = cuda::batchNormBackward(s, dX.span(), dDy.span(), spanOf(dGamma, affine), dCpuMean.span(),
                                              dCpuInvStd.span(), batchStats, dDx.span(), dDgamma.span(), dDbeta.span());
          ctx.check(st.isOk(), "backward [%s]: %s", cfg.c_str(), st.message().c_str());
          const bool fixedExact = batchStats || sameBits(dDx.toHost(), dx);  // dy·scale: no sums involved
          ctx.check(fixedExact && close(dDx.toHost(), dx, 1e-6, 1e-2), "backward dx batchStats=%d [%s]", batchStats,
                    cfg.c_str());
          ctx.check(close(dDgamma.toHost(), dgamma, 1e-6, 1e-3) && close(dDbeta.toHost(), dbeta, 1e-6, 1e-3),
                    "backward dgamma/dbeta batchStats=%d [%s]", batchStats, cfg.c_str());
        }

        // Eval: no sums, so bit for bit.
        std::vector<float> ye(s.size()), em(C), ei(C);
        batchNormForwardEval(s, {x.data(), s.size()}, spanOf(gamma, affine), spanOf(beta, affine), 1e-5, {rm.data(), C},
                             {rv.data(), C}, {ye.data(), s.size()}, {em.data(), C}, {ei.data(), C});
        dRm.upload(rm), dRv.upload(rv);
        Status st = cuda::batchNormForwardEval(s, dX.span(), spanOf(dGamma, affine), spanOf(dBeta, affine), 1e-5,
                                               dRm.span(), dRv.span(), dY.span(), dSaveMean.span(), dSaveInvStd.span());
        ctx.check(st.isOk() && sameBits(dY.toHost(), ye) && sameBits(dSaveMean.toHost(), em) &&
                      sameBits(dSaveInvStd.toHost(), ei),
                  "eval differs from the CPU kernel [%s] (%s)", cfg.c_str(), st.message().c_str());
      }
}

// In place (y = x, dx = dy) gives what separate buffers give.
ATROUS_CUDA_TEST(cudaBatchNormInPlace) {
  Rng rng(53);
  const BatchNormShape s{4, 3, 37};
  const auto x = bnInput(rng, s), dy = rng.floats(s.size());
  DeviceArray dX(x), dY(s.size()), dMean(3), dInvStd(3), dDy(dy), dDx(s.size());
  Status st = cuda::batchNormForwardTrain(s, dX.span(), {}, {}, 1e-5, 0.1, {}, {}, dY.span(), dMean.span(), dInvStd.span());
  st = st.isOk() ? cuda::batchNormBackward(s, dX.span(), dDy.span(), {}, dMean.span(), dInvStd.span(), true, dDx.span(), {}, {}) : st;
  st = st.isOk() ? cuda::batchNormBackward(s, dX.span(), dDy.span(), {}, dMean.span(), dInvStd.span(), true, dDy.span(), {}, {}) : st;
  st = st.isOk() ? cuda::batchNormForwardTrain(s, dX.span(), {}, {}, 1e-5, 0.1, {}, {}, dX.span(), dMean.span(), dInvStd.span()) : st;
  ctx.check(st.isOk() && sameBits(dX.toHost(), dY.toHost()) && sameBits(dDy.toHost(), dDx.toHost()),
            "in place differs from separate buffers (%s)", st.message().c_str());
}

ATROUS_CUDA_TEST(cudaBatchNormEvalRejectsNegativeVarianceOnDevice) {
  DeviceArray dX(std::vector<float>(6, 1.f)), dY(std::vector<float>(6, 4.f)), dM(std::vector<float>(3, 0.f));
  DeviceArray dV(std::vector<float>{1.f, -2.f, -3.f}), dSm(3), dSi(3);
  Status st = cuda::batchNormForwardEval({1, 3, 2}, dX.span(), {}, {}, 1e-5, dM.span(), dV.span(), dY.span(), dSm.span(),
                                         dSi.span());
  const std::string want = "batchNormForwardEval (cuda): runningVar[1] + eps expects a positive number, but got " +
                           std::to_string(-2.f + 1e-5);
  ctx.check(!st.isOk() && st.message() == want, "got '%s', want '%s'", st.message().c_str(), want.c_str());
  ctx.check(sameBits(dY.toHost(), std::vector<float>(6, 4.f)), "y was written");
}

ATROUS_CUDA_ARGS_TEST(cudaBatchNormRejectsBadArguments) {
  std::vector<float> x(24), y(24), c3(3), c3b(3), c3c(3), c3d(3);
  const BatchNormShape s{2, 3, 4};
  const FloatSpan X{x.data(), 24}, Y{y.data(), 24}, A{c3.data(), 3}, B{c3b.data(), 3}, M{c3c.data(), 3}, V{c3d.data(), 3};
  struct Case { const char* what; Status s; const char* mentions; };
  const Case cases[] = {
      {"zero channels", cuda::batchNormForwardTrain({2, 0, 4}, X, {}, {}, 1e-5, 0.1, {}, {}, Y, A, B),
       "batchNormForwardTrain (cuda): shape expects N, C and H·W >= 1"},
      {"one value per channel", cuda::batchNormForwardTrain({1, 3, 1}, {x.data(), 3}, {}, {}, 1e-5, 0.1, {}, {}, {y.data(), 3}, A, B),
       "expects more than 1 value per channel when training"},
      {"zero eps", cuda::batchNormForwardTrain(s, X, {}, {}, 0, 0.1, {}, {}, Y, A, B), "eps expects a number > 0"},
      {"factor above 1", cuda::batchNormForwardTrain(s, X, {}, {}, 1e-5, 1.5, {}, {}, Y, A, B),
       "factor expects a number in [0, 1]"},
      {"running mean alone", cuda::batchNormForwardTrain(s, X, {}, {}, 1e-5, 0.1, M, {}, Y, A, B),
       "runningMean and runningVar expect to be given together"},
      {"short gamma", cuda::batchNormForwardTrain(s, X, {c3.data(), 2}, {}, 1e-5, 0.1, {}, {}, Y, A, B),
       "gamma expects 3 elements, but got 2"},
      {"eval without running stats", cuda::batchNormForwardEval(s, X, {}, {}, 1e-5, {}, V, Y, A, B),
       "batchNormForwardEval (cuda): runningMean expects 3 elements, but got 0"},
      {"backward short dy", cuda::batchNormBackward(s, X, {y.data(), 23}, {}, M, V, true, {}, {}, {}),
       "batchNormBackward (cuda): dy expects 24 elements, but got 23"},
      {"backward long dbeta", cuda::batchNormBackward(s, X, Y, {}, M, V, true, {}, {}, {x.data(), 4}),
       "dbeta expects 3 elements, but got 4"},
  };
  for (const Case& c : cases)
    ctx.check(!c.s.isOk() && c.s.message().find(c.mentions) != std::string::npos, "%s: expected '%s', got '%s'",
              c.what, c.mentions, c.s.message().c_str());
}
