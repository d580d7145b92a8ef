// Folding a stride into the input. On an axis with stride s, leading padding p and dilation d, a tap
// reads input position o*s - p + k*d. When f = gcd(s, p, d) > 1 every such position is a multiple of
// f, so the convolution equals one with stride s/f, padding p/f and dilation d/f over the input
// subsampled by f (x[..., ::f]) — the positions in between are never read. The subsampled input is a
// fraction of the data and, when s/f = 1, gets the stride-1 paths' contiguous packing (S6: stride 2,
// dilation 2, padding 2 becomes a stride-1, dilation-1 conv on a 28x28 input).
//
// The same identity carries over to the gradients: the weight gradient is the folded conv's weight
// gradient of the subsampled input, and the data gradient is the folded conv's data gradient
// scattered back onto the multiples of f (zero everywhere else).
#pragma once
#include <cstdint>

#include "../../conv_geometry.h"

namespace atrous {

struct StrideFold {
  int64_t factorH = 1, factorW = 1;  // the subsampling per axis
  ConvGeometry folded;               // the same conv over the subsampled input, for the whole batch
};

// Whether some axis folds (a factor above 1); fills fold. Whether a conv is folded is the planner's
// rule (plan.cpp: dense groups only).
bool planStrideFold(const ConvGeometry& g, StrideFold* fold);

// xs[n][c][i][j] = x[n][c][i * factorH][j * factorW] for `images` images of x, over the folded
// geometry's inH x inW.
void subsampleInput(const ConvGeometry& g, const StrideFold& fold, const float* x, int64_t images, float* xs);

// dx[n][c][i * factorH][j * factorW] = dxs[n][c][i][j] over the folded inH x inW, zero at every other
// position of dx, for `images` images.
void scatterSubsampled(const ConvGeometry& g, const StrideFold& fold, const float* dxs, int64_t images, float* dx);

}  // namespace atrous
