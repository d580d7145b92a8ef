// One device-SGEMM case (shape, transposes, leading dimensions, offsets that misalign the bases,
// alpha, beta), drawn at random around the 128x128 tiles and checked against the float64 reference;
// shared by the FP32 and TF32 tests. Each failing case prints its whole configuration.
#pragma once
#include <cstdint>
#include <string>

#include "../harness.h"

namespace atrous::test {

// Tolerances of the TF32 path, on the relative L2 error against float64:
// - raw float inputs: each is rounded to TF32 with relative error <= 2^-11 (RMS 2^-11/sqrt(3)) and a
//   product carries two such errors, so random data shows about sqrt(2/3) * 2^-11 ~ 4e-4; allow 2^-9.
// - and at least kTf32Floor (a tenth of that): FP32 stays near 1e-6, so a result this close to
//   float64 means the call never reached the tensor cores.
// - inputs already TF32 (roundToTf32): products are exact in float (11 + 11 significant bits), only
//   the float sums differ from float64, as on the FP32 path; tensor cores truncate their sums rather
//   than round them, hence twice the FP32 tests' 1e-5. One wrong element of a 300 x 300 block
//   shows ~3e-3.
constexpr double kTf32Tolerance = 0x1p-9;
constexpr double kTf32Floor = 4e-5;
constexpr double kTf32InputsTolerance = 2e-5;

struct GemmCase {
  bool transA, transB;
  int64_t M, N, K, lda, ldb, ldc, offA, offB, offC;
  float alpha, beta;
  std::string describe() const;
};

// Sizes 1..9, tile edges (128, 256, 384 +-2) and anything in 1..300; K = 0 now and then; leading
// dimensions padded, either aligned (multiples of 4 on 16-byte bases: the float4 loads) or not.
GemmCase randomGemmCase(Rng& rng, int index);

// The float nearest x with a 10-bit mantissa, ties away from zero: what cvt.rna.tf32.f32 (and so
// the TF32 kernel) makes of it. TF32 values pass through the kernel's rounding unchanged.
float roundToTf32(float x);

struct GemmCheck {
  double tolerance;        // on the relative L2 error of the M x N block
  bool roundInputsToTf32;  // A and B drawn as TF32 values (C, alpha and beta stay float)
};

// Runs c through cuda::sgemm (on whichever path the TF32 switch selects) with inputs drawn from seed,
// C NaN-filled when beta == 0; checks the block against reference::gemm and that C's padding
// columns are untouched.
void checkGemmCase(Context& ctx, const GemmCase& c, uint64_t seed, const GemmCheck& check);

// Six large shapes (every transpose, M or N of 1) through cuda::sgemm on whichever path the TF32
// switch selects, against the CPU sgemm: the relative L2 error must lie in [minError, maxError].
// what names the path in failures.
void checkLargeShapesAgainstCpu(Context& ctx, double minError, double maxError, const char* what);

}  // namespace atrous::test
