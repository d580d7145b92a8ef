// Fused optimizer updates, one parameter tensor per call, in PyTorch's order of float32 operations
// (torch.optim's single-tensor paths), so that results match it to rounding.
#pragma once
#include <cstdint>

#include "../status.h"

namespace atrous {

struct SgdHyper {
  double lr = 0;
  double momentum = 0;
  double dampening = 0;
  double weightDecay = 0;
  bool nesterov = false;
};

// d = grad + wd·param; with momentum: buf = firstStep ? d : momentum·buf + (1 − dampening)·d, and
// d = nesterov ? d + momentum·buf : buf; then param −= lr·d. momentumBuffer is empty when momentum is 0.
Status sgdStep(FloatSpan param, ConstFloatSpan grad, FloatSpan momentumBuffer, const SgdHyper& h, bool firstStep);

struct AdamHyper {
  double lr = 0;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weightDecay = 0;
  bool decoupled = false;  // AdamW: param ·= 1 − lr·wd, instead of grad += wd·param
  int64_t step = 1;        // this step's number, from 1 (the bias corrections use it)
};

// Adam/AdamW: m = β1·m + (1 − β1)·g; v = β2·v + (1 − β2)·g²; (amsgrad: vmax = max(vmax, v), used for v)
// param −= lr/(1 − β1^t) · m / (sqrt(v)/sqrt(1 − β2^t) + eps). maxExpAvgSq is empty without amsgrad.
Status adamStep(FloatSpan param, ConstFloatSpan grad, FloatSpan expAvg, FloatSpan expAvgSq, FloatSpan maxExpAvgSq,
                const AdamHyper& h);

// What sgdStep and adamStep check and derive before the loop, shared with the CUDA updates (which
// pass device pointers: only lengths and null-ness are looked at).
Status validateSgd(const char* fn, FloatSpan param, ConstFloatSpan grad, FloatSpan momentumBuffer, const SgdHyper& h);
Status validateAdam(const char* fn, FloatSpan param, ConstFloatSpan grad, FloatSpan expAvg, FloatSpan expAvgSq,
                    FloatSpan maxExpAvgSq, const AdamHyper& h);

// One step's float32 scalars: PyTorch casts a Python scalar to float for a float tensor.
struct SgdScalars {
  float lr, wd, mom, damp;  // damp = 1 - dampening
  bool useMomentum, useDecay, nesterov;
};
SgdScalars sgdScalars(const SgdHyper& h);

// The bias corrections are Python floats (double) in PyTorch; only the tensor math is float32.
struct AdamScalars {
  float negStepSize, b1, oneMinusB1, b2, oneMinusB2, eps, b2Sqrt, wd, decay;
  bool l2, decoupledDecay;
};
AdamScalars adamScalars(const AdamHyper& h);

}  // namespace atrous
