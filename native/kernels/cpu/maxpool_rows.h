// One output row of the 2x2, stride-2, unpadded max pool (the common case), per ISA: inputs rows r0
// and r1 (r1 = r0 + rowStride), outW outputs; a window's cells are compared in the order (r0, iw),
// (r0, iw + 1), (r1, iw), (r1, iw + 1), a cell winning when it is greater than the best so far or
// NaN, so ties keep the first and NaN propagates, as in every other max-pool path. argmax entries
// are plane indices: base is r0's, the row above is base - rowStride.
#pragma once
#include <cstdint>

namespace atrous {

void maxPoolRow2x2Scalar(const float* r0, const float* r1, int64_t outW, int32_t base, int32_t rowStride, float* y,
                         int32_t* argmax);
void maxPoolRow2x2Avx512(const float* r0, const float* r1, int64_t outW, int32_t base, int32_t rowStride, float* y,
                         int32_t* argmax);
void maxPoolRow2x2Neon(const float* r0, const float* r1, int64_t outW, int32_t base, int32_t rowStride, float* y,
                       int32_t* argmax);

}  // namespace atrous
