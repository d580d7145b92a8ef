// One causal Conv1d layer run as a stream (the Fast-WaveNet algorithm): the layer keeps the last
// P = (kernel-1)·dilation inputs of each sample in a ring, so a pushed chunk of T steps costs T output
// columns of work whatever the receptive field, instead of recomputing the whole history.
#pragma once
#include <cstdint>

#include "../../status.h"

namespace atrous {

struct CausalStreamShape {
  int64_t batch;        // N
  int64_t inChannels;   // Cin
  int64_t outChannels;  // Cout
  int64_t kernel;       // k
  int64_t dilation;     // d
  int64_t groups;       // divides Cin and Cout
  int64_t steps;        // T, the chunk's length (>= 1)
};

// The history one sample-channel keeps: (kernel-1)·dilation steps (0 for a 1-tap conv).
int64_t causalStreamHistory(const CausalStreamShape& s);

// out (N×Cout×T) = causal conv1d of [history | x] (x: N×Cin×T, weight: Cout×(Cin/groups)×k, bias: Cout or
// empty), then the ring takes the newest P steps. history is N×Cin×P; the oldest kept step of every
// row sits at slot `head`, the next at head+1 (mod P); the caller advances head by T (mod P) after
// the call. A fresh ring of zeros gives the same outputs as padding='causal' over the whole sequence.
Status causalConvStream(const CausalStreamShape& s, ConstFloatSpan x, ConstFloatSpan weight, ConstFloatSpan bias,
                        FloatSpan history, int64_t head, FloatSpan out);

}  // namespace atrous
