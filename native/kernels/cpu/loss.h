// Cross-entropy with integer class targets, as torch.nn.functional.cross_entropy (torch 1.13):
// logits N × C × inner (inner = d1·d2·…, 1 for N × C), targets N × inner, an optional per-class
// weight, an ignored index and label smoothing. The forward keeps the softmax for the backward, so
// the backward is one pass with no exp. The reduction (mean, sum, none) is the caller's: the
// forward returns the sums it needs and, for 'none', each position's loss.
#pragma once
#include <cstdint>
#include <limits>

#include "../status.h"
#include "index_span.h"

namespace atrous {

struct CrossEntropyOptions {
  ConstFloatSpan weight;  // C class weights, or empty: every class weighs 1
  // Targets equal to it add nothing and get no gradient; the default, outside int32, matches none.
  int64_t ignoreIndex = std::numeric_limits<int64_t>::min();
  double labelSmoothing = 0;  // ε in [0, 1]
};

// Over the positions whose target is not ignored, with lse = logsumexp of the position's logits:
// nll = Σ w[t]·(lse − x[t]), smooth = Σ Σ_c w[c]·(lse − x[c]) (0 unless ε > 0), weight = Σ w[t],
// counted = how many such positions.
struct CrossEntropySums {
  double nll = 0, smooth = 0, weight = 0;
  int64_t counted = 0;
};

// probs = softmax of each position's logits (over C); losses, when not empty (n·inner values), gets
// each position's (1 − ε)·w[t]·(lse − x[t]) + ε/C·Σ_c w[c]·(lse − x[c]) (0 where ignored). Every
// target is checked (in [0, c) or ignoreIndex) and the weight's length before anything is written.
Status crossEntropyNdForward(int64_t n, int64_t c, int64_t inner, ConstFloatSpan logits, ConstInt32Span targets,
                             const CrossEntropyOptions& options, FloatSpan probs, FloatSpan losses,
                             CrossEntropySums* sums);
// dlogits[c] = g·(nllScale·w[t]·(p[c] − [c = t]) + smoothScale·(p[c]·Σw − w[c])), 0 where ignored;
// g is gradOut[position] (n·inner values) or gradOut[0] (one value). dlogits may be probs itself.
Status crossEntropyNdBackward(int64_t n, int64_t c, int64_t inner, ConstFloatSpan probs, ConstInt32Span targets,
                              const CrossEntropyOptions& options, double nllScale, double smoothScale,
                              ConstFloatSpan gradOut, FloatSpan dlogits);

// N × C, mean over rows, no weight, nothing ignored, no smoothing (the CUDA kernels' contract too):
// *loss = mean of lse − x[target]; dlogits = (probs − onehot(target))·scale, scale = upstream / n.
Status crossEntropyForward(int64_t n, int64_t c, ConstFloatSpan logits, ConstInt32Span targets, FloatSpan probs,
                           double* loss);
Status crossEntropyBackward(int64_t n, int64_t c, ConstFloatSpan probs, ConstInt32Span targets, float scale,
                            FloatSpan dlogits);

// n, c >= 1 with n*c < 2^31 and n targets: the checks that do not read the targets (shared with
// the CUDA kernels, which check the target values on the device).
Status validateCrossEntropy(const char* fn, int64_t n, int64_t c, long long targetsSize);

}  // namespace atrous
