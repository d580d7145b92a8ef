// One element of the SGD and Adam updates, in cpu/optim_update.cpp's order of float32 operations,
// each rounded on its own: the CUDA kernels and a host test run these, bit-identical to the CPU.
#pragma once
#include <cmath>

#include "../cpu/optim_update.h"
#include "host_device.h"

namespace atrous::cuda::optimelement {

ATROUS_HD void sgd(float& p, float g, float* buf, const SgdScalars& k, bool firstStep) {
  float d = k.useDecay ? addRn(g, mulRn(k.wd, p)) : g;
  if (k.useMomentum) {
    *buf = firstStep ? d : addRn(mulRn(*buf, k.mom), mulRn(k.damp, d));
    d = k.nesterov ? addRn(d, mulRn(k.mom, *buf)) : *buf;
  }
  p = addRn(p, mulRn(-k.lr, d));
}

// vmax is null without amsgrad.
ATROUS_HD void adam(float& p, float g, float& m, float& v, float* vmax, const AdamScalars& k) {
  if (k.decoupledDecay) p = mulRn(p, k.decay);
  const float gi = k.l2 ? addRn(g, mulRn(k.wd, p)) : g;
  m = addRn(mulRn(m, k.b1), mulRn(k.oneMinusB1, gi));
  v = addRn(mulRn(v, k.b2), mulRn(mulRn(k.oneMinusB2, gi), gi));  // addcmul: (value·g)·g
  float second = v;
  if (vmax) second = *vmax = (*vmax < v) ? v : *vmax;  // std::max(vmax, v)
  const float denom = addRn(sqrtf(second) / k.b2Sqrt, k.eps);
  p = addRn(p, mulRn(k.negStepSize, m) / denom);  // addcdiv: (value·m)/denom
}

}  // namespace atrous::cuda::optimelement
