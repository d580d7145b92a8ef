// One conv geometry checked end to end against the float64 references of reference.cpp: forward
// (with and without bias), backward-data, backward-weight and the bias gradient, each failure printing
// the whole geometry, the ISA and the thread count so that it can be replayed.
#pragma once
#include <cstdint>

#include "../kernels/conv_geometry.h"
#include "harness.h"

namespace atrous::test {

void checkAll(Context& ctx, const ConvGeometry& g, uint64_t seed, const char* isa);

}  // namespace atrous::test
