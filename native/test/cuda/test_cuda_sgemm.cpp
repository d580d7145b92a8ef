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
  test::checkLargeShapesAgainstCpu(ctx, 0.0, kTolerance, "fp32");
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
