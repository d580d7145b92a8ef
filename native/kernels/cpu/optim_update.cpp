#include "optim_update.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "nn_checks.h"
#include "parallel_ranges.h"
#include "thread_pool.h"

namespace atrous {
namespace {

// body(begin, end) over [0, n): contiguous ranges on the pool when there is enough work.
template <typename Body>
void forChunks(int64_t n, Body body) {
  parallelRanges(n, 1, body);
}

}  // namespace

Status validateSgd(const char* fn, FloatSpan param, ConstFloatSpan grad, FloatSpan momentumBuffer, const SgdHyper& h) {
  ATROUS_RETURN_IF_ERROR(nncheck::required(fn, "param", param.data, param.size, param.size));
  ATROUS_RETURN_IF_ERROR(nncheck::required(fn, "grad", grad.data, grad.size, param.size));
  if (h.momentum != 0)
    ATROUS_RETURN_IF_ERROR(nncheck::required(fn, "momentumBuffer", momentumBuffer.data, momentumBuffer.size, param.size));
  for (auto [arg, v] : {std::pair{"lr", h.lr}, {"momentum", h.momentum}, {"dampening", h.dampening},
                        {"weightDecay", h.weightDecay}})
    ATROUS_RETURN_IF_ERROR(nncheck::finite(fn, arg, v));
  return Status::ok();
}

SgdScalars sgdScalars(const SgdHyper& h) {
  return SgdScalars{static_cast<float>(h.lr),       static_cast<float>(h.weightDecay),
                    static_cast<float>(h.momentum), static_cast<float>(1.0 - h.dampening),
                    h.momentum != 0,                h.weightDecay != 0,
                    h.nesterov};
}

Status validateAdam(const char* fn, FloatSpan param, ConstFloatSpan grad, FloatSpan expAvg, FloatSpan expAvgSq,
                    FloatSpan maxExpAvgSq, const AdamHyper& h) {
  ATROUS_RETURN_IF_ERROR(nncheck::required(fn, "param", param.data, param.size, param.size));
  ATROUS_RETURN_IF_ERROR(nncheck::required(fn, "grad", grad.data, grad.size, param.size));
  ATROUS_RETURN_IF_ERROR(nncheck::required(fn, "expAvg", expAvg.data, expAvg.size, param.size));
  ATROUS_RETURN_IF_ERROR(nncheck::required(fn, "expAvgSq", expAvgSq.data, expAvgSq.size, param.size));
  ATROUS_RETURN_IF_ERROR(nncheck::optional(fn, "maxExpAvgSq", maxExpAvgSq.data, maxExpAvgSq.size, param.size));
  for (auto [arg, v] : {std::pair{"lr", h.lr}, {"beta1", h.beta1}, {"beta2", h.beta2}, {"eps", h.eps},
                        {"weightDecay", h.weightDecay}})
    ATROUS_RETURN_IF_ERROR(nncheck::finite(fn, arg, v));
  if (h.step < 1) return Status::error(std::string(fn) + ": step expects an integer >= 1, but got " + std::to_string(h.step));
  return Status::ok();
}

AdamScalars adamScalars(const AdamHyper& h) {
  const double bias1 = 1 - std::pow(h.beta1, static_cast<double>(h.step));
  const double bias2Sqrt = std::sqrt(1 - std::pow(h.beta2, static_cast<double>(h.step)));
  AdamScalars s{};
  s.negStepSize = static_cast<float>(-(h.lr / bias1));
  s.b1 = static_cast<float>(h.beta1);
  s.oneMinusB1 = static_cast<float>(1 - h.beta1);
  s.b2 = static_cast<float>(h.beta2);
  s.oneMinusB2 = static_cast<float>(1 - h.beta2);
  s.eps = static_cast<float>(h.eps);
  s.b2Sqrt = static_cast<float>(bias2Sqrt);
  s.wd = static_cast<float>(h.weightDecay);
  s.decay = static_cast<float>(1 - h.lr * h.weightDecay);
  s.l2 = !h.decoupled && h.weightDecay != 0;
  s.decoupledDecay = h.decoupled && h.weightDecay != 0;
  return s;
}

Status sgdStep(FloatSpan param, ConstFloatSpan grad, FloatSpan momentumBuffer, const SgdHyper& h, bool firstStep) {
  ATROUS_RETURN_IF_ERROR(validateSgd("sgdStep", param, grad, momentumBuffer, h));
  const SgdScalars k = sgdScalars(h);
  const float lr = k.lr, wd = k.wd, mom = k.mom, damp = k.damp;
  const bool useMomentum = k.useMomentum, useDecay = k.useDecay;
  float* p = param.data;
  const float* g = grad.data;
  float* buf = momentumBuffer.data;
  forChunks(param.size, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      float d = useDecay ? g[i] + wd * p[i] : g[i];
      if (useMomentum) {
        buf[i] = firstStep ? d : buf[i] * mom + damp * d;
        d = h.nesterov ? d + mom * buf[i] : buf[i];
      }
      p[i] = p[i] + (-lr) * d;
    }
  });
  return Status::ok();
}

Status adamStep(FloatSpan param, ConstFloatSpan grad, FloatSpan expAvg, FloatSpan expAvgSq, FloatSpan maxExpAvgSq,
                const AdamHyper& h) {
  ATROUS_RETURN_IF_ERROR(
      validateAdam(h.decoupled ? "adamWStep" : "adamStep", param, grad, expAvg, expAvgSq, maxExpAvgSq, h));
  const AdamScalars k = adamScalars(h);
  const float negStepSize = k.negStepSize, b1 = k.b1, oneMinusB1 = k.oneMinusB1, b2 = k.b2, oneMinusB2 = k.oneMinusB2;
  const float eps = k.eps, b2Sqrt = k.b2Sqrt, wd = k.wd, decay = k.decay;
  const bool l2 = k.l2, decoupledDecay = k.decoupledDecay;
  float *p = param.data, *m = expAvg.data, *v = expAvgSq.data, *vmax = maxExpAvgSq.data;
  const float* g = grad.data;
  forChunks(param.size, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      if (decoupledDecay) p[i] = p[i] * decay;
      const float gi = l2 ? g[i] + wd * p[i] : g[i];
      m[i] = m[i] * b1 + oneMinusB1 * gi;
      v[i] = v[i] * b2 + oneMinusB2 * gi * gi;  // addcmul: (value·g)·g
      float second = v[i];
      if (vmax) second = vmax[i] = std::max(vmax[i], v[i]);
      const float denom = std::sqrt(second) / b2Sqrt + eps;
      p[i] = p[i] + negStepSize * m[i] / denom;  // addcdiv: (value·m)/denom
    }
  });
  return Status::ok();
}

}  // namespace atrous
