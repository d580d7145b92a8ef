// The ISA-specific half of the GEMM: microkernels and packing routines, one set per ISA file
// (gemm_avx512.cpp, gemm_avx2.cpp, gemm_neon.cpp, gemm_scalar.cpp), gathered with the block sizes into one table
// in gemm.cpp. Internal to the CPU kernels.
//
// Packed layouts (what every routine below reads or writes):
//   A block (mc x kc): ceil(mc/MR) panels of MR rows, k-major: dst[p*kc*MR + k*MR + r] = op(A)(i0+p*MR+r, k0+k)
//   B block (kc x nc): ceil(nc/NR) panels of NR columns:     dst[p*kc*NR + k*NR + c] = op(B)(k0+k, j0+p*NR+c)
// Rows/columns past the edge of the matrix are written as zeros, so a microkernel always runs full.
#pragma once
#include <cstdint>

namespace atrous::gemm {

// C[0..MR) x [0..NR) (row stride ldc) = alpha * Apanel * Bpanel + beta * C over kc steps.
// With beta == 0, C is only written, never read.
using MicroKernelFn = void (*)(int64_t kc, const float* packedA, const float* packedB, float alpha, float beta,
                               float* c, int64_t ldc);
// The same plus rowBias[r] on row r of the tile (a convolution's bias, added in the store).
using MicroBiasKernelFn = void (*)(int64_t kc, const float* packedA, const float* packedB, float alpha, float beta,
                                   float* c, int64_t ldc, const float* rowBias);
// Packs op(A)[i0, i0+mc) x [k0, k0+kc); op(A)(i,k) = transA ? A[k*lda + i] : A[i*lda + k].
using PackAFn = void (*)(bool transA, const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t k0, int64_t kc,
                         float* dst);
// Packs op(B)[k0, k0+kc) x [j0, j0+nc); op(B)(k,j) = transB ? B[j*ldb + k] : B[k*ldb + j].
using PackBFn = void (*)(bool transB, const float* B, int64_t ldb, int64_t k0, int64_t kc, int64_t j0, int64_t nc,
                         float* dst);

// Microkernel shapes: fixed by the register blocking of each ISA file.
constexpr int kAvx512Mr = 8, kAvx512Nr = 48;
constexpr int kAvx2Mr = 6, kAvx2Nr = 16;
constexpr int kNeonMr = 8, kNeonNr = 12;  // 24 of the 32 q registers accumulate, 2 hold A, 3 hold B
constexpr int kScalarMr = 4, kScalarNr = 4;
constexpr int kMaxTileFloats = 8 * 48;  // the largest MR x NR above (edge tiles go through a local tile)
static_assert(kAvx512Mr * kAvx512Nr <= kMaxTileFloats && kAvx2Mr * kAvx2Nr <= kMaxTileFloats &&
                  kNeonMr * kNeonNr <= kMaxTileFloats && kScalarMr * kScalarNr <= kMaxTileFloats,
              "an edge tile must fit the local tile");

struct KernelTable {
  const char* name;
  int mr, nr;
  int64_t mc, kc, nc;  // cache blocks: A block mc x kc in L2, B block kc x nc in L3, B panel kc x nr in L1
  MicroKernelFn micro;
  PackAFn packA;
  PackBFn packB;
  MicroBiasKernelFn microBias = nullptr;  // null: the bias is added after micro
};

// The table for the ISA the kernels dispatch to now (activeIsa(); tests switch it with forceIsa).
const KernelTable& activeKernels();

// Defined in the ISA files (names are ISA-unique: each file is compiled with its own -m flags).
void gemmMicroAvx512_8x48(int64_t kc, const float* a, const float* b, float alpha, float beta, float* c, int64_t ldc);
void gemmMicroBiasAvx512_8x48(int64_t kc, const float* a, const float* b, float alpha, float beta, float* c,
                               int64_t ldc, const float* rowBias);
void packAAvx512(bool transA, const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t k0, int64_t kc, float* dst);
void packBAvx512(bool transB, const float* B, int64_t ldb, int64_t k0, int64_t kc, int64_t j0, int64_t nc, float* dst);

void gemmMicroAvx2_6x16(int64_t kc, const float* a, const float* b, float alpha, float beta, float* c, int64_t ldc);
void packAAvx2(bool transA, const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t k0, int64_t kc, float* dst);
void packBAvx2(bool transB, const float* B, int64_t ldb, int64_t k0, int64_t kc, int64_t j0, int64_t nc, float* dst);

void gemmMicroNeon_8x12(int64_t kc, const float* a, const float* b, float alpha, float beta, float* c, int64_t ldc);
void packANeon(bool transA, const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t k0, int64_t kc, float* dst);
void packBNeon(bool transB, const float* B, int64_t ldb, int64_t k0, int64_t kc, int64_t j0, int64_t nc, float* dst);

void gemmMicroScalar_4x4(int64_t kc, const float* a, const float* b, float alpha, float beta, float* c, int64_t ldc);
void packAScalar(bool transA, const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t k0, int64_t kc, float* dst);
void packBScalar(bool transB, const float* B, int64_t ldb, int64_t k0, int64_t kc, int64_t j0, int64_t nc, float* dst);

}  // namespace atrous::gemm
