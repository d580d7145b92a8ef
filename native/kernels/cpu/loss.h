// Cross-entropy over rows of logits (N x C) with integer class targets, as torch.nn.functional.
// cross_entropy with mean reduction. The forward keeps the softmax for the backward, so the backward
// is one pass with no exp.
#pragma once
#include <cstdint>

#include "../status.h"
#include "index_span.h"

namespace atrous {

// *loss = mean over rows of logsumexp(row) - row[target], with the max subtracted first so that
// large logits cannot overflow; probs = softmax(row). Every target is checked to lie in [0, c)
// before anything is written.
Status crossEntropyForward(int64_t n, int64_t c, ConstFloatSpan logits, ConstInt32Span targets, FloatSpan probs,
                           double* loss);
// dlogits = (probs - onehot(target)) * scale, with scale = upstream gradient / n.
Status crossEntropyBackward(int64_t n, int64_t c, ConstFloatSpan probs, ConstInt32Span targets, float scale,
                            FloatSpan dlogits);

// n, c >= 1 with n*c < 2^31 and n targets: the checks that do not read the targets (shared with
// the CUDA kernels, which check the target values on the device).
Status validateCrossEntropy(const char* fn, int64_t n, int64_t c, long long targetsSize);

}  // namespace atrous
