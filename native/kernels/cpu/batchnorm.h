// Batch normalisation over N×C×S (S = H·W for BatchNorm2d): per-channel statistics in float64.
// gamma/beta may be empty (no affine: 1 and 0), the running statistics may be empty (not tracked),
// and any of dx/dgamma/dbeta may be empty (not wanted).
//
// Fused ReLU: the forwards with relu = true write relu(batchnorm(x)) (relu()'s rule on the same float);
// the backward given reluOut (that output) takes the gradient through the ReLU first, as reluBackward()
// would on the batch norm's output (dy where reluOut > 0, or NaN; else 0), without writing it out. Off,
// they give the unfused results bit for bit; on, the same bits as the unfused pair.
#pragma once
#include <cstdint>

#include "../status.h"

namespace atrous {

struct BatchNormShape {
  int64_t batch = 0;
  int64_t channels = 0;
  int64_t spatial = 0;  // H·W
  int64_t size() const { return batch * channels * spatial; }
  // Each dim >= 1 and the product < 2^31.
  Status validate(const char* fn) const;
};

// Training: normalises with the batch mean and biased variance, writes them as saveMean and
// saveInvStd = 1/sqrt(var + eps), and moves the running statistics: r = (1 - factor) r + factor b,
// with the unbiased variance for runningVar (PyTorch). Needs batch·spatial >= 2.
Status batchNormForwardTrain(const BatchNormShape& s, ConstFloatSpan x, ConstFloatSpan gamma, ConstFloatSpan beta,
                             double eps, double factor, FloatSpan runningMean, FloatSpan runningVar, FloatSpan y,
                             FloatSpan saveMean, FloatSpan saveInvStd, bool relu = false);

// Evaluation: normalises with the running statistics (required), and writes them as saveMean and
// saveInvStd for the backward.
Status batchNormForwardEval(const BatchNormShape& s, ConstFloatSpan x, ConstFloatSpan gamma, ConstFloatSpan beta,
                            double eps, ConstFloatSpan runningMean, ConstFloatSpan runningVar, FloatSpan y,
                            FloatSpan saveMean, FloatSpan saveInvStd, bool relu = false);

// Gradients from the forward's saveMean/saveInvStd. batchStats: the forward used the batch's own
// statistics, so the gradient also flows through the mean and the variance; otherwise they are constants.
Status batchNormBackward(const BatchNormShape& s, ConstFloatSpan x, ConstFloatSpan dy, ConstFloatSpan gamma,
                         ConstFloatSpan saveMean, ConstFloatSpan saveInvStd, bool batchStats, FloatSpan dx,
                         FloatSpan dgamma, FloatSpan dbeta, ConstFloatSpan reluOut = {});

// The argument checks of the three entries (lengths, optional buffers given together, eps and
// factor), shared with the CUDA kernels: only lengths and null-ness are looked at, never the data.
// batchNormForwardEval also checks every runningVar + eps > 0, which reads the data.
Status validateBatchNormTrain(const char* fn, const BatchNormShape& s, ConstFloatSpan x, ConstFloatSpan gamma,
                              ConstFloatSpan beta, double eps, double factor, ConstFloatSpan runningMean,
                              ConstFloatSpan runningVar, ConstFloatSpan y, ConstFloatSpan saveMean,
                              ConstFloatSpan saveInvStd);
Status validateBatchNormEval(const char* fn, const BatchNormShape& s, ConstFloatSpan x, ConstFloatSpan gamma,
                             ConstFloatSpan beta, double eps, ConstFloatSpan runningMean, ConstFloatSpan runningVar,
                             ConstFloatSpan y, ConstFloatSpan saveMean, ConstFloatSpan saveInvStd);
Status validateBatchNormBackward(const char* fn, const BatchNormShape& s, ConstFloatSpan x, ConstFloatSpan dy,
                                 ConstFloatSpan gamma, ConstFloatSpan saveMean, ConstFloatSpan saveInvStd,
                                 ConstFloatSpan dx, ConstFloatSpan dgamma, ConstFloatSpan dbeta);

}  // namespace atrous
