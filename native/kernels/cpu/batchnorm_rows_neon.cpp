// Batch norm's block loops for AArch64 Advanced SIMD: 4 floats widened to 2 + 2 doubles at a time
// (a q register holds 2 doubles); the last < 4 values of a block take the scalar kernels. Sums keep
// four double accumulators (the scalar path's grouping differs; the tests allow for it). normalise,
// scale and gradient round every multiply and add on its own (vmulq/vaddq, built without contraction:
// CMakeLists.txt, binding.gyp), as the scalar path does, so they give its bits. The fused ReLU and its
// gradient mask are the scalar comparisons as lane masks (v < 0 → 0; reluOut <= 0 → 0), so -0 and NaN
// behave as there.
#include <arm_neon.h>

#include "batchnorm_rows.h"

namespace atrous::bnrows {
namespace {

struct Widened {
  float64x2_t lo, hi;
};
Widened widen(float32x4_t v) { return {vcvt_f64_f32(vget_low_f32(v)), vcvt_high_f64_f32(v)}; }
Widened widen(const float* p) { return widen(vld1q_f32(p)); }
float32x4_t narrow(Widened v) { return vcvt_high_f32_f64(vcvt_f32_f64(v.lo), v.hi); }

double sum(const float* x, int64_t n) {
  float64x2_t a0 = vdupq_n_f64(0), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const Widened u = widen(x + i), v = widen(x + i + 4);
    a0 = vaddq_f64(a0, u.lo);
    a1 = vaddq_f64(a1, u.hi);
    a2 = vaddq_f64(a2, v.lo);
    a3 = vaddq_f64(a3, v.hi);
  }
  if (i + 4 <= n) {
    const Widened u = widen(x + i);
    a0 = vaddq_f64(a0, u.lo);
    a1 = vaddq_f64(a1, u.hi);
    i += 4;
  }
  return vaddvq_f64(vaddq_f64(vaddq_f64(a0, a1), vaddq_f64(a2, a3))) + scalarKernels().sum(x + i, n - i);
}

double squaredDeviation(const float* x, int64_t n, double mean) {
  const float64x2_t m = vdupq_n_f64(mean);
  float64x2_t a0 = vdupq_n_f64(0), a1 = a0, a2 = a0, a3 = a0;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const Widened u = widen(x + i), v = widen(x + i + 4);
    const float64x2_t d0 = vsubq_f64(u.lo, m), d1 = vsubq_f64(u.hi, m);
    const float64x2_t d2 = vsubq_f64(v.lo, m), d3 = vsubq_f64(v.hi, m);
    a0 = vfmaq_f64(a0, d0, d0);
    a1 = vfmaq_f64(a1, d1, d1);
    a2 = vfmaq_f64(a2, d2, d2);
    a3 = vfmaq_f64(a3, d3, d3);
  }
  if (i + 4 <= n) {
    const Widened u = widen(x + i);
    const float64x2_t d0 = vsubq_f64(u.lo, m), d1 = vsubq_f64(u.hi, m);
    a0 = vfmaq_f64(a0, d0, d0);
    a1 = vfmaq_f64(a1, d1, d1);
    i += 4;
  }
  return vaddvq_f64(vaddq_f64(vaddq_f64(a0, a1), vaddq_f64(a2, a3))) +
         scalarKernels().squaredDeviation(x + i, n - i, mean);
}

// dy[i .. i+4), with +0 in the lanes whose fused-ReLU output is <= 0 (reluBackward's rule: NaN passes);
// dy itself when not fused.
template <bool kMasked>
float32x4_t maskedGrad(const float* dy, const float* reluOut, int64_t i) {
  const float32x4_t g = vld1q_f32(dy + i);
  if (!kMasked) return g;
  return vbslq_f32(vcleq_f32(vld1q_f32(reluOut + i), vdupq_n_f32(0.f)), vdupq_n_f32(0.f), g);
}

template <bool kMasked>
void gradSumsRows(const float* dy, const float* reluOut, const float* x, int64_t n, double mean, double* sumDy,
                  double* sumDyCentered) {
  const float64x2_t m = vdupq_n_f64(mean);
  float64x2_t s0 = vdupq_n_f64(0), s1 = s0, t0 = s0, t1 = s0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const Widened g = widen(maskedGrad<kMasked>(dy, reluOut, i)), v = widen(x + i);
    s0 = vaddq_f64(s0, g.lo);
    s1 = vaddq_f64(s1, g.hi);
    t0 = vfmaq_f64(t0, g.lo, vsubq_f64(v.lo, m));
    t1 = vfmaq_f64(t1, g.hi, vsubq_f64(v.hi, m));
  }
  *sumDy += vaddvq_f64(vaddq_f64(s0, s1));
  *sumDyCentered += vaddvq_f64(vaddq_f64(t0, t1));
  scalarKernels().gradSums(dy + i, reluOut ? reluOut + i : nullptr, x + i, n - i, mean, sumDy, sumDyCentered);
}

void gradSums(const float* dy, const float* reluOut, const float* x, int64_t n, double mean, double* sumDy,
              double* sumDyCentered) {
  if (reluOut) gradSumsRows<true>(dy, reluOut, x, n, mean, sumDy, sumDyCentered);
  else gradSumsRows<false>(dy, reluOut, x, n, mean, sumDy, sumDyCentered);
}

void normalise(const float* x, int64_t n, double alpha, double shift, bool relu, float* y) {
  const float64x2_t a = vdupq_n_f64(alpha), b = vdupq_n_f64(shift);
  const float32x4_t zero = vdupq_n_f32(0.f);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const Widened v = widen(x + i);
    float32x4_t out = narrow({vaddq_f64(vmulq_f64(v.lo, a), b), vaddq_f64(vmulq_f64(v.hi, a), b)});
    if (relu) out = vbslq_f32(vcltq_f32(out, zero), zero, out);  // relu()'s rule: -0 and NaN pass
    vst1q_f32(y + i, out);
  }
  scalarKernels().normalise(x + i, n - i, alpha, shift, relu, y + i);
}

template <bool kMasked>
void scaleRows(const float* dy, const float* reluOut, int64_t n, double s, float* dx) {
  const float64x2_t f = vdupq_n_f64(s);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const Widened g = widen(maskedGrad<kMasked>(dy, reluOut, i));
    vst1q_f32(dx + i, narrow({vmulq_f64(g.lo, f), vmulq_f64(g.hi, f)}));
  }
  scalarKernels().scale(dy + i, reluOut ? reluOut + i : nullptr, n - i, s, dx + i);
}

void scale(const float* dy, const float* reluOut, int64_t n, double s, float* dx) {
  if (reluOut) scaleRows<true>(dy, reluOut, n, s, dx);
  else scaleRows<false>(dy, reluOut, n, s, dx);
}

// scale·((g − meanDy) − (x − mean)·projection), each operation rounded on its own as in the scalar path.
float64x2_t gradientLanes(float64x2_t g, float64x2_t x, float64x2_t m, float64x2_t md, float64x2_t p, float64x2_t f) {
  return vmulq_f64(f, vsubq_f64(vsubq_f64(g, md), vmulq_f64(vsubq_f64(x, m), p)));
}

template <bool kMasked>
void gradientRows(const float* dy, const float* reluOut, const float* x, int64_t n, double mean, double meanDy,
                  double projection, double s, float* dx) {
  const float64x2_t m = vdupq_n_f64(mean), md = vdupq_n_f64(meanDy), p = vdupq_n_f64(projection), f = vdupq_n_f64(s);
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const Widened g = widen(maskedGrad<kMasked>(dy, reluOut, i)), v = widen(x + i);
    vst1q_f32(dx + i, narrow({gradientLanes(g.lo, v.lo, m, md, p, f), gradientLanes(g.hi, v.hi, m, md, p, f)}));
  }
  scalarKernels().gradient(dy + i, reluOut ? reluOut + i : nullptr, x + i, n - i, mean, meanDy, projection, s, dx + i);
}

void gradient(const float* dy, const float* reluOut, const float* x, int64_t n, double mean, double meanDy,
              double projection, double s, float* dx) {
  if (reluOut) gradientRows<true>(dy, reluOut, x, n, mean, meanDy, projection, s, dx);
  else gradientRows<false>(dy, reluOut, x, n, mean, meanDy, projection, s, dx);
}

}  // namespace

const Kernels& neonKernels() {
  static const Kernels k{sum, squaredDeviation, gradSums, normalise, scale, gradient};
  return k;
}

}  // namespace atrous::bnrows
