// 64-bit size arithmetic that reports overflow instead of wrapping.
#pragma once
#include <cstdint>

namespace atrous {

inline bool mulOverflows(int64_t a, int64_t b, int64_t* out) { return __builtin_mul_overflow(a, b, out); }
inline bool addOverflows(int64_t a, int64_t b, int64_t* out) { return __builtin_add_overflow(a, b, out); }

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
