// Single-precision GEMM, row-major: C = alpha * op(A) * op(B) + beta * C.
// BLIS-style: a portable five-loop nest over cache blocks; only the microkernel and the packing
// routines know the ISA (gemm_avx512.cpp, gemm_avx2.cpp, gemm_scalar.cpp), chosen at run time.
// With beta == 0, C is never read (it may hold NaN).
#pragma once
#include <cstdint>

#include "../status.h"

namespace atrous {

// Checked entry point: validates sizes, leading dimensions and that every buffer is long enough
// for the elements it will be asked for (64-bit arithmetic, overflow checked).
Status sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
             ConstFloatSpan A, int64_t lda, ConstFloatSpan B, int64_t ldb, float beta,
             FloatSpan C, int64_t ldc);

// A source of the logical K x N matrix B that packs itself, so that a convolution can pack GEMM
// panels straight from the image (im2col fused into packing) instead of materializing columns.
class BPanelSource {
 public:
  virtual ~BPanelSource() = default;
  // Writes rows [k0, k0+kc) x columns [j0, j0+nc) of B into dst as ceil(nc/nr) panels of nr
  // columns each, k-major inside a panel: dst[p*kc*nr + k*nr + c] = B(k0+k, j0+p*nr+c).
  // Columns past nc in the last panel are written as zeros. Must be safe to call concurrently.
  virtual void packPanels(int64_t k0, int64_t kc, int64_t j0, int64_t nc, int nr, float* dst) const = 0;
};

// The same for the logical M x K matrix op(A), for an operand that is not one strided matrix.
class APanelSource {
 public:
  virtual ~APanelSource() = default;
  // Writes rows [i0, i0+mc) x columns [k0, k0+kc) of A into dst as ceil(mc/mr) panels of mr rows,
  // k-major inside a panel: dst[p*kc*mr + k*mr + r] = A(i0+p*mr+r, k0+k). Rows past mc in the
  // last panel are written as zeros. Must be safe to call concurrently.
  virtual void packPanels(int64_t i0, int64_t mc, int64_t k0, int64_t kc, int mr, float* dst) const = 0;
};

// A plain strided matrix as a BPanelSource (op(B) = B or B^T).
class MatrixBSource final : public BPanelSource {
 public:
  MatrixBSource(const float* b, int64_t ldb, bool trans) : b_(b), ldb_(ldb), trans_(trans) {}
  void packPanels(int64_t k0, int64_t kc, int64_t j0, int64_t nc, int nr, float* dst) const override;

 private:
  const float* b_;
  int64_t ldb_;
  bool trans_;
};

// Unchecked core used by the checked entry and by the convolutions (whose geometry is already
// validated): C (M x N, ldc) = alpha * op(A) * B + beta * C, where op(A) is M x K, plus rowBias[i]
// on row i when rowBias is given (added to each tile as it is written: a convolution's bias
// without a separate pass over C).
// Spreads over the thread pool unless called from inside a parallel region.
void sgemmWithSource(bool transA, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                     int64_t lda, const BPanelSource& B, float beta, float* C, int64_t ldc,
                     const float* rowBias = nullptr);

// Same, with A packed by a source as well.
void sgemmWithSources(int64_t M, int64_t N, int64_t K, float alpha, const APanelSource& A, const BPanelSource& B,
                      float beta, float* C, int64_t ldc);

// Same as sgemmWithSource, but never uses the pool (for callers that parallelize at a coarser level).
void sgemmWithSourceSerial(bool transA, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                           int64_t lda, const BPanelSource& B, float beta, float* C, int64_t ldc,
                           const float* rowBias = nullptr);

}  // namespace atrous
