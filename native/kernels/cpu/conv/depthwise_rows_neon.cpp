// AArch64 Advanced SIMD inner loops of the depthwise kernels (arm64 only; see depthwise_rows.h).
#include <arm_neon.h>

#include "depthwise_rows.h"

namespace atrous::depthwise {

void accumulateTapsNeon(float* y, const float* const* src, const float* w, int taps, int64_t n) {
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {  // 4 registers of y stay put across every tap
    float32x4_t y0 = vld1q_f32(y + i), y1 = vld1q_f32(y + i + 4);
    float32x4_t y2 = vld1q_f32(y + i + 8), y3 = vld1q_f32(y + i + 12);
    for (int t = 0; t < taps; ++t) {
      const float wt = w[t];
      const float* s = src[t] + i;
      y0 = vfmaq_n_f32(y0, vld1q_f32(s), wt);
      y1 = vfmaq_n_f32(y1, vld1q_f32(s + 4), wt);
      y2 = vfmaq_n_f32(y2, vld1q_f32(s + 8), wt);
      y3 = vfmaq_n_f32(y3, vld1q_f32(s + 12), wt);
    }
    vst1q_f32(y + i, y0);
    vst1q_f32(y + i + 4, y1);
    vst1q_f32(y + i + 8, y2);
    vst1q_f32(y + i + 12, y3);
  }
  for (; i + 4 <= n; i += 4) {
    float32x4_t acc = vld1q_f32(y + i);
    for (int t = 0; t < taps; ++t) acc = vfmaq_n_f32(acc, vld1q_f32(src[t] + i), w[t]);
    vst1q_f32(y + i, acc);
  }
  for (; i < n; ++i) {
    float acc = y[i];
    for (int t = 0; t < taps; ++t) acc += w[t] * src[t][i];
    y[i] = acc;
  }
}

double dotNeon(const float* a, const float* b, int64_t n) {
  float32x4_t s0 = vdupq_n_f32(0.f), s1 = vdupq_n_f32(0.f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    s0 = vfmaq_f32(s0, vld1q_f32(a + i), vld1q_f32(b + i));
    s1 = vfmaq_f32(s1, vld1q_f32(a + i + 4), vld1q_f32(b + i + 4));
  }
  float lanes[4];
  vst1q_f32(lanes, vaddq_f32(s0, s1));
  double total = 0;
  for (float v : lanes) total += v;
  for (; i < n; ++i) total += static_cast<double>(a[i]) * b[i];
  return total;
}

}  // namespace atrous::depthwise
