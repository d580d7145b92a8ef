// Cross-entropy over rows of logits (N x C) with int32 class targets on the device, mirroring
// native/kernels/cpu/loss.h (mean reduction; the forward keeps the softmax for the backward).
// Spans and the loss pointer are device memory; work is queued on `stream`. Both entries check
// every target on the device before writing anything (the CPU's message; one stream sync each).
// Precision: one thread per row in the CPU's order (loss_rows.h), with CUDA's float64 exp/log, so
// probs are within 1 float ulp of the CPU's and the loss within ~1e-15 relative; the row losses are
// summed in a fixed tree (independent of the device), not the CPU's row order. The backward is
// bit-identical to the CPU's given the same probs.
#pragma once
#include <cstdint>

#include "../cpu/index_span.h"
#include "../status.h"
#include "cuda_status.h"

namespace atrous::cuda {

// *deviceLoss (one double on the device, as sum's result) = the mean over rows of
// logsumexp(row) - row[target]; probs = softmax(row). A binding copies the 8 bytes back only when
// the loss is read, so a training step need not wait for it.
Status crossEntropyForward(int64_t n, int64_t c, ConstFloatSpan logits, ConstInt32Span targets, FloatSpan probs,
                           double* deviceLoss, Stream stream = nullptr);
// dlogits = (probs - onehot(target)) * scale, scale = upstream gradient / n (a host float). dlogits
// may be probs itself.
Status crossEntropyBackward(int64_t n, int64_t c, ConstFloatSpan probs, ConstInt32Span targets, float scale,
                            FloatSpan dlogits, Stream stream = nullptr);

}  // namespace atrous::cuda
