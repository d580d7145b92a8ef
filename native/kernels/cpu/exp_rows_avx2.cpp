// The shifted exponentials' loop compiled for AVX2 + FMA (4 float64 lanes).
#include "exp_rows.h"
#include "exp_rows_loops.h"

namespace atrous {

void expShiftedRowAvx2(const float* x, const double* shift, int64_t n, double* e, double* totals) {
  exploops::shiftedRow(x, shift, n, e, totals);
}

}  // namespace atrous
