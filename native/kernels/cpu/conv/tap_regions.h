// Where a dilated kernel's taps fall in padding. Along one axis, the taps that land inside the input
// form a range that only changes near the borders, so the output splits into a few segments with a
// fixed tap range each. A large dilation on a small image (ASPP: dilation 12 on 33x33) wastes
// almost half the nominal taps on padding; per-region GEMMs over the valid taps skip that work.
#pragma once
#include <cstdint>
#include <vector>

#include "../../conv_geometry.h"
#include "im2col.h"

namespace atrous {

struct TapSegment {
  int64_t outBegin, outEnd;  // output positions [outBegin, outEnd)
  int64_t tapBegin, tapEnd;  // taps valid for every one of them (may be empty)
};

// Segments along one axis: input size `in`, `out` outputs, kernel k, stride, leading pad, dilation.
std::vector<TapSegment> tapSegments(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t padBefore,
                                    int64_t dilation);

// The output rectangles of a convolution with their valid tap boxes (the product of both axes'
// segments). validFraction receives the share of nominal taps that land inside the input.
std::vector<ColumnWindow> tapWindows(const ConvGeometry& g, double* validFraction);

}  // namespace atrous
