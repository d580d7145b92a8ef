#include "loss.h"

#include <algorithm>
#include <string>

#include "../cpu/loss.h"
#include "../cpu/op_checks.h"
#include "device_checks.h"
#include "launch.h"
#include "loss_rows.h"

namespace atrous::cuda {
namespace {

unsigned gridFor(int64_t items) { return static_cast<unsigned>(std::min<int64_t>((items + kThreads - 1) / kThreads, 65535 * 8)); }

__global__ void crossEntropyRowsKernel(const float* __restrict__ logits, const int32_t* __restrict__ targets,
                                       float* __restrict__ probs, double* __restrict__ rowLoss, int64_t n, int64_t c) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    rowLoss[i] = lossrow::crossEntropyRow(logits + i * c, c, targets[i], probs + i * c);
}

// One block: each thread sums a fixed stride of rows, then a tree; the order depends on n alone.
__global__ void meanKernel(const double* __restrict__ rowLoss, int64_t n, double* __restrict__ result) {
  double v = 0;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) v += rowLoss[i];
  const double total = blockSum(v);
  if (threadIdx.x == 0) *result = total / static_cast<double>(n);
}

// Each element reads only itself, so dlogits may be probs.
__global__ void crossEntropyBackwardKernel(const float* probs, const int32_t* __restrict__ targets, float scale,
                                           float* dlogits, int64_t n, int64_t c) {
  for (int64_t e = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; e < n * c; e += int64_t(gridDim.x) * blockDim.x)
    dlogits[e] = lossrow::crossEntropyGradient(probs[e], e % c == targets[e / c], scale);
}

}  // namespace

Status crossEntropyForward(int64_t n, int64_t c, ConstFloatSpan logits, ConstInt32Span targets, FloatSpan probs,
                           double* deviceLoss, Stream stream) {
  const char* fn = "crossEntropyForward (cuda)";
  if (deviceLoss == nullptr) return Status::error(std::string(fn) + ": loss expects a device pointer, but got null");
  ATROUS_RETURN_IF_ERROR(validateCrossEntropy(fn, n, c, targets.size));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "logits", logits.size, n * c));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "probs", probs.size, n * c));
  ATROUS_RETURN_IF_ERROR(
      opcheck::disjoint(fn, "probs", probs.data, probs.size * 4, "logits", logits.data, logits.size * 4));
  ATROUS_RETURN_IF_ERROR(checkIndicesOnDevice(fn, "targets", "a class index", targets.data, n, c, stream));
  StreamScratch rowLoss(stream);
  ATROUS_RETURN_IF_ERROR(rowLoss.allocate(sizeof(double) * n, fn));
  crossEntropyRowsKernel<<<gridFor(n), kThreads, 0, stream>>>(logits.data, targets.data, probs.data,
                                                              rowLoss.as<double>(), n, c);
  ATROUS_RETURN_IF_ERROR(launchStatus(fn, "crossEntropyRowsKernel"));
  meanKernel<<<1, kThreads, 0, stream>>>(rowLoss.as<double>(), n, deviceLoss);
  return launchStatus(fn, "meanKernel");
}

Status crossEntropyBackward(int64_t n, int64_t c, ConstFloatSpan probs, ConstInt32Span targets, float scale,
                            FloatSpan dlogits, Stream stream) {
  const char* fn = "crossEntropyBackward (cuda)";
  ATROUS_RETURN_IF_ERROR(validateCrossEntropy(fn, n, c, targets.size));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "probs", probs.size, n * c));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "dlogits", dlogits.size, n * c));
  ATROUS_RETURN_IF_ERROR(
      opcheck::sameOrDisjoint(fn, "dlogits", dlogits.data, dlogits.size, "probs", probs.data, probs.size));
  ATROUS_RETURN_IF_ERROR(checkIndicesOnDevice(fn, "targets", "a class index", targets.data, n, c, stream));
  crossEntropyBackwardKernel<<<gridFor(n * c), kThreads, 0, stream>>>(probs.data, targets.data, scale, dlogits.data,
                                                                      n, c);
  return launchStatus(fn, "crossEntropyBackwardKernel");
}

}  // namespace atrous::cuda
