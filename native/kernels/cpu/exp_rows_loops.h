// The shifted exponentials' loop (exp_rows.h), included by each ISA's translation unit, which names it.
#pragma once
#include <cstdint>

#include "vector_math.h"

namespace atrous {
namespace exploops {

static inline void shiftedRow(const float* x, const double* shift, int64_t n, double* e, double* totals) {
  for (int64_t i = 0; i < n; ++i) {
    const double v = vecmath::expVectorisable(static_cast<double>(x[i]) - shift[i]);
    e[i] = v;
    totals[i] += v;
  }
}

}  // namespace exploops
}  // namespace atrous
