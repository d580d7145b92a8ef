// The per-row arithmetic of the CUDA cross-entropy (cpu/loss.cpp's rowLoss, line for line), shared
// with a host test. On the host it is bit-identical to the CPU kernel; on the device exp and log
// are CUDA's (within 1 ulp of float64), so probs may differ from the CPU's by an ulp of float.
#pragma once
#include <cmath>
#include <cstdint>

#include "host_device.h"

namespace atrous::cuda::lossrow {

// Writes softmax(row) to p and returns logsumexp(row) - row[target], in float64, the max
// subtracted first (none when it is infinite: inf - inf would invent a NaN).
ATROUS_HD double crossEntropyRow(const float* row, int64_t c, int32_t target, float* p) {
  double maxLogit = row[0];
  for (int64_t j = 1; j < c; ++j) maxLogit = fmax(maxLogit, static_cast<double>(row[j]));
  if (maxLogit == INFINITY || maxLogit == -INFINITY) maxLogit = 0;
  double total = 0;
  for (int64_t j = 0; j < c; ++j) total += exp(static_cast<double>(row[j]) - maxLogit);
  const double inverse = 1.0 / total;
  for (int64_t j = 0; j < c; ++j) p[j] = static_cast<float>(mulRn(exp(static_cast<double>(row[j]) - maxLogit), inverse));
  return maxLogit + log(total) - static_cast<double>(row[target]);
}

// dlogits[i][j] from probs[i][j]: (p - 1) * scale at the target, p * scale elsewhere.
ATROUS_HD float crossEntropyGradient(float p, bool isTarget, float scale) {
  return isTarget ? mulRn(p - 1.f, scale) : mulRn(p, scale);
}

}  // namespace atrous::cuda::lossrow
