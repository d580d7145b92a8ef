// The gated activation's loops compiled for AVX-512 (16 lanes; FMA may contract the polynomials, so the
// last bit can differ from the baseline build's).
#include "gated_rows.h"
#include "gated_rows_loops.h"

namespace atrous {

void gatedTanhRowAvx512(const float* f, const float* g, int64_t n, float* z) { gatedloops::forward(f, g, n, z); }

void gatedTanhBackwardRowAvx512(const float* f, const float* g, const float* dz, int64_t n, float* df, float* dg) {
  gatedloops::backward(f, g, dz, n, df, dg);
}

}  // namespace atrous
