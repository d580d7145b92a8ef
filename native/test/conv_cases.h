// Convolution geometries shared by the CPU and CUDA conv tests: a one-line constructor and the
// random draw (odd sizes, 1-d and 2-d, groups, depthwise, per-side padding up to past the kernel,
// per-axis stride and dilation, and now and then a 1x1 stride-1 unpadded case).
#pragma once
#include <cstdint>
#include <vector>

#include "../kernels/conv_geometry.h"
#include "harness.h"

namespace atrous::test {

ConvGeometry geometry(int64_t n, int64_t c, int64_t h, int64_t w, int64_t cout, int64_t kh, int64_t kw, int64_t sh,
                      int64_t sw, int64_t pt, int64_t pb, int64_t pl, int64_t pr, int64_t dh, int64_t dw,
                      int64_t groups);

// A valid geometry drawn from rng (redrawn until it validates).
ConvGeometry randomGeometry(Rng& rng);

// A convForward call that must be refused: a broken geometry or a buffer of the wrong length, and a
// word its error message must contain.
struct BadConvCase {
  const char* what;
  ConvGeometry g;
  long long inputSize, weightSize, biasSize, outputSize;
  const char* mentions;
};
// Every way to get convForward's arguments wrong, derived from a valid geometry whose buffers hold
// exactly good.inputSize(), good.weightSize(), good.outChannels and good.outputSize() floats.
std::vector<BadConvCase> badConvForwardCases(const ConvGeometry& good);

}  // namespace atrous::test
