#include "optim_update.h"

#include <algorithm>

#include "launch.h"
#include "optim_elements.h"

namespace atrous::cuda {
namespace {

unsigned gridFor(int64_t items) { return static_cast<unsigned>(std::min<int64_t>((items + kThreads - 1) / kThreads, 65535 * 8)); }

__global__ void sgdKernel(float* p, const float* g, float* buf, int64_t n, SgdScalars k, bool firstStep) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    optimelement::sgd(p[i], g[i], buf ? buf + i : nullptr, k, firstStep);
}

__global__ void adamKernel(float* p, const float* g, float* m, float* v, float* vmax, int64_t n, AdamScalars k) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    optimelement::adam(p[i], g[i], m[i], v[i], vmax ? vmax + i : nullptr, k);
}

}  // namespace

Status sgdStep(FloatSpan param, ConstFloatSpan grad, FloatSpan momentumBuffer, const SgdHyper& h, bool firstStep,
               Stream stream) {
  const char* fn = "sgdStep (cuda)";
  ATROUS_RETURN_IF_ERROR(validateSgd(fn, param, grad, momentumBuffer, h));
  if (param.size == 0) return Status::ok();
  const SgdScalars k = sgdScalars(h);
  sgdKernel<<<gridFor(param.size), kThreads, 0, stream>>>(param.data, grad.data,
                                                         k.useMomentum ? momentumBuffer.data : nullptr, param.size, k,
                                                         firstStep);
  return launchStatus(fn, "sgdKernel");
}

Status adamStep(FloatSpan param, ConstFloatSpan grad, FloatSpan expAvg, FloatSpan expAvgSq, FloatSpan maxExpAvgSq,
                const AdamHyper& h, Stream stream) {
  const char* fn = h.decoupled ? "adamWStep (cuda)" : "adamStep (cuda)";
  ATROUS_RETURN_IF_ERROR(validateAdam(fn, param, grad, expAvg, expAvgSq, maxExpAvgSq, h));
  if (param.size == 0) return Status::ok();
  adamKernel<<<gridFor(param.size), kThreads, 0, stream>>>(param.data, grad.data, expAvg.data, expAvgSq.data,
                                                          maxExpAvgSq.data, param.size, adamScalars(h));
  return launchStatus(fn, "adamKernel");
}

}  // namespace atrous::cuda
