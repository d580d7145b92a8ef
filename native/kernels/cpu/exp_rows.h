// One row of the shifted float64 exponentials behind softmax and cross-entropy (softmax.h's
// expShiftedColumns), per ISA: e[i] = exp(x[i] − shift[i]) and totals[i] += e[i], i < n.
// Every variant is the same loop over vector_math.h's expVectorisable, vectorised by the compiler at its
// ISA's width (FMA may contract the polynomial, so the last bit of a double can differ between them).
#pragma once
#include <cstdint>

namespace atrous {

void expShiftedRowScalar(const float* x, const double* shift, int64_t n, double* e, double* totals);
void expShiftedRowAvx2(const float* x, const double* shift, int64_t n, double* e, double* totals);
void expShiftedRowAvx512(const float* x, const double* shift, int64_t n, double* e, double* totals);

}  // namespace atrous
