// The gated activation's loops (gated_rows.h), included by each ISA's translation unit, which names them.
#pragma once
#include <cstdint>

#include "vector_math.h"

namespace atrous {
namespace gatedloops {

static inline void forward(const float* f, const float* g, int64_t n, float* z) {
  for (int64_t k = 0; k < n; ++k) z[k] = vecmath::tanhVectorisable(f[k]) * vecmath::sigmoidVectorisable(g[k]);
}

// tanh and σ recomputed from the pre-activations: cheaper than saving both and reading them back.
static inline void backward(const float* f, const float* g, const float* dz, int64_t n, float* df, float* dg) {
  for (int64_t k = 0; k < n; ++k) {
    const float t = vecmath::tanhVectorisable(f[k]), s = vecmath::sigmoidVectorisable(g[k]), ds = dz[k] * s;
    df[k] = ds * (1.f - t * t);
    dg[k] = ds * t * (1.f - s);
  }
}

}  // namespace gatedloops
}  // namespace atrous
