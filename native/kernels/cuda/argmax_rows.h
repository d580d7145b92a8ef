// The index of the largest value in each row of a rows × cols matrix on the device, mirroring
// native/kernels/cpu/argmax_rows.h (its checks, validateArgmaxRows; the first index on ties; a
// NaN row gives its first NaN), one thread per row. x and out are device pointers; exact.
#pragma once
#include <cstdint>

#include "../status.h"
#include "cuda_status.h"
#include "host_device.h"

namespace atrous::cuda {

Status argmaxRows(ConstFloatSpan x, int64_t rows, int64_t cols, int32_t* out, long long outSize,
                  Stream stream = nullptr);

// One row, as the CPU loop scans it (shared with the host test).
ATROUS_HD int32_t argmaxOfRow(const float* row, int64_t cols) {
  int64_t best = 0;
  for (int64_t c = 0; c < cols && !isNan(row[best]); ++c)
    if (isNan(row[c]) || row[c] > row[best]) best = c;
  return static_cast<int32_t>(best);
}

}  // namespace atrous::cuda
