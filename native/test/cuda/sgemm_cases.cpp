#include "sgemm_cases.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

#include "../../kernels/cpu/gemm.h"
#include "../../kernels/cuda/sgemm.h"
#include "../reference.h"
#include "cuda_harness.h"

namespace atrous::test {

std::string GemmCase::describe() const {
  char buf[256];
  std::snprintf(buf, sizeof buf, "transA=%d transB=%d M=%lld N=%lld K=%lld lda=%lld ldb=%lld ldc=%lld "
                "offsets=%lld,%lld,%lld alpha=%g beta=%g", transA, transB, (long long)M, (long long)N,
                (long long)K, (long long)lda, (long long)ldb, (long long)ldc, (long long)offA, (long long)offB,
                (long long)offC, alpha, beta);
  return buf;
}

namespace {

int64_t pickSize(Rng& rng) {
  switch (rng.intIn(0, 3)) {
    case 0: return rng.intIn(1, 9);
    case 1: return 128 * rng.intIn(1, 3) + rng.intIn(-2, 2);  // tile edges
    default: return rng.intIn(1, 300);
  }
}

}  // namespace

GemmCase randomGemmCase(Rng& rng, int index) {
  const float betas[] = {0.f, 1.f, -0.5f};
  GemmCase c;
  c.transA = rng.intIn(0, 1);
  c.transB = rng.intIn(0, 1);
  c.M = pickSize(rng);
  c.N = pickSize(rng);
  c.K = index % 10 == 0 ? rng.intIn(0, 3) : pickSize(rng);  // K = 0: C = beta * C
  const bool aligned = rng.intIn(0, 2) != 0;                // ld a multiple of 4 and 16-byte bases
  auto ld = [&](int64_t cols) {  // at least max(1, cols), as sgemm requires
    return aligned ? std::max<int64_t>(4, (cols + 3) / 4 * 4) + 4 * rng.intIn(0, 1)
                   : std::max<int64_t>(1, cols + rng.intIn(0, 5));
  };
  c.lda = ld(c.transA ? c.M : c.K);
  c.ldb = ld(c.transB ? c.K : c.N);
  c.ldc = ld(c.N);
  c.offA = aligned ? 0 : rng.intIn(0, 3);
  c.offB = aligned ? 0 : rng.intIn(0, 3);
  c.offC = aligned ? 0 : rng.intIn(0, 3);
  c.alpha = rng.uniform(-2.f, 2.f);
  c.beta = betas[rng.intIn(0, 2)];
  return c;
}

float roundToTf32(float x) {
  if (!std::isfinite(x)) return x;
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  bits = (bits + 0x1000u) & ~0x1FFFu;  // half of the 13 dropped bits added to the magnitude: ties away
  std::memcpy(&x, &bits, sizeof bits);
  return x;
}

void checkGemmCase(Context& ctx, const GemmCase& c, uint64_t seed, const GemmCheck& check) {
  Rng rng(seed);
  const int64_t aRows = c.transA ? c.K : c.M, bRows = c.transB ? c.N : c.K;  // stored rows
  auto a = rng.floats(c.offA + aRows * c.lda), b = rng.floats(c.offB + bRows * c.ldb);
  if (check.roundInputsToTf32) {
    for (float& v : a) v = roundToTf32(v);
    for (float& v : b) v = roundToTf32(v);
  }
  auto cInit = rng.floats(c.offC + c.M * c.ldc);
  if (c.beta == 0.f)  // C must not be read: NaN would show
    for (auto& v : cInit) v = std::numeric_limits<float>::quiet_NaN();
  DeviceArray dA(a), dB(b), dC(cInit);
  Status s = cuda::sgemm(c.transA, c.transB, c.M, c.N, c.K, c.alpha, {dA.data() + c.offA, dA.size() - c.offA},
                         c.lda, {dB.data() + c.offB, dB.size() - c.offB}, c.ldb, c.beta,
                         {dC.data() + c.offC, dC.size() - c.offC}, c.ldc);
  const char* path = cuda::sgemmTf32() ? "tf32" : "fp32";
  if (!ctx.check(s.isOk(), "[%s] %s: %s", path, c.describe().c_str(), s.message().c_str())) return;
  std::vector<float> got = dC.toHost();
  std::vector<double> want(static_cast<size_t>(c.M * c.ldc));
  for (size_t i = 0; i < want.size(); ++i) want[i] = c.beta == 0.f ? 0.0 : cInit[c.offC + i];
  reference::gemm(c.transA, c.transB, c.M, c.N, c.K, c.alpha, a.data() + c.offA, c.lda, b.data() + c.offB, c.ldb,
                  c.beta, want.data(), c.ldc);
  // Compare the M x N block, and check the padding columns of C were left alone.
  std::vector<float> gotBlock;
  std::vector<double> wantBlock;
  bool paddingKept = true;
  for (int64_t i = 0; i < c.M; ++i)
    for (int64_t j = 0; j < c.ldc; ++j) {
      const float g = got[c.offC + i * c.ldc + j];
      if (j < c.N) {
        gotBlock.push_back(g);
        wantBlock.push_back(want[i * c.ldc + j]);
      } else if (!(std::isnan(g) && std::isnan(cInit[c.offC + i * c.ldc + j])) && g != cInit[c.offC + i * c.ldc + j]) {
        paddingKept = false;
      }
    }
  const double err = relativeL2(gotBlock.data(), wantBlock.data(), int64_t(gotBlock.size()));
  ctx.check(err <= check.tolerance, "[%s%s] %s: relative L2 error %.3g (tolerance %.3g)", path,
            check.roundInputsToTf32 ? ", tf32 inputs" : "", c.describe().c_str(), err, check.tolerance);
  ctx.check(paddingKept, "[%s] %s: wrote past column N into C's padding", path, c.describe().c_str());
}

void checkLargeShapesAgainstCpu(Context& ctx, double minError, double maxError, const char* what) {
  struct Shape { bool ta, tb; int64_t M, N, K; };
  const Shape shapes[] = {{false, false, 1024, 1000, 1100}, {true, false, 700, 1300, 900},
                          {false, true, 513, 2049, 300},    {true, true, 1000, 777, 1500},
                          {false, false, 1, 4096, 2048},    {false, false, 4096, 1, 2048}};
  Rng rng(7);
  for (const Shape& s : shapes) {
    const int64_t lda = s.ta ? s.M : s.K, ldb = s.tb ? s.K : s.N;
    auto a = rng.floats(s.M * s.K), b = rng.floats(s.K * s.N);
    std::vector<float> want(size_t(s.M * s.N));
    Status cs = sgemm(s.ta, s.tb, s.M, s.N, s.K, 1.f, {a.data(), (long long)a.size()}, lda,
                      {b.data(), (long long)b.size()}, ldb, 0.f, {want.data(), (long long)want.size()}, s.N);
    DeviceArray dA(a), dB(b), dC((long long)want.size());
    Status gs = cuda::sgemm(s.ta, s.tb, s.M, s.N, s.K, 1.f, dA.span(), lda, dB.span(), ldb, 0.f, dC.span(), s.N);
    if (!ctx.check(cs.isOk() && gs.isOk(), "[%s] M=%lld N=%lld K=%lld: cpu '%s' cuda '%s'", what, (long long)s.M,
                   (long long)s.N, (long long)s.K, cs.message().c_str(), gs.message().c_str()))
      continue;
    const double err = relativeL2(dC.toHost().data(), want.data(), s.M * s.N);
    ctx.check(err <= maxError && err >= minError,
              "[%s] transA=%d transB=%d M=%lld N=%lld K=%lld vs the CPU sgemm: relative L2 %.3g, expected within "
              "[%.3g, %.3g]", what, s.ta, s.tb, (long long)s.M, (long long)s.N, (long long)s.K, err, minError, maxError);
  }
}

}  // namespace atrous::test
