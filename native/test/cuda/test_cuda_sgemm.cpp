// The CUDA SGEMM against the float64 reference (random shapes around the 128x128 tiles, both
// transposes, padded leading dimensions, misaligned bases that force the scalar loads) and against
// the CPU sgemm on larger shapes; then its argument checks.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "../../kernels/cpu/gemm.h"
#include "../../kernels/cuda/sgemm.h"
#include "../reference.h"
#include "cuda_harness.h"

using namespace atrous;
using test::Context;
using test::DeviceArray;
using test::Rng;

namespace {

constexpr double kTolerance = 1e-5;

struct GemmCase {
  bool transA, transB;
  int64_t M, N, K, lda, ldb, ldc, offA, offB, offC;
  float alpha, beta;
  std::string describe() const {
    char buf[256];
    std::snprintf(buf, sizeof buf, "transA=%d transB=%d M=%lld N=%lld K=%lld lda=%lld ldb=%lld ldc=%lld "
                  "offsets=%lld,%lld,%lld alpha=%g beta=%g", transA, transB, (long long)M, (long long)N,
                  (long long)K, (long long)lda, (long long)ldb, (long long)ldc, (long long)offA, (long long)offB,
                  (long long)offC, alpha, beta);
    return buf;
  }
};

int64_t pickSize(Rng& rng) {
  switch (rng.intIn(0, 3)) {
    case 0: return rng.intIn(1, 9);
    case 1: return 128 * rng.intIn(1, 3) + rng.intIn(-2, 2);  // tile edges
    default: return rng.intIn(1, 300);
  }
}

void checkCase(Context& ctx, const GemmCase& c, uint64_t seed) {
  Rng rng(seed);
  const int64_t aRows = c.transA ? c.K : c.M, bRows = c.transB ? c.N : c.K;  // stored rows
  auto a = rng.floats(c.offA + aRows * c.lda), b = rng.floats(c.offB + bRows * c.ldb);
  auto cInit = rng.floats(c.offC + c.M * c.ldc);
  if (c.beta == 0.f)  // C must not be read: NaN would show
    for (auto& v : cInit) v = std::numeric_limits<float>::quiet_NaN();
  DeviceArray dA(a), dB(b), dC(cInit);
  Status s = cuda::sgemm(c.transA, c.transB, c.M, c.N, c.K, c.alpha, {dA.data() + c.offA, dA.size() - c.offA},
                         c.lda, {dB.data() + c.offB, dB.size() - c.offB}, c.ldb, c.beta,
                         {dC.data() + c.offC, dC.size() - c.offC}, c.ldc);
  if (!ctx.check(s.isOk(), "%s: %s", c.describe().c_str(), s.message().c_str())) return;
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
  const double err = test::relativeL2(gotBlock.data(), wantBlock.data(), int64_t(gotBlock.size()));
  ctx.check(err <= kTolerance, "%s: relative L2 error %.3g", c.describe().c_str(), err);
  ctx.check(paddingKept, "%s: wrote past column N into C's padding", c.describe().c_str());
}

}  // namespace

ATROUS_CUDA_TEST(cudaSgemmRandomShapesMatchFloat64) {
  Rng rng(42);
  const float betas[] = {0.f, 1.f, -0.5f};
  for (int i = 0; i < 80; ++i) {
    GemmCase c;
    c.transA = rng.intIn(0, 1);
    c.transB = rng.intIn(0, 1);
    c.M = pickSize(rng);
    c.N = pickSize(rng);
    c.K = i % 10 == 0 ? rng.intIn(0, 3) : pickSize(rng);  // K = 0: C = beta * C
    const bool aligned = rng.intIn(0, 2) != 0;            // ld a multiple of 4 and 16-byte bases
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
    checkCase(ctx, c, 100 + i);
  }
}

ATROUS_CUDA_TEST(cudaSgemmLargeMatchesCpu) {
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
    if (!ctx.check(cs.isOk() && gs.isOk(), "M=%lld N=%lld K=%lld: cpu '%s' cuda '%s'", (long long)s.M,
                   (long long)s.N, (long long)s.K, cs.message().c_str(), gs.message().c_str()))
      continue;
    const double err = test::relativeL2(dC.toHost().data(), want.data(), s.M * s.N);
    ctx.check(err <= kTolerance, "transA=%d transB=%d M=%lld N=%lld K=%lld vs the CPU sgemm: relative L2 %.3g", s.ta,
              s.tb, (long long)s.M, (long long)s.N, (long long)s.K, err);
  }
}

ATROUS_CUDA_ARGS_TEST(cudaSgemmRejectsBadArguments) {
  std::vector<float> a(64), b(64), c(64);
  ConstFloatSpan A{a.data(), 64}, B{b.data(), 64};
  FloatSpan C{c.data(), 64};
  struct Case { const char* what; Status s; const char* mentions; };
  const Case cases[] = {
      {"negative M", cuda::sgemm(false, false, -1, 4, 4, 1.f, A, 4, B, 4, 0.f, C, 4), "M expects"},
      {"lda below K", cuda::sgemm(false, false, 4, 4, 8, 1.f, A, 7, B, 4, 0.f, C, 4), "lda"},
      {"ldb below K (transB)", cuda::sgemm(false, true, 4, 4, 8, 1.f, A, 8, B, 7, 0.f, C, 4), "ldb"},
      {"short A", cuda::sgemm(false, false, 9, 4, 8, 1.f, A, 8, B, 4, 0.f, C, 4), "A expects"},
      {"short C", cuda::sgemm(false, false, 8, 9, 4, 1.f, A, 4, {b.data(), 64}, 9, 0.f, C, 9), "C expects"},
      {"null B", cuda::sgemm(false, false, 4, 4, 4, 1.f, A, 4, {nullptr, 16}, 4, 0.f, C, 4), "null"},
  };
  for (const Case& k : cases)
    ctx.check(!k.s.isOk() && k.s.message().find(k.mentions) != std::string::npos &&
                  k.s.message().find("sgemm (cuda)") != std::string::npos,
              "%s: expected an error naming 'sgemm (cuda)' and '%s', got '%s'", k.what, k.mentions,
              k.s.message().c_str());
}
