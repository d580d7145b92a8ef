// 64-bit size arithmetic that reports overflow instead of wrapping. The kernels' one place for the
// overflow builtins: GCC and Clang have them; MSVC gets the same answers from comparisons against the
// limits, which are compiled everywhere so that the native tests hold them to exact arithmetic too.
#pragma once
#include <cstdint>

namespace atrous {

namespace overflow_by_limits {
inline bool mulOverflows(int64_t a, int64_t b, int64_t* out) {
  const bool overflow = a > 0 ? (b > 0 ? a > INT64_MAX / b : b < INT64_MIN / a)
                              : (b > 0 ? a < INT64_MIN / b : a != 0 && b < INT64_MAX / a);
  if (!overflow) *out = a * b;
  return overflow;
}
inline bool addOverflows(int64_t a, int64_t b, int64_t* out) {
  const bool overflow = b > 0 ? a > INT64_MAX - b : a < INT64_MIN - b;
  if (!overflow) *out = a + b;
  return overflow;
}
}  // namespace overflow_by_limits

// True on overflow (then *out is not to be used); else *out = a·b or a + b.
#if defined(__GNUC__) || defined(__clang__)
inline bool mulOverflows(int64_t a, int64_t b, int64_t* out) { return __builtin_mul_overflow(a, b, out); }
inline bool addOverflows(int64_t a, int64_t b, int64_t* out) { return __builtin_add_overflow(a, b, out); }
#else
inline bool mulOverflows(int64_t a, int64_t b, int64_t* out) { return overflow_by_limits::mulOverflows(a, b, out); }
inline bool addOverflows(int64_t a, int64_t b, int64_t* out) { return overflow_by_limits::addOverflows(a, b, out); }
#endif

// Product of dims; returns false on overflow or a negative dim.
inline bool checkedProduct(const int64_t* dims, int n, int64_t* out) {
  int64_t p = 1;
  for (int i = 0; i < n; ++i) {
    if (dims[i] < 0 || mulOverflows(p, dims[i], &p)) return false;
  }
  *out = p;
  return true;
}

}  // namespace atrous
