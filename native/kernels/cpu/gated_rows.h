// One run of WaveNet's gated activation, per ISA: f (filter) and g (gate) pre-activations, n values each.
// Forward z = tanh(f)·σ(g); backward from f, g and dz: df = dz·σ(g)·(1 − tanh(f)²), dg = dz·tanh(f)·σ(g)·(1 − σ(g)).
// Every variant is the same loop over vector_math.h, vectorised by the compiler at its ISA's width.
#pragma once
#include <cstdint>

namespace atrous {

void gatedTanhRowScalar(const float* f, const float* g, int64_t n, float* z);
void gatedTanhRowAvx512(const float* f, const float* g, int64_t n, float* z);
void gatedTanhBackwardRowScalar(const float* f, const float* g, const float* dz, int64_t n, float* df, float* dg);
void gatedTanhBackwardRowAvx512(const float* f, const float* g, const float* dz, int64_t n, float* df, float* dg);

}  // namespace atrous
