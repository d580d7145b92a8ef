// The CUDA emulator's stand-in for <mma.h>: the wmma TF32 subset sgemm_tf32.cu uses (m16n16k8,
// float accumulators). A fragment's layout across a warp is opaque in CUDA, so here every lane holds
// the whole tile: loads, products and stores are per lane and give the warp's answer, and the
// alignment rules the hardware enforces (32-byte pointers, ldm a multiple of 16 bytes) are checked.
#pragma once
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "cuda_runtime.h"

namespace atrous_emu {
void fault(const char* what);  // a kernel fault: the launch fails, as a misaligned access would
}

namespace nvcuda::wmma {

struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
namespace precision {
struct tf32 {};
}  // namespace precision
enum layout_t { mem_row_major, mem_col_major };

// TF32: 10 mantissa bits, rounded to nearest with ties away from zero (cvt.rna.tf32.f32).
inline float __float_to_tf32(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  if ((bits & 0x7f800000u) != 0x7f800000u) bits = (bits + 0x1000u) & 0xffffe000u;
  std::memcpy(&v, &bits, 4);
  return v;
}

template <class Use, int M, int N, int K, class T, class Layout = void>
struct fragment;

template <int M, int N, int K, class Layout>
struct fragment<matrix_a, M, N, K, precision::tf32, Layout> {
  static constexpr int rows = M, cols = K, num_elements = M * K;
  float x[M * K];  // row-major (i, k)
};
template <int M, int N, int K, class Layout>
struct fragment<matrix_b, M, N, K, precision::tf32, Layout> {
  static constexpr int rows = K, cols = N, num_elements = K * N;
  float x[K * N];  // row-major (k, j)
};
template <int M, int N, int K>
struct fragment<accumulator, M, N, K, float, void> {
  static constexpr int rows = M, cols = N, num_elements = M * N;
  float x[M * N];  // row-major (i, j)
};

namespace detail {
inline bool aligned(const void* p, unsigned ldm) {
  if (reinterpret_cast<uintptr_t>(p) % 32 != 0) {
    atrous_emu::fault("wmma: a fragment pointer that is not 32-byte aligned");
    return false;
  }
  if (ldm % 4 != 0) {
    atrous_emu::fault("wmma: a leading dimension that is not a multiple of 16 bytes");
    return false;
  }
  return true;
}
}  // namespace detail

template <class Use, int M, int N, int K, class T>
void fill_fragment(fragment<Use, M, N, K, T>& f, float v) {
  for (float& e : f.x) e = v;
}

template <class Use, int M, int N, int K, class Layout>
void load_matrix_sync(fragment<Use, M, N, K, precision::tf32, Layout>& f, const float* p, unsigned ldm) {
  using F = fragment<Use, M, N, K, precision::tf32, Layout>;
  if (!detail::aligned(p, ldm)) return;
  constexpr bool kRowMajor = std::is_same_v<Layout, row_major>;
  for (int r = 0; r < F::rows; ++r)
    for (int c = 0; c < F::cols; ++c) f.x[r * F::cols + c] = kRowMajor ? p[r * ldm + c] : p[c * ldm + r];
}

// The tensor cores read only a TF32 operand's top 19 bits.
inline float tf32Bits(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  bits &= 0xffffe000u;
  std::memcpy(&v, &bits, 4);
  return v;
}

template <int M, int N, int K, class LayoutA, class LayoutB>
void mma_sync(fragment<accumulator, M, N, K, float>& d, const fragment<matrix_a, M, N, K, precision::tf32, LayoutA>& a,
              const fragment<matrix_b, M, N, K, precision::tf32, LayoutB>& b,
              const fragment<accumulator, M, N, K, float>& c) {
  float out[M * N];
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      float acc = c.x[i * N + j];
      for (int k = 0; k < K; ++k) acc += tf32Bits(a.x[i * K + k]) * tf32Bits(b.x[k * N + j]);
      out[i * N + j] = acc;
    }
  std::memcpy(d.x, out, sizeof(out));
}

template <int M, int N, int K>
void store_matrix_sync(float* p, const fragment<accumulator, M, N, K, float>& f, unsigned ldm, layout_t layout) {
  if (!detail::aligned(p, ldm)) return;
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) (layout == mem_row_major ? p[i * ldm + j] : p[j * ldm + i]) = f.x[i * N + j];
}

}  // namespace nvcuda::wmma
