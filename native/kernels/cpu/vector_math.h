// Float (and float64) math the compiler vectorises (no libm call, no branch), shared by the elementwise
// kernels and their per-ISA row variants. Every function has internal linkage (static): a translation
// unit built with AVX-512 flags gets its own copies, never one the linker could hand to code that runs
// on any x86-64.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

namespace atrous {
namespace vecmath {

// GCC will not if-convert a select whose
// arms hold float ops that may trap (-ftrapping-math, the default): it sinks them into branches and
// the loop stays scalar. Selects therefore work on bits, after both arms are computed.
static inline uint32_t bitsOf(float v) {
  uint32_t b;
  std::memcpy(&b, &v, 4);
  return b;
}
static inline float fromBits(uint32_t b) {
  float v;
  std::memcpy(&v, &b, 4);
  return v;
}
static inline float pick(bool condition, float ifTrue, float ifFalse) {
  const uint32_t mask = condition ? ~0u : 0u;
  return fromBits((bitsOf(ifTrue) & mask) | (bitsOf(ifFalse) & ~mask));
}

// exp(x) for x <= 0 (and NaN): 2^k·p(r) with r = x − k·ln2 in two parts (Cephes' expf polynomial,
// within 2 ulp); k read from the bits of the rounding sum (no float-to-int conversion), 2^k applied as
// two normal powers so that results down to the subnormals round right; 0 below x = −104.
static inline float expNonPositive(float x) {
  const float rounded = x * 1.44269504088896341f + 12582912.f;  // 1.5·2^23 + k: round to nearest
  const float k = rounded - 12582912.f;
  const float r = (x - k * 0.693359375f) - k * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.f;
  const int32_t ki = static_cast<int32_t>(bitsOf(rounded) - 0x4B400000u), half = ki >> 1;  // k in [−150, 0]
  const float scaled = p * fromBits(static_cast<uint32_t>(half + 127) << 23) *
                       fromBits(static_cast<uint32_t>(ki - half + 127) << 23);
  return fromBits(bitsOf(scaled) & (x < -104.f ? 0u : ~0u));
}

// tanh (Cephes' tanhf, within 2 ulp): an odd polynomial below |x| = 0.625, where 1 − e would cancel,
// and (1 − e) / (1 + e) with e = exp(−2|x|) above, x's sign put back.
static inline float tanhVectorisable(float x) {
  const float a = std::fabs(x), z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z + -5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z + -3.33332819422e-1f;
  const float small = p * z * x + x;
  const float e = expNonPositive(-2.f * a);
  const float large = fromBits(bitsOf((1.f - e) / (1.f + e)) | (bitsOf(x) & 0x80000000u));
  return pick(a < 0.625f, small, large);
}

// 1 / (1 + exp(−x)) from e = exp(−|x|), which cannot overflow: 1 / (1 + e) for x >= 0, e / (1 + e) below.
static inline float sigmoidVectorisable(float x) {
  const float e = expNonPositive(-std::fabs(x));
  return pick(x >= 0.f, 1.f, e) / (1.f + e);
}

// Float64 counterparts of the bit helpers above (overloads: the same shape, another width).
static inline uint64_t bitsOf(double v) {
  uint64_t b;
  std::memcpy(&b, &v, 8);
  return b;
}
static inline double fromBits(uint64_t b) {
  double v;
  std::memcpy(&v, &b, 8);
  return v;
}
static inline double pick(bool condition, double ifTrue, double ifFalse) {
  const uint64_t mask = condition ? ~uint64_t{0} : uint64_t{0};
  return fromBits((bitsOf(ifTrue) & mask) | (bitsOf(ifFalse) & ~mask));
}

// exp(x) in float64, within about 1 ulp of the true value (glibc's exp, CUDA's exp and this one can
// differ in the last bit of a double, never by enough to move a float rounded from it but at a tie
// 2^-29 apart): 2^k·p(r) with k = round(x / ln2), r = x − k·ln2 in fdlibm's two parts (k·ln2hi is
// exact), p exp's Taylor polynomial to r^13 (truncation < 2^-57 on |r| <= ln2/2), 2^k applied as two
// normal powers so that subnormal results round once. +inf above 709.78, 0 below −745.13, NaN kept.
// Unsigned integer arithmetic only: an arithmetic 64-bit shift has no SSE2/AVX2 instruction.
static inline double expVectorisable(double x) {
  const double clamped = pick(x < -746.0, -746.0, pick(x > 710.0, 710.0, x));
  const double shifter = 6755399441055744.0;  // 1.5·2^52: adding it rounds to an integer in the low bits
  const double rounded = clamped * 1.4426950408889634 + shifter;
  const double k = rounded - shifter;
  const double r = (clamped - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10;
  double p = 1.0 / 6227020800.0;  // 1/13!
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * (r * r) + r + 1.0;
  // k + 2048 in [971, 3073] from the low bits of rounded; halves a = ⌊(k + 2048) / 2⌋ − 1024 and k − a.
  const uint64_t biased = bitsOf(rounded) - bitsOf(shifter) + 2048, a = biased >> 1;
  const double scaled = p * fromBits((a - 1024 + 1023) << 52) * fromBits((biased - a - 1024 + 1023) << 52);
  const double overflowed = pick(x > 709.782712893384, __builtin_inf(), scaled);
  return pick(x < -745.1332191019412, 0.0, overflowed);
}

}  // namespace vecmath
}  // namespace atrous
