// One conv geometry checked end to end against the float64 references of reference.cpp: forward
// (with and without bias), backward-data, backward-weight and the bias gradient through the entry
// points (the planner's own choice), then every path of every pass the planner can run the geometry
// with (folded and unfolded where the stride folds; for as_forward, every forward path of the
// transposed conv), each failure printing the whole geometry, the plan, the ISA and the thread count
// so that it can be replayed.
#pragma once
#include <cstdint>

#include "../kernels/conv_geometry.h"
#include "../kernels/cpu/conv/plan.h"
#include "harness.h"

namespace atrous::test {

void checkAll(Context& ctx, const ConvGeometry& g, uint64_t seed, const char* isa);

// The every-path half of checkAll alone, with a workspace budget of budgetBytes (a small one drives
// the paths' chunks and bands through small shapes). Returns how many plans ran.
int checkEveryPath(Context& ctx, const ConvGeometry& g, uint64_t seed, const char* isa,
                   int64_t budgetBytes = kConvWorkspaceBytes);
// Only the entry points (the planner's choice at the default budget), for shapes too large to run
// every path on.
void checkEntryPoints(Context& ctx, const ConvGeometry& g, uint64_t seed, const char* isa);

// Whether the planner can run `path` for this geometry and pass (folding the stride where it folds).
bool planRuns(const ConvGeometry& g, ConvPass pass, ConvPath path);

}  // namespace atrous::test
