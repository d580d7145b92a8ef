// Fused optimizer updates on the device, one parameter tensor per call, mirroring
// native/kernels/cpu/optim_update.h: the same checks (validateSgd/validateAdam) and float32
// scalars (sgdScalars/adamScalars), and each element in the CPU's order of operations with no
// fused multiply-adds (optim_elements.h), so results are bit-identical to the CPU kernels'. Spans
// hold device pointers; work is queued on `stream`.
#pragma once
#include "../cpu/optim_update.h"
#include "../status.h"
#include "cuda_status.h"

namespace atrous::cuda {

// momentumBuffer is empty when momentum is 0; firstStep: buf = d (PyTorch's first step).
Status sgdStep(FloatSpan param, ConstFloatSpan grad, FloatSpan momentumBuffer, const SgdHyper& h, bool firstStep,
               Stream stream = nullptr);
// Adam, or AdamW with h.decoupled; maxExpAvgSq is empty without amsgrad. h.step counts from 1.
Status adamStep(FloatSpan param, ConstFloatSpan grad, FloatSpan expAvg, FloatSpan expAvgSq, FloatSpan maxExpAvgSq,
                const AdamHyper& h, Stream stream = nullptr);

}  // namespace atrous::cuda
