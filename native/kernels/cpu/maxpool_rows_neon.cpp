// maxPoolRow2x2 for AArch64 Advanced SIMD: 4 windows at a time. vld2q splits each row's 8 inputs into
// even and odd columns, then the four cells go through the scalar path's comparisons as lane masks,
// so values and argmax are the scalar path's bit for bit; the last < 4 windows take the scalar path.
#include <arm_neon.h>

#include <limits>

#include "maxpool_rows.h"

namespace atrous {

void maxPoolRow2x2Neon(const float* r0, const float* r1, int64_t outW, int32_t base, int32_t rowStride, float* y,
                       int32_t* argmax) {
  const int32_t evenLanes[4] = {0, 2, 4, 6};
  const int32x4_t evens = vld1q_s32(evenLanes), one = vdupq_n_s32(1), below = vdupq_n_s32(rowStride);
  const float32x4_t minusInf = vdupq_n_f32(-std::numeric_limits<float>::infinity());
  int64_t ow = 0;
  for (; ow + 4 <= outW; ow += 4) {
    const float32x4x2_t a = vld2q_f32(r0 + 2 * ow), b = vld2q_f32(r1 + 2 * ow);
    const float32x4_t v[4] = {a.val[0], a.val[1], b.val[0], b.val[1]};
    const int32x4_t at0 = vaddq_s32(vdupq_n_s32(base + static_cast<int32_t>(2 * ow)), evens);
    const int32x4_t at[4] = {at0, vaddq_s32(at0, one), vaddq_s32(at0, below), vaddq_s32(vaddq_s32(at0, below), one)};
    float32x4_t best = minusInf;
    int32x4_t bestIndex = at[0];
    for (int k = 0; k < 4; ++k) {
      // v > best, or v is NaN (v != v): the scalar path's rule.
      const uint32x4_t take = vorrq_u32(vcgtq_f32(v[k], best), vmvnq_u32(vceqq_f32(v[k], v[k])));
      best = vbslq_f32(take, v[k], best);
      bestIndex = vbslq_s32(take, at[k], bestIndex);
    }
    vst1q_f32(y + ow, best);
    vst1q_s32(argmax + ow, bestIndex);
  }
  if (ow < outW)
    maxPoolRow2x2Scalar(r0 + 2 * ow, r1 + 2 * ow, outW - ow, base + static_cast<int32_t>(2 * ow), rowStride, y + ow,
                        argmax + ow);
}

}  // namespace atrous
