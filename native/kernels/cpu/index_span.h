// Int32 buffers with their lengths (pool argmax, class targets), so kernels can check what they get,
// as FloatSpan does for floats.
#pragma once
#include <cstdint>

namespace atrous {

struct Int32Span {
  int32_t* data = nullptr;
  long long size = 0;
};
struct ConstInt32Span {
  const int32_t* data = nullptr;
  long long size = 0;
  ConstInt32Span() = default;
  ConstInt32Span(const int32_t* d, long long n) : data(d), size(n) {}
  ConstInt32Span(Int32Span s) : data(s.data), size(s.size) {}  // NOLINT: a mutable view reads too
};

}  // namespace atrous
