#include "tap_regions.h"

namespace atrous {

std::vector<TapSegment> tapSegments(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t padBefore,
                                    int64_t dilation) {
  std::vector<TapSegment> segments;
  for (int64_t o = 0; o < out; ++o) {
    const int64_t base = o * stride - padBefore;
    int64_t lo = 0, hi = k;
    while (lo < k && base + lo * dilation < 0) ++lo;
    while (hi > lo && base + (hi - 1) * dilation >= in) --hi;
    if (hi == lo) lo = hi = 0;  // one canonical empty range, so empty outputs merge
    if (!segments.empty() && segments.back().tapBegin == lo && segments.back().tapEnd == hi)
      segments.back().outEnd = o + 1;
    else
      segments.push_back({o, o + 1, lo, hi});
  }
  return segments;
}

std::vector<ColumnWindow> tapWindows(const ConvGeometry& g, double* validFraction) {
  const auto rows = tapSegments(g.inH, g.outH(), g.kernelH, g.strideH, g.padTop, g.dilationH);
  const auto cols = tapSegments(g.inW, g.outW(), g.kernelW, g.strideW, g.padLeft, g.dilationW);
  double validH = 0, validW = 0;
  for (const auto& r : rows) validH += double(r.outEnd - r.outBegin) * double(r.tapEnd - r.tapBegin);
  for (const auto& c : cols) validW += double(c.outEnd - c.outBegin) * double(c.tapEnd - c.tapBegin);
  *validFraction = (validH / (double(g.outH()) * g.kernelH)) * (validW / (double(g.outW()) * g.kernelW));
  std::vector<ColumnWindow> windows;
  for (const auto& r : rows)
    for (const auto& c : cols)
      windows.push_back({r.outBegin, r.outEnd, c.outBegin, c.outEnd, r.tapBegin, r.tapEnd, c.tapBegin, c.tapEnd});
  return windows;
}

}  // namespace atrous
