// The CUDA cross-entropy against the CPU kernel: the row arithmetic (loss_rows.h) bit for bit on the
// host, which runs without a device; on the device probs within 1 float ulp, the loss within 1e-13
// relative, and the backward bit for bit from the same probs (also in place). Targets out of range
// are reported from the device; the argument checks run everywhere.
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "../../kernels/cpu/loss.h"
#include "../../kernels/cuda/loss.h"
#include "../../kernels/cuda/loss_rows.h"
#include "cuda_harness.h"

using namespace atrous;
using test::Context;
using test::DeviceArray;
using test::DeviceInt32Array;
using test::Rng;
using test::sameBits;

namespace {

struct LossCase {
  int64_t n, c;
  float spread;  // logits in [-spread, spread)
};

const LossCase kCases[] = {{1, 1, 1.f}, {1, 10, 3.f}, {7, 3, 50.f}, {256, 10, 8.f}, {33, 1000, 2.f},
                           {1000, 17, 120.f}, {5, 2, 1e-3f}};

std::vector<float> logitsFor(Rng& rng, const LossCase& k, bool specials) {
  auto v = rng.floats(k.n * k.c, -k.spread, k.spread);
  if (specials && k.c > 1) {  // one row with +inf, one with -inf: the unshifted paths
    v[0] = INFINITY;
    if (k.n > 1) v[k.c + 1] = -INFINITY;
  }
  return v;
}

std::vector<int32_t> targetsFor(Rng& rng, const LossCase& k) {
  std::vector<int32_t> t(size_t(k.n));
  for (auto& e : t) e = int32_t(rng.intIn(0, k.c - 1));
  return t;
}

bool withinUlp(float got, float want) {
  if (std::isnan(want)) return std::isnan(got);
  return got == want || std::nextafter(want, INFINITY) == got || std::nextafter(want, -INFINITY) == got;
}

}  // namespace

ATROUS_CUDA_ARGS_TEST(cudaLossRowsMatchCpuBitForBit) {
  Rng rng(31);
  for (const LossCase& k : kCases)
    for (bool specials : {false, true}) {
      const auto logits = logitsFor(rng, k, specials);
      const auto targets = targetsFor(rng, k);
      std::vector<float> probs(k.n * k.c), rows(k.n * k.c), dWant(k.n * k.c), dGot(k.n * k.c);
      double loss = 0;
      Status s = crossEntropyForward(k.n, k.c, {logits.data(), k.n * k.c}, {targets.data(), k.n},
                                     {probs.data(), k.n * k.c}, &loss);
      ctx.check(s.isOk(), "cpu forward n=%lld c=%lld: %s", (long long)k.n, (long long)k.c, s.message().c_str());
      double total = 0;
      for (int64_t i = 0; i < k.n; ++i)
        total += cuda::lossrow::crossEntropyRow(logits.data() + i * k.c, k.c, targets[i], rows.data() + i * k.c);
      const double got = total / double(k.n);
      ctx.check(sameBits(rows, probs) && std::memcmp(&got, &loss, sizeof got) == 0,
                "rows n=%lld c=%lld specials=%d: loss %.17g vs cpu %.17g", (long long)k.n, (long long)k.c, specials,
                got, loss);
      const float scale = 0.37f / float(k.n);
      crossEntropyBackward(k.n, k.c, {probs.data(), k.n * k.c}, {targets.data(), k.n}, scale, {dWant.data(), k.n * k.c});
      for (int64_t e = 0; e < k.n * k.c; ++e)
        dGot[e] = cuda::lossrow::crossEntropyGradient(probs[e], e % k.c == targets[e / k.c], scale);
      ctx.check(sameBits(dGot, dWant), "gradient n=%lld c=%lld", (long long)k.n, (long long)k.c);
    }
}

ATROUS_CUDA_TEST(cudaCrossEntropyMatchesCpu) {
  Rng rng(32);
  for (const LossCase& k : kCases)
    for (bool specials : {false, true}) {
      const long long nc = k.n * k.c;
      const auto logits = logitsFor(rng, k, specials);
      const auto targets = targetsFor(rng, k);
      std::vector<float> want(nc);
      double wantLoss = 0;
      crossEntropyForward(k.n, k.c, {logits.data(), nc}, {targets.data(), k.n}, {want.data(), nc}, &wantLoss);
      DeviceArray dLogits(logits), dProbs(std::vector<float>(nc, 99.f)), dLoss(2);  // a double's worth
      DeviceInt32Array dTargets(targets);
      double* lossPtr = reinterpret_cast<double*>(dLoss.data());
      Status s = cuda::crossEntropyForward(k.n, k.c, dLogits.span(), dTargets.span(), dProbs.span(), lossPtr);
      const auto probs = dProbs.toHost();
      const auto raw = dLoss.toHost();
      double loss = NAN;
      std::memcpy(&loss, raw.data(), sizeof loss);
      bool close = s.isOk();
      for (long long e = 0; e < nc && close; ++e) close = withinUlp(probs[e], want[e]);
      ctx.check(close, "probs n=%lld c=%lld specials=%d: not within 1 ulp of the CPU's (%s)", (long long)k.n,
                (long long)k.c, specials, s.message().c_str());
      const bool lossClose = loss == wantLoss || std::fabs(loss - wantLoss) <= 1e-13 * std::fabs(wantLoss) ||
                             (std::isnan(loss) && std::isnan(wantLoss));
      ctx.check(lossClose,
                "loss n=%lld c=%lld specials=%d: %.17g, cpu %.17g", (long long)k.n, (long long)k.c, specials, loss,
                wantLoss);

      const float scale = 1.f / float(k.n);
      std::vector<float> dWant(nc);
      crossEntropyBackward(k.n, k.c, {probs.data(), nc}, {targets.data(), k.n}, scale, {dWant.data(), nc});
      DeviceArray dGrad(std::vector<float>(nc, 99.f));
      s = cuda::crossEntropyBackward(k.n, k.c, dProbs.span(), dTargets.span(), scale, dGrad.span());
      ctx.check(s.isOk() && sameBits(dGrad.toHost(), dWant), "backward n=%lld c=%lld: differs (%s)", (long long)k.n,
                (long long)k.c, s.message().c_str());
      s = cuda::crossEntropyBackward(k.n, k.c, dProbs.span(), dTargets.span(), scale, dProbs.span());
      ctx.check(s.isOk() && sameBits(dProbs.toHost(), dWant), "backward in place n=%lld c=%lld: differs (%s)",
                (long long)k.n, (long long)k.c, s.message().c_str());
    }
}

ATROUS_CUDA_TEST(cudaCrossEntropyRejectsBadTargetsOnDevice) {
  DeviceArray dLogits(std::vector<float>(12, 0.5f)), dProbs(std::vector<float>(12, 3.f)), dLoss(2);
  for (int32_t bad : {-1, 4, 1000}) {
    DeviceInt32Array dTargets(std::vector<int32_t>{0, 3, bad});
    Status s = cuda::crossEntropyForward(3, 4, dLogits.span(), dTargets.span(), dProbs.span(),
                                         reinterpret_cast<double*>(dLoss.data()));
    std::string want = "crossEntropyForward (cuda): targets[2] expects a class index in [0, 4), but got " + std::to_string(bad);
    ctx.check(!s.isOk() && s.message() == want, "forward: got '%s', want '%s'", s.message().c_str(), want.c_str());
    ctx.check(sameBits(dProbs.toHost(), std::vector<float>(12, 3.f)), "forward target %d: probs were written", bad);
    s = cuda::crossEntropyBackward(3, 4, dLogits.span(), dTargets.span(), 1.f, dProbs.span());
    want = "crossEntropyBackward (cuda): targets[2] expects a class index in [0, 4), but got " + std::to_string(bad);
    ctx.check(!s.isOk() && s.message() == want, "backward: got '%s', want '%s'", s.message().c_str(), want.c_str());
    ctx.check(sameBits(dProbs.toHost(), std::vector<float>(12, 3.f)), "backward target %d: dlogits were written", bad);
  }
}

ATROUS_CUDA_ARGS_TEST(cudaCrossEntropyRejectsBadArguments) {
  std::vector<float> logits(12), probs(12);
  std::vector<int32_t> targets(3);
  double loss = 0;
  struct Case { const char* what; Status s; const char* mentions; };
  const Case cases[] = {
      {"null loss", cuda::crossEntropyForward(3, 4, {logits.data(), 12}, {targets.data(), 3}, {probs.data(), 12}, nullptr),
       "crossEntropyForward (cuda): loss expects a device pointer, but got null"},
      {"zero classes", cuda::crossEntropyForward(3, 0, {logits.data(), 0}, {targets.data(), 3}, {probs.data(), 0}, &loss),
       "crossEntropyForward (cuda): n and c expect integers >= 1 with n*c < 2^31, but got n=3 c=0"},
      {"n*c over 2^31", cuda::crossEntropyForward(1 << 16, 1 << 16, {logits.data(), 12}, {targets.data(), 3},
                                                  {probs.data(), 12}, &loss),
       "n*c < 2^31"},
      {"short targets", cuda::crossEntropyForward(3, 4, {logits.data(), 12}, {targets.data(), 2}, {probs.data(), 12}, &loss),
       "targets expects 3 elements, but got 2"},
      {"short logits", cuda::crossEntropyForward(3, 4, {logits.data(), 11}, {targets.data(), 3}, {probs.data(), 12}, &loss),
       "logits expects 12 elements, but got 11"},
      {"probs over logits", cuda::crossEntropyForward(3, 4, {logits.data(), 12}, {targets.data(), 3}, {logits.data(), 12}, &loss),
       "probs expects its own buffer, but it overlaps logits"},
      {"backward long dlogits",
       cuda::crossEntropyBackward(3, 4, {probs.data(), 12}, {targets.data(), 3}, 1.f, {logits.data(), 13}),
       "crossEntropyBackward (cuda): dlogits expects 12 elements, but got 13"},
      {"backward shifted dlogits",
       cuda::crossEntropyBackward(3, 4, {probs.data(), 12}, {targets.data(), 3}, 1.f, {probs.data() + 1, 12}),
       "dlogits expects to be probs itself or not to overlap it"},
  };
  for (const Case& c : cases)
    ctx.check(!c.s.isOk() && c.s.message().find(c.mentions) != std::string::npos, "%s: expected '%s', got '%s'",
              c.what, c.mentions, c.s.message().c_str());
}
