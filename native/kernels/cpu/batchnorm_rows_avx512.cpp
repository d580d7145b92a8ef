// Batch norm's block loops for AVX-512: 8 floats widened to 8 doubles at a time, two accumulators per
// sum; tails by masked loads and stores. normalise rounds the product and the sum separately (the
// *_round_pd forms are never fused into an FMA), matching the scalar path and the CUDA kernels. The
// fused ReLU is a max on the rounded float, and its gradient mask a masked load of dy.
// GCC 12.2's AVX-512 headers make their unused pass-through operands with `__m512d __Y = __Y;`, which it then
// reports as -Wmaybe-uninitialized wherever _mm512_cvtps_pd or a *_round_pd form inlines (a false positive).
// Silenced for the header's lines only: warnings in this file's own code still show.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#else
#include <immintrin.h>
#endif

#include "batchnorm_rows.h"

namespace atrous::bnrows {
namespace {

constexpr int kRn = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;

__mmask8 tailMask(int64_t left) { return static_cast<__mmask8>(left >= 8 ? 0xff : (1u << left) - 1); }
__m512d widen(const float* p, __mmask8 m) { return _mm512_cvtps_pd(_mm256_maskz_loadu_ps(m, p)); }
__m512d widen(const float* p) { return _mm512_cvtps_pd(_mm256_loadu_ps(p)); }
void narrow(float* p, __m512d v, __mmask8 m) { _mm256_mask_storeu_ps(p, m, _mm512_cvt_roundpd_ps(v, kRn)); }

// The sum of v's 8 lanes in _mm512_reduce_add_pd's order (halves, then quarters, then the last pair),
// so sums keep their bits. Written out because GCC 12's reduce (its extracts pass _mm256_undefined_pd)
// prints -Wmaybe-uninitialized; the store lets the compiler pick the shuffles.
double sumLanes(__m512d v) {
  alignas(64) double l[8];
  _mm512_store_pd(l, v);
  return ((l[0] + l[4]) + (l[2] + l[6])) + ((l[1] + l[5]) + (l[3] + l[7]));
}

double sum(const float* x, int64_t n) {
  __m512d a = _mm512_setzero_pd(), b = _mm512_setzero_pd();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    a = _mm512_add_pd(a, widen(x + i));
    b = _mm512_add_pd(b, widen(x + i + 8));
  }
  for (; i < n; i += 8) a = _mm512_add_pd(a, widen(x + i, tailMask(n - i)));
  return sumLanes(_mm512_add_pd(a, b));
}

double squaredDeviation(const float* x, int64_t n, double mean) {
  const __m512d m = _mm512_set1_pd(mean);
  __m512d a = _mm512_setzero_pd(), b = _mm512_setzero_pd();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512d d0 = _mm512_sub_pd(widen(x + i), m), d1 = _mm512_sub_pd(widen(x + i + 8), m);
    a = _mm512_fmadd_pd(d0, d0, a);
    b = _mm512_fmadd_pd(d1, d1, b);
  }
  for (; i < n; i += 8) {
    const __mmask8 t = tailMask(n - i);
    const __m512d d = _mm512_maskz_sub_pd(t, widen(x + i, t), m);  // lanes past n stay 0
    a = _mm512_fmadd_pd(d, d, a);
  }
  return sumLanes(_mm512_add_pd(a, b));
}

// The lanes of k whose dy passes the fused ReLU: reluOut > 0 or NaN (reluBackward's !(v <= 0)); all of k
// when not fused. Lanes left out load as +0, the value reluBackward writes there.
template <bool kMasked>
__mmask8 passing(const float* reluOut, int64_t i, __mmask8 k) {
  if (!kMasked) return k;
  return _mm256_mask_cmp_ps_mask(k, _mm256_maskz_loadu_ps(k, reluOut + i), _mm256_setzero_ps(), _CMP_NLE_UQ);
}

template <bool kMasked>
void gradSumsRows(const float* dy, const float* reluOut, const float* x, int64_t n, double mean, double* sumDy,
                  double* sumDyCentered) {
  const __m512d m = _mm512_set1_pd(mean);
  __m512d s = _mm512_setzero_pd(), t = _mm512_setzero_pd();
  for (int64_t i = 0; i < n; i += 8) {
    const __mmask8 k = tailMask(n - i);
    const __m512d g = widen(dy + i, passing<kMasked>(reluOut, i, k)), d = _mm512_maskz_sub_pd(k, widen(x + i, k), m);
    s = _mm512_add_pd(s, g);
    t = _mm512_fmadd_pd(g, d, t);
  }
  *sumDy += sumLanes(s);
  *sumDyCentered += sumLanes(t);
}

void gradSums(const float* dy, const float* reluOut, const float* x, int64_t n, double mean, double* sumDy,
              double* sumDyCentered) {
  if (reluOut) gradSumsRows<true>(dy, reluOut, x, n, mean, sumDy, sumDyCentered);
  else gradSumsRows<false>(dy, reluOut, x, n, mean, sumDy, sumDyCentered);
}

void normalise(const float* x, int64_t n, double alpha, double shift, bool relu, float* y) {
  const __m512d a = _mm512_set1_pd(alpha), b = _mm512_set1_pd(shift);
  const __m256 zero = _mm256_setzero_ps();
  for (int64_t i = 0; i < n; i += 8) {
    const __mmask8 k = tailMask(n - i);
    __m256 v = _mm512_cvt_roundpd_ps(_mm512_add_round_pd(_mm512_mul_round_pd(widen(x + i, k), a, kRn), b, kRn), kRn);
    if (relu) v = _mm256_max_ps(zero, v);  // 0 > v ? 0 : v, relu()'s rule: -0 and NaN pass (operand order matters)
    _mm256_mask_storeu_ps(y + i, k, v);
  }
}

template <bool kMasked>
void scaleRows(const float* dy, const float* reluOut, int64_t n, double s, float* dx) {
  const __m512d f = _mm512_set1_pd(s);
  for (int64_t i = 0; i < n; i += 8) {
    const __mmask8 k = tailMask(n - i);
    narrow(dx + i, _mm512_mul_round_pd(widen(dy + i, passing<kMasked>(reluOut, i, k)), f, kRn), k);
  }
}

void scale(const float* dy, const float* reluOut, int64_t n, double s, float* dx) {
  if (reluOut) scaleRows<true>(dy, reluOut, n, s, dx);
  else scaleRows<false>(dy, reluOut, n, s, dx);
}

template <bool kMasked>
void gradientRows(const float* dy, const float* reluOut, const float* x, int64_t n, double mean, double meanDy,
                  double projection, double s, float* dx) {
  const __m512d m = _mm512_set1_pd(mean), md = _mm512_set1_pd(meanDy), p = _mm512_set1_pd(projection),
                f = _mm512_set1_pd(s);
  for (int64_t i = 0; i < n; i += 8) {
    const __mmask8 k = tailMask(n - i);
    const __m512d centered = _mm512_sub_round_pd(widen(x + i, k), m, kRn);
    const __m512d g = widen(dy + i, passing<kMasked>(reluOut, i, k));
    const __m512d inner = _mm512_sub_round_pd(_mm512_sub_round_pd(g, md, kRn), _mm512_mul_round_pd(centered, p, kRn), kRn);
    narrow(dx + i, _mm512_mul_round_pd(f, inner, kRn), k);
  }
}

void gradient(const float* dy, const float* reluOut, const float* x, int64_t n, double mean, double meanDy,
              double projection, double s, float* dx) {
  if (reluOut) gradientRows<true>(dy, reluOut, x, n, mean, meanDy, projection, s, dx);
  else gradientRows<false>(dy, reluOut, x, n, mean, meanDy, projection, s, dx);
}

}  // namespace

const Kernels& avx512Kernels() {
  static const Kernels k{sum, squaredDeviation, gradSums, normalise, scale, gradient};
  return k;
}

}  // namespace atrous::bnrows
