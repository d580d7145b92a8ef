// The TF32 switch and the tensor-core SGEMM behind it: the switch's default and restore, TF32-valued
// inputs against float64 at nearly FP32 tolerance (random shapes around the tiles, sizes 1 and primes,
// both transposes, padded and misaligned operands, beta = 0 over NaN), raw inputs within TF32's
// rounding on large shapes, FP32 bits back once it is off; and the batched core (GemmBatch) on both
// paths, past the 65535 limit of gridDim.z. Tolerances: sgemm_cases.h.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "../../kernels/cpu/gemm.h"
#include "../../kernels/cuda/sgemm.h"
#include "../reference.h"
#include "cuda_harness.h"
#include "sgemm_cases.h"

using namespace atrous;
using test::Context;
using test::DeviceArray;
using test::GemmCase;
using test::Rng;
using test::Tf32Scope;

namespace {

constexpr double kFp32Tolerance = 1e-5;

bool tf32FromEnvironment() {
  const char* v = std::getenv("ATROUS_CUDA_TF32");
  return v != nullptr && std::strcmp(v, "1") == 0;
}

// The tightest legal case of a shape: leading dimensions equal to the stored columns.
GemmCase tightCase(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float beta) {
  const int64_t lda = std::max<int64_t>(1, ta ? M : K), ldb = std::max<int64_t>(1, tb ? K : N);
  return GemmCase{ta, tb, M, N, K, lda, ldb, std::max<int64_t>(1, N), 0, 0, 0, 1.25f, beta};
}

// A batch of GEMMs z = (outer, inner) over slots of one buffer per operand, laid out outer-major,
// inner-major or (A and B only) shared by every outer index, as a convolution's weights are.
struct BatchCase {
  bool transA, transB;
  int64_t M, N, K, lda, ldb, ldc;
  int64_t slotA, slotB, slotC;  // floats per slot: rows * ld plus padding
  int layoutA, layoutB, layoutC;  // 0 outer-major, 1 inner-major, 2 shared across outer
  cuda::GemmBatch batch;
  float alpha, beta;
  std::string describe() const {
    char buf[320];
    std::snprintf(buf, sizeof buf, "transA=%d transB=%d M=%lld N=%lld K=%lld lda=%lld ldb=%lld ldc=%lld count=%lld "
                  "inner=%lld strides A=%lld,%lld B=%lld,%lld C=%lld,%lld alpha=%g beta=%g", transA, transB,
                  (long long)M, (long long)N, (long long)K, (long long)lda, (long long)ldb, (long long)ldc,
                  (long long)batch.count, (long long)batch.inner, (long long)batch.aOuter, (long long)batch.aInner,
                  (long long)batch.bOuter, (long long)batch.bInner, (long long)batch.cOuter, (long long)batch.cInner,
                  alpha, beta);
    return buf;
  }
};

int64_t outerCount(const cuda::GemmBatch& b) { return (b.count + b.inner - 1) / b.inner; }

// Strides of one operand's slots and the floats its buffer needs.
void layOut(int layout, int64_t slot, const cuda::GemmBatch& b, int64_t* outerStride, int64_t* innerStride,
            int64_t* floats) {
  const int64_t outers = outerCount(b);
  switch (layout) {
    case 0: *outerStride = b.inner * slot, *innerStride = slot, *floats = outers * b.inner * slot; break;
    case 1: *outerStride = slot, *innerStride = outers * slot, *floats = outers * b.inner * slot; break;
    default: *outerStride = 0, *innerStride = slot, *floats = b.inner * slot; break;
  }
}

BatchCase randomBatchCase(Rng& rng) {
  BatchCase c{};
  c.transA = rng.intIn(0, 1);
  c.transB = rng.intIn(0, 1);
  auto size = [&] { return rng.intIn(0, 2) == 0 ? rng.intIn(1, 9) : rng.intIn(1, 150); };
  c.M = size();
  c.N = size();
  c.K = size();
  const bool aligned = rng.intIn(0, 1) != 0;
  auto ld = [&](int64_t cols) {
    return aligned ? (cols + 3) / 4 * 4 + 4 * rng.intIn(0, 1) : cols + rng.intIn(0, 3);
  };
  auto pad = [&] { return aligned ? 4 * rng.intIn(0, 2) : rng.intIn(0, 5); };
  c.lda = ld(c.transA ? c.M : c.K);
  c.ldb = ld(c.transB ? c.K : c.N);
  c.ldc = ld(c.N);
  c.slotA = (c.transA ? c.K : c.M) * c.lda + pad();
  c.slotB = (c.transB ? c.N : c.K) * c.ldb + pad();
  c.slotC = c.M * c.ldc + pad();
  c.batch.count = rng.intIn(1, 7);
  c.batch.inner = rng.intIn(1, 3);
  c.layoutA = int(rng.intIn(0, 2));
  c.layoutB = int(rng.intIn(0, 2));
  c.layoutC = int(rng.intIn(0, 1));
  c.alpha = rng.uniform(-2.f, 2.f);
  const float betas[] = {0.f, 1.f, -0.5f};
  c.beta = betas[rng.intIn(0, 2)];
  return c;
}

// Runs the batch through cuda::sgemmBatched and checks every GEMM's block against reference::gemm, and
// that nothing outside the blocks (padding columns, slot padding) was written.
void checkBatchCase(Context& ctx, BatchCase c, uint64_t seed, const test::GemmCheck& check) {
  int64_t floatsA, floatsB, floatsC;
  layOut(c.layoutA, c.slotA, c.batch, &c.batch.aOuter, &c.batch.aInner, &floatsA);
  layOut(c.layoutB, c.slotB, c.batch, &c.batch.bOuter, &c.batch.bInner, &floatsB);
  layOut(c.layoutC, c.slotC, c.batch, &c.batch.cOuter, &c.batch.cInner, &floatsC);
  Rng rng(seed);
  auto a = rng.floats(floatsA), b = rng.floats(floatsB), cInit = rng.floats(floatsC);
  if (check.roundInputsToTf32) {
    for (float& v : a) v = test::roundToTf32(v);
    for (float& v : b) v = test::roundToTf32(v);
  }
  if (c.beta == 0.f)
    for (float& v : cInit) v = std::numeric_limits<float>::quiet_NaN();
  DeviceArray dA(a), dB(b), dC(cInit);
  const char* path = cuda::sgemmTf32() ? "tf32" : "fp32";
  Status s = cuda::sgemmBatched(c.transA, c.transB, c.M, c.N, c.K, c.alpha, dA.data(), c.lda, dB.data(), c.ldb,
                                c.beta, dC.data(), c.ldc, c.batch, nullptr);
  if (!ctx.check(s.isOk(), "[%s] %s: %s", path, c.describe().c_str(), s.message().c_str())) return;
  const std::vector<float> got = dC.toHost();

  std::vector<double> want(cInit.begin(), cInit.end());
  std::vector<char> inBlock(cInit.size(), 0);
  for (int64_t z = 0; z < c.batch.count; ++z) {
    const int64_t outer = z / c.batch.inner, inner = z % c.batch.inner;
    const int64_t offA = outer * c.batch.aOuter + inner * c.batch.aInner;
    const int64_t offB = outer * c.batch.bOuter + inner * c.batch.bInner;
    const int64_t offC = outer * c.batch.cOuter + inner * c.batch.cInner;
    for (int64_t i = 0; i < c.M; ++i)
      for (int64_t j = 0; j < c.N; ++j) {
        inBlock[size_t(offC + i * c.ldc + j)] = 1;
        if (c.beta == 0.f) want[size_t(offC + i * c.ldc + j)] = 0.0;
      }
    reference::gemm(c.transA, c.transB, c.M, c.N, c.K, c.alpha, a.data() + offA, c.lda, b.data() + offB, c.ldb,
                    c.beta, want.data() + offC, c.ldc);
  }
  std::vector<float> gotBlocks;
  std::vector<double> wantBlocks;
  bool outsideKept = true;
  for (size_t i = 0; i < got.size(); ++i) {
    if (inBlock[i]) {
      gotBlocks.push_back(got[i]);
      wantBlocks.push_back(want[i]);
    } else if (!(std::isnan(got[i]) && std::isnan(cInit[i])) && got[i] != cInit[i]) {
      outsideKept = false;
    }
  }
  const double err = test::relativeL2(gotBlocks.data(), wantBlocks.data(), int64_t(gotBlocks.size()));
  ctx.check(err <= check.tolerance, "[%s] %s: relative L2 error %.3g (tolerance %.3g)", path, c.describe().c_str(),
            err, check.tolerance);
  ctx.check(outsideKept, "[%s] %s: wrote outside the M x N blocks", path, c.describe().c_str());
}

}  // namespace

ATROUS_CUDA_ARGS_TEST(cudaSgemmTf32SwitchDefaultsOffAndRestores) {
  const bool initial = tf32FromEnvironment();
  ctx.check(cuda::sgemmTf32() == initial, "the TF32 switch reads %d, expected %d (ATROUS_CUDA_TF32=%s)",
            cuda::sgemmTf32(), initial, initial ? "1" : "unset or not 1");
  {
    Tf32Scope on(true);
    ctx.check(cuda::sgemmTf32(), "setSgemmTf32(true) left it off");
    // The argument checks come first on either path (host pointers: nothing is dereferenced).
    std::vector<float> a(64), b(64), c(64);
    Status s = cuda::sgemm(false, false, 4, 4, 8, 1.f, {a.data(), 64}, 7, {b.data(), 64}, 4, 0.f, {c.data(), 64}, 4);
    ctx.check(!s.isOk() && s.message().find("lda") != std::string::npos &&
                  s.message().find("sgemm (cuda)") != std::string::npos,
              "TF32 on, lda below K: expected an error naming 'sgemm (cuda)' and 'lda', got '%s'", s.message().c_str());
    cuda::setSgemmTf32(false);
    ctx.check(!cuda::sgemmTf32(), "setSgemmTf32(false) left it on");
    cuda::setSgemmTf32(true);
  }
  ctx.check(cuda::sgemmTf32() == initial, "leaving the scope did not restore the switch to %d", initial);
}

ATROUS_CUDA_TEST(cudaSgemmTf32InputsMatchFloat64) {
  Tf32Scope tf32(true);
  const test::GemmCheck check{test::kTf32InputsTolerance, true};
  Rng rng(42);  // the FP32 test's random cases
  for (int i = 0; i < 80; ++i) test::checkGemmCase(ctx, test::randomGemmCase(rng, i), 100 + i, check);
  // Sizes the draw rarely combines: 1, primes, K around the 16-deep steps and the 8-deep mma.
  const GemmCase edges[] = {
      tightCase(false, false, 1, 1, 1, 0.f),     tightCase(true, true, 1, 1, 1, 1.f),
      tightCase(false, true, 127, 131, 17, 0.f), tightCase(true, false, 257, 7, 8, -0.5f),
      tightCase(false, false, 13, 257, 15, 1.f), tightCase(true, true, 131, 127, 16, 0.f),
      tightCase(false, true, 3, 5, 257, -0.5f),  tightCase(true, false, 1, 263, 24, 0.f),
      tightCase(false, false, 263, 1, 9, 1.f),   tightCase(true, true, 2, 3, 129, 0.f),
  };
  int i = 0;
  for (const GemmCase& c : edges) test::checkGemmCase(ctx, c, 500 + i++, check);
}

// Raw float inputs: within TF32's rounding of the CPU sgemm (whose own error, ~1e-6, is negligible
// here), and visibly not FP32.
ATROUS_CUDA_TEST(cudaSgemmTf32LargeWithinTf32Rounding) {
  Tf32Scope tf32(true);
  test::checkLargeShapesAgainstCpu(ctx, test::kTf32Floor, test::kTf32Tolerance, "tf32");
}

// The same raw-input GEMM with the switch off, on, and off again: TF32 changes the bits, and turning
// it off gives FP32's bits back.
ATROUS_CUDA_TEST(cudaSgemmTf32OffIsTheFp32Path) {
  const int64_t M = 200, N = 190, K = 300;
  Rng rng(11);
  auto a = rng.floats(M * K), b = rng.floats(K * N), cInit = rng.floats(M * N);
  DeviceArray dA(a), dB(b), dC(cInit);
  auto run = [&] {
    dC.upload(cInit);
    DeviceArray::must(cuda::sgemm(false, true, M, N, K, 0.75f, dA.span(), K, dB.span(), K, 0.5f, dC.span(), N));
    return dC.toHost();
  };
  std::vector<float> fp32, tf32, again;
  {
    Tf32Scope off(false);
    fp32 = run();
  }
  {
    Tf32Scope on(true);
    tf32 = run();
    cuda::setSgemmTf32(false);
    again = run();
  }
  ctx.check(!test::sameBits(fp32, tf32), "TF32 on gave the FP32 path's bits: the switch did not reach the kernel");
  ctx.check(test::sameBits(fp32, again), "TF32 switched off again did not give the FP32 path's bits back");
}

ATROUS_CUDA_TEST(cudaSgemmBatchedMatchesFloat64) {
  for (bool tf32 : {false, true}) {
    Tf32Scope scope(tf32);
    const test::GemmCheck check = tf32 ? test::GemmCheck{test::kTf32InputsTolerance, true}
                                       : test::GemmCheck{kFp32Tolerance, false};
    Rng rng(2024);
    for (int i = 0; i < 30; ++i) checkBatchCase(ctx, randomBatchCase(rng), 800 + i, check);
    // More GEMMs than gridDim.z holds (65535): the launches are chunked, z continues across them.
    BatchCase many{};
    many.M = 3, many.N = 2, many.K = 5, many.lda = 5, many.ldb = 2, many.ldc = 2;
    many.slotA = 15, many.slotB = 10, many.slotC = 7;
    many.layoutA = 0, many.layoutB = 2, many.layoutC = 1;
    many.batch.count = 65535 + 9;
    many.batch.inner = 3;
    many.alpha = 1.f, many.beta = 0.f;
    checkBatchCase(ctx, many, 900, check);
  }
}
