// sgemm against the float64 reference on every ISA path and thread count: random shapes, primes,
// tile edges, padded leading dimensions, alpha/beta (beta = 0 over a NaN-filled C), a custom
// BPanelSource, and every argument check.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "../kernels/cpu/cpu_features.h"
#include "../kernels/cpu/gemm.h"
#include "../kernels/cpu/thread_pool.h"
#include "harness.h"
#include "reference.h"

using namespace atrous;

namespace {

constexpr double kTolerance = 1e-5;
const float kNaN = std::numeric_limits<float>::quiet_NaN();

struct GemmCase {
  bool transA = false, transB = false;
  int64_t M = 1, N = 1, K = 1;
  int64_t lda = 1, ldb = 1, ldc = 1;
  float alpha = 1.f, beta = 0.f;

  std::string describe(Isa isa, int threads) const {
    char buf[256];
    std::snprintf(buf, sizeof buf, "transA=%d transB=%d M=%lld N=%lld K=%lld lda=%lld ldb=%lld ldc=%lld alpha=%g beta=%g isa=%s threads=%d",
                  transA, transB, (long long)M, (long long)N, (long long)K, (long long)lda, (long long)ldb,
                  (long long)ldc, alpha, beta, isaName(isa), threads);
    return buf;
  }
  int64_t aSize() const { return transA ? (K ? (K - 1) * lda + M : 0) : (M ? (M - 1) * lda + K : 0); }
  int64_t bSize() const { return transB ? (N ? (N - 1) * ldb + K : 0) : (K ? (K - 1) * ldb + N : 0); }
  int64_t cSize() const { return M ? (M - 1) * ldc + N : 0; }
};

// Makes a case with leading dimensions padded by `pad` beyond the row length.
GemmCase makeCase(bool tA, bool tB, int64_t M, int64_t N, int64_t K, int64_t padA, int64_t padB, int64_t padC,
                  float alpha, float beta) {
  GemmCase c;
  c.transA = tA;
  c.transB = tB;
  c.M = M;
  c.N = N;
  c.K = K;
  c.lda = (tA ? M : K) + padA;
  c.ldb = (tB ? K : N) + padB;
  c.ldc = N + padC;
  c.alpha = alpha;
  c.beta = beta;
  return c;
}

// Restores the pool's thread count when a test ends, whatever it set.
struct ThreadCountGuard {
  int saved = numThreads();
  ~ThreadCountGuard() { setNumThreads(saved); }
};

// Runs one case on every ISA and thread count; compares the M x N result with the float64
// reference and checks that the padding between rows of C is untouched.
void checkCase(test::Context& ctx, const GemmCase& c, test::Rng& rng, std::initializer_list<int> threadCounts = {1, 2}) {
  const std::vector<float> A = rng.floats(c.aSize()), B = rng.floats(c.bSize());
  std::vector<float> C0 = rng.floats(c.cSize());
  const float pad = 12345.f;  // sentinel in the gaps between rows of C
  for (int64_t i = 0; i < c.M; ++i)
    for (int64_t j = c.N; j < c.ldc && i * c.ldc + j < c.cSize(); ++j) C0[i * c.ldc + j] = pad;
  std::vector<double> want(c.M * c.N);
  for (int64_t i = 0; i < c.M; ++i)
    for (int64_t j = 0; j < c.N; ++j) want[i * c.N + j] = c.beta == 0.f ? 0.0 : C0[i * c.ldc + j];
  if (c.M && c.N)
    reference::gemm(c.transA, c.transB, c.M, c.N, c.K, c.alpha, A.data(), c.lda, B.data(), c.ldb, c.beta, want.data(), c.N);
  if (c.beta == 0.f)  // must not be read, so must not propagate
    for (int64_t i = 0; i < c.M; ++i)
      for (int64_t j = 0; j < c.N; ++j) C0[i * c.ldc + j] = kNaN;

  test::forEachIsa([&](Isa isa) {
    for (int threads : threadCounts) {
      setNumThreads(threads);
      std::vector<float> C = C0;
      Status s = sgemm(c.transA, c.transB, c.M, c.N, c.K, c.alpha, {A.data(), (long long)A.size()}, c.lda,
                       {B.data(), (long long)B.size()}, c.ldb, c.beta, {C.data(), (long long)C.size()}, c.ldc);
      if (!ctx.check(s.isOk(), "%s: sgemm failed: %s", c.describe(isa, threads).c_str(), s.message().c_str())) continue;
      std::vector<float> got(c.M * c.N);
      int padTouched = 0;
      for (int64_t i = 0; i < c.M; ++i) {
        std::memcpy(got.data() + i * c.N, C.data() + i * c.ldc, sizeof(float) * c.N);
        for (int64_t j = c.N; j < c.ldc && i * c.ldc + j < c.cSize(); ++j) padTouched += C[i * c.ldc + j] != pad;
      }
      const double err = test::relativeL2(got.data(), want.data(), c.M * c.N);
      ctx.check(err <= kTolerance, "%s: relative L2 error %.3g > %.0e", c.describe(isa, threads).c_str(), err, kTolerance);
      ctx.check(padTouched == 0, "%s: wrote %d elements between the rows of C", c.describe(isa, threads).c_str(), padTouched);
    }
  });
}

const float kAlphas[] = {1.f, -0.5f, 2.25f, 0.f};
const float kBetas[] = {0.f, 1.f, -1.5f, 0.5f};

}  // namespace

ATROUS_TEST(gemmMatchesReferenceOnRandomShapes) {
  ThreadCountGuard guard;
  test::Rng rng(1);
  for (int n = 0; n < 300; ++n) {
    // Mostly small and ragged, now and then past one MC/KC block.
    const int64_t maxDim = n % 10 == 0 ? 400 : 70;
    GemmCase c = makeCase(rng.intIn(0, 1), rng.intIn(0, 1), rng.intIn(1, maxDim), rng.intIn(1, maxDim),
                          rng.intIn(1, maxDim), rng.intIn(0, 1) * rng.intIn(1, 9), rng.intIn(0, 1) * rng.intIn(1, 9),
                          rng.intIn(0, 1) * rng.intIn(1, 9), kAlphas[rng.intIn(0, 3)], kBetas[rng.intIn(0, 3)]);
    checkCase(ctx, c, rng);
  }
}

ATROUS_TEST(gemmPrimeSizesAndTileEdges) {
  ThreadCountGuard guard;
  test::Rng rng(2);
  const int64_t primes[] = {1, 7, 13, 31, 97, 257};
  for (int64_t M : primes)
    for (int64_t N : primes)
      for (int64_t K : primes) {
        const int t = int(M + 3 * N + 5 * K);  // spread the flags over the grid deterministically
        checkCase(ctx, makeCase(t & 1, (t >> 1) & 1, M, N, K, t % 3, t % 5, t % 2, kAlphas[t % 4], kBetas[(t / 4) % 4]), rng);
      }
  // Exactly one tile of each ISA, one more and one less.
  for (int64_t M : {3, 4, 5, 5, 6, 7, 13, 14, 15, 28, 29})
    for (int64_t N : {3, 4, 5, 15, 16, 17, 31, 32, 33, 64, 65})
      checkCase(ctx, makeCase(false, false, M, N, 9, 0, 0, 0, 1.f, 0.f), rng);
}

ATROUS_TEST(gemmLargeShapesAllTransposes) {
  ThreadCountGuard guard;
  test::Rng rng(3);
  struct Shape { int64_t M, N, K; };
  // Past every cache block (kc 512, mc 168, nc 4096 at most); the last is the shape of a conv
  // forward: few output channels, many pixels.
  for (Shape s : {Shape{300, 520, 700}, Shape{517, 263, 1031}, Shape{24, 4500, 147}})
    for (int t = 0; t < 4; ++t)
      checkCase(ctx, makeCase(t & 1, t >> 1, s.M, s.N, s.K, 3, 0, 5, t == 3 ? -0.75f : 1.f, t == 2 ? 0.5f : 0.f), rng);
}

ATROUS_TEST(gemmZeroSizesAndAlphaZero) {
  ThreadCountGuard guard;
  test::Rng rng(4);
  // K = 0: C = beta * C (beta = 0 writes zeros over NaN); alpha = 0: A and B are not read.
  for (float beta : kBetas) checkCase(ctx, makeCase(false, false, 5, 7, 0, 1, 0, 2, 1.f, beta), rng);  // lda >= max(1, K)
  for (float beta : kBetas) checkCase(ctx, makeCase(true, true, 9, 33, 17, 0, 0, 0, 0.f, beta), rng);
  // M = 0 or N = 0: nothing happens, even with empty buffers.
  std::vector<float> C(6, 7.f);
  const float a[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  for (int64_t M : {0, 2})
    for (int64_t N : {0, 3}) {
      if (M && N) continue;
      Status s = sgemm(false, false, M, N, 2, 1.f, {a, M ? 8 : 0}, 2, {a, N ? 8 : 0}, std::max<int64_t>(N, 1), 0.f,
                       {C.data(), 0}, std::max<int64_t>(N, 1));
      ctx.check(s.isOk(), "M=%lld N=%lld K=2: empty product rejected: %s", (long long)M, (long long)N, s.message().c_str());
    }
  ctx.check(C == std::vector<float>(6, 7.f), "an empty product wrote to C");
}

namespace {

// B(k, j) from a formula, never stored: the way a convolution packs im2col columns.
class FormulaSource final : public BPanelSource {
 public:
  static float value(int64_t k, int64_t j) { return float((k * 7 + j * 13) % 23) / 11.f - 1.f; }
  void packPanels(int64_t k0, int64_t kc, int64_t j0, int64_t nc, int nr, float* dst) const override {
    for (int64_t p = 0; p * nr < nc; ++p)
      for (int64_t k = 0; k < kc; ++k)
        for (int c = 0; c < nr; ++c) {
          const int64_t j = p * nr + c;
          dst[p * kc * nr + k * nr + c] = j < nc ? value(k0 + k, j0 + j) : 0.f;
        }
  }
};

}  // namespace

ATROUS_TEST(gemmWithCustomPanelSource) {
  ThreadCountGuard guard;
  test::Rng rng(5);
  FormulaSource source;
  struct Shape { int64_t M, N, K; };
  for (Shape s : {Shape{1, 1, 1}, Shape{13, 97, 31}, Shape{64, 700, 300}, Shape{200, 33, 600}}) {
    for (bool transA : {false, true}) {
      const int64_t lda = (transA ? s.M : s.K) + 2;
      const std::vector<float> A = rng.floats((transA ? s.K : s.M) * lda);
      std::vector<float> Bdense(s.K * s.N);
      for (int64_t k = 0; k < s.K; ++k)
        for (int64_t j = 0; j < s.N; ++j) Bdense[k * s.N + j] = FormulaSource::value(k, j);
      const std::vector<float> C0 = rng.floats(s.M * s.N);
      std::vector<double> want(C0.begin(), C0.end());
      reference::gemm(transA, false, s.M, s.N, s.K, 1.5, A.data(), lda, Bdense.data(), s.N, -1.0, want.data(), s.N);
      test::forEachIsa([&](Isa isa) {
        for (int threads : {1, 2}) {
          setNumThreads(threads);
          // Plain, serial, and from inside a parallel region (where it must run serially).
          for (int mode = 0; mode < 3; ++mode) {
            std::vector<float> C = C0;
            if (mode == 0) sgemmWithSource(transA, s.M, s.N, s.K, 1.5f, A.data(), lda, source, -1.f, C.data(), s.N);
            if (mode == 1) sgemmWithSourceSerial(transA, s.M, s.N, s.K, 1.5f, A.data(), lda, source, -1.f, C.data(), s.N);
            if (mode == 2)
              parallelFor(1, [&](int64_t) {
                sgemmWithSource(transA, s.M, s.N, s.K, 1.5f, A.data(), lda, source, -1.f, C.data(), s.N);
              });
            const double err = test::relativeL2(C.data(), want.data(), s.M * s.N);
            ctx.check(err <= kTolerance, "formula source, %s: transA=%d M=%lld N=%lld K=%lld lda=%lld alpha=1.5 beta=-1 isa=%s threads=%d: relative L2 error %.3g",
                      mode == 0 ? "sgemmWithSource" : mode == 1 ? "sgemmWithSourceSerial" : "nested in parallelFor",
                      transA, (long long)s.M, (long long)s.N, (long long)s.K, (long long)lda, isaName(isa), threads, err);
          }
        }
      });
    }
  }
}

// rowBias: added once per element of C however many K blocks there are (K past 512 makes two),
// on full and edge tiles, with and without beta, on every ISA (the AVX-512 tile adds it in its store,
// the others after the tile).
ATROUS_TEST(gemmWithSourceAddsRowBiasOnce) {
  ThreadCountGuard guard;
  test::Rng rng(7);
  FormulaSource source;
  struct Shape { int64_t M, N, K; };
  for (Shape s : {Shape{1, 1, 1}, Shape{13, 97, 31}, Shape{64, 700, 300}, Shape{24, 100, 1100}, Shape{5, 7, 0}}) {
    const int64_t lda = s.K + 3;
    const std::vector<float> A = rng.floats(std::max<int64_t>(1, s.M * lda));
    const std::vector<float> bias = rng.floats(s.M);
    std::vector<float> Bdense(std::max<int64_t>(1, s.K * s.N));
    for (int64_t k = 0; k < s.K; ++k)
      for (int64_t j = 0; j < s.N; ++j) Bdense[k * s.N + j] = FormulaSource::value(k, j);
    const std::vector<float> C0 = rng.floats(s.M * s.N);
    for (float beta : {0.f, -1.f}) {
      std::vector<double> want(C0.begin(), C0.end());
      reference::gemm(false, false, s.M, s.N, s.K, 1.5, A.data(), lda, Bdense.data(), s.N, beta, want.data(), s.N);
      for (int64_t i = 0; i < s.M; ++i)
        for (int64_t j = 0; j < s.N; ++j) want[i * s.N + j] += bias[i];
      test::forEachIsa([&](Isa isa) {
        for (int threads : {1, 2}) {
          setNumThreads(threads);
          for (bool serial : {false, true}) {
            std::vector<float> C = C0;
            if (serial)
              sgemmWithSourceSerial(false, s.M, s.N, s.K, 1.5f, A.data(), lda, source, beta, C.data(), s.N, bias.data());
            else
              sgemmWithSource(false, s.M, s.N, s.K, 1.5f, A.data(), lda, source, beta, C.data(), s.N, bias.data());
            const double err = test::relativeL2(C.data(), want.data(), s.M * s.N);
            ctx.check(err <= kTolerance, "row bias, %s: M=%lld N=%lld K=%lld alpha=1.5 beta=%g isa=%s threads=%d: relative L2 error %.3g",
                      serial ? "sgemmWithSourceSerial" : "sgemmWithSource", (long long)s.M, (long long)s.N,
                      (long long)s.K, beta, isaName(isa), threads, err);
          }
        }
      });
    }
  }
}

ATROUS_TEST(gemmMatrixSourcePacksAnyPanelWidth) {
  test::Rng rng(6);
  const int64_t K = 11, N = 19, ld = 23;
  const std::vector<float> B = rng.floats(std::max(K, N) * ld);
  test::forEachIsa([&](Isa isa) {
    for (bool trans : {false, true}) {
      MatrixBSource source(B.data(), ld, trans);
      for (int nr : {1, 4, 5, 16, 32}) {
        const int64_t k0 = 2, kc = 7, j0 = 3, nc = 13;
        const int64_t panels = (nc + nr - 1) / nr;
        std::vector<float> dst(panels * kc * nr, kNaN);
        source.packPanels(k0, kc, j0, nc, nr, dst.data());
        int wrong = 0;
        for (int64_t p = 0; p < panels; ++p)
          for (int64_t k = 0; k < kc; ++k)
            for (int c = 0; c < nr; ++c) {
              const int64_t j = p * nr + c;
              const float want = j >= nc ? 0.f : trans ? B[(j0 + j) * ld + k0 + k] : B[(k0 + k) * ld + j0 + j];
              wrong += dst[p * kc * nr + k * nr + c] != want;
            }
        ctx.check(wrong == 0, "MatrixBSource trans=%d ldb=%lld packPanels(k0=2, kc=7, j0=3, nc=13, nr=%d) isa=%s: %d wrong",
                  trans, (long long)ld, nr, isaName(isa), wrong);
      }
    }
  });
}

ATROUS_TEST(gemmRejectsBadArguments) {
  std::vector<float> a(64, 1.f), b(64, 1.f), c(64, 3.f);
  const std::vector<float> cBefore = c;
  struct Bad {
    const char* what;      // expected in the message
    GemmCase g;
    long long aSize, bSize, cSize;
  };
  auto mk = [](bool tA, bool tB, int64_t M, int64_t N, int64_t K, int64_t lda, int64_t ldb, int64_t ldc) {
    GemmCase g;
    g.transA = tA; g.transB = tB; g.M = M; g.N = N; g.K = K; g.lda = lda; g.ldb = ldb; g.ldc = ldc; g.alpha = 1.f; g.beta = 0.f;
    return g;
  };
  const int64_t huge = int64_t(1) << 62;
  const Bad cases[] = {
      {"M expects a size >= 0", mk(false, false, -1, 4, 4, 4, 4, 4), 64, 64, 64},
      {"N expects a size >= 0", mk(false, false, 4, -3, 4, 4, 4, 4), 64, 64, 64},
      {"K expects a size >= 0", mk(false, false, 4, 4, -2, 4, 4, 4), 64, 64, 64},
      {"lda expects at least 5", mk(false, false, 4, 4, 5, 4, 4, 4), 64, 64, 64},
      {"lda expects at least 6", mk(true, false, 6, 4, 4, 5, 4, 4), 64, 64, 64},
      {"lda expects at least 1", mk(false, false, 4, 4, 0, 0, 4, 4), 64, 64, 64},
      {"ldb expects at least 7", mk(false, false, 4, 7, 4, 4, 6, 7), 64, 64, 64},
      {"ldb expects at least 4", mk(false, true, 4, 7, 4, 4, 3, 7), 64, 64, 64},
      {"ldc expects at least 4", mk(false, false, 4, 4, 4, 4, 4, 3), 64, 64, 64},
      {"ldc expects at least 4 (max(1, the row length of C stored M x N), but got -8", mk(false, false, 4, 4, 4, 4, 4, -8), 64, 64, 64},
      {"A expects at least 30 elements", mk(false, false, 4, 4, 6, 8, 4, 4), 29, 64, 64},
      {"B expects at least 46 elements", mk(false, true, 4, 6, 6, 8, 8, 8), 64, 45, 64},
      {"C expects at least 16 elements", mk(false, false, 4, 4, 4, 4, 4, 4), 64, 64, 15},
      {"A spans", mk(false, false, huge, 4, 4, 4, 4, 4), 64, 64, 64},
      {"C spans", mk(false, false, 4, 4, 4, 4, 4, huge), 64, 64, 64},
      {"B spans", mk(false, true, 4, huge, 4, 4, huge, huge), 64, 64, 64},
      {"A expects at least 4611686018427387901 elements", mk(false, false, int64_t(1) << 60, 1, 1, 4, 1, 1), 64, 64, 64},
  };
  for (const Bad& bad : cases) {
    const GemmCase& g = bad.g;
    Status s = sgemm(g.transA, g.transB, g.M, g.N, g.K, g.alpha, {a.data(), bad.aSize}, g.lda, {b.data(), bad.bSize}, g.ldb,
                     g.beta, {c.data(), bad.cSize}, g.ldc);
    const std::string cfg = g.describe(activeIsa(), numThreads()) + " sizes A/B/C=" + std::to_string(bad.aSize) + "/" +
                            std::to_string(bad.bSize) + "/" + std::to_string(bad.cSize);
    ctx.check(!s.isOk(), "%s: accepted, expected an error containing '%s'", cfg.c_str(), bad.what);
    ctx.check(s.message().rfind("sgemm: ", 0) == 0 && s.message().find(bad.what) != std::string::npos,
              "%s: message '%s' does not start with 'sgemm: ' or lacks '%s'", cfg.c_str(), s.message().c_str(), bad.what);
    ctx.check(c == cBefore, "%s: C was modified by a rejected call", cfg.c_str());
  }
  // A null buffer that claims elements.
  Status s = sgemm(false, false, 2, 2, 2, 1.f, {nullptr, 4}, 2, {b.data(), 4}, 2, 0.f, {c.data(), 4}, 2);
  ctx.check(!s.isOk() && s.message().find("null") != std::string::npos, "null A with size 4 gave '%s'", s.message().c_str());
  ctx.check(c == cBefore, "C was modified by a call with a null A");
}
