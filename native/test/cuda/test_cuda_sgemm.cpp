// The CUDA SGEMM's FP32 path against the float64 reference (random shapes around the 128x128 tiles,
// both transposes, padded leading dimensions, misaligned bases that force the scalar loads) and
// against the CPU sgemm on larger shapes; then its argument checks. The TF32 path and the batched
// core: test_cuda_sgemm_tf32.cpp.
#include <string>
#include <vector>

#include "../../kernels/cpu/gemm.h"
#include "../../kernels/cuda/sgemm.h"
#include "cuda_harness.h"
#include "sgemm_cases.h"

using namespace atrous;
using test::Context;
using test::DeviceArray;
using test::Rng;

namespace {

constexpr double kTolerance = 1e-5;

}  // namespace

ATROUS_CUDA_TEST(cudaSgemmRandomShapesMatchFloat64) {
  test::Tf32Scope fp32(false);
  Rng rng(42);
  for (int i = 0; i < 80; ++i) test::checkGemmCase(ctx, test::randomGemmCase(rng, i), 100 + i, {kTolerance, false});
}

ATROUS_CUDA_TEST(cudaSgemmLargeMatchesCpu) {
  test::Tf32Scope fp32(false);
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
