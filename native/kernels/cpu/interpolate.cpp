#include "interpolate.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "op_checks.h"
#include "parallel_ranges.h"

namespace atrous {
namespace {

std::string pairText(int64_t a, int64_t b) { return "[" + std::to_string(a) + ", " + std::to_string(b) + "]"; }

// PyTorch's source step per output position (compute_scales_value / area_pixel_compute_scale), in float.
float sourceStep(int64_t in, int64_t out, double scale, InterpolateMode mode, bool alignCorners) {
  if (mode == InterpolateMode::Linear && alignCorners)
    return out > 1 ? static_cast<float>(in - 1) / static_cast<float>(out - 1) : 0.f;
  return scale > 0 ? static_cast<float>(1.0 / scale) : static_cast<float>(in) / static_cast<float>(out);
}

// Runs body(plane) over the N*C planes, in parallel when there is enough work.
template <typename Body>
void forEachPlane(const InterpolateGeometry& g, Body body) {
  const int64_t cost = std::max(g.x.planeSize(), g.outH * g.outW);
  parallelRanges(g.x.planes(), cost, [&](int64_t begin, int64_t end) {
    for (int64_t plane = begin; plane < end; ++plane) body(plane);
  });
}

// One output row: the taps of W applied to input row r.
inline float rowValue(const float* r, const AxisTaps& w, int64_t ow) {
  if (w.single) return r[w.index0[ow]];
  return w.weight0[ow] * r[w.index0[ow]] + w.weight1[ow] * r[w.index1[ow]];
}

void forwardPlane(const float* xp, int64_t width, const AxisTaps& h, const AxisTaps& w, int64_t outH, int64_t outW,
                  float* yp) {
  for (int64_t oh = 0; oh < outH; ++oh) {
    const float* r0 = xp + h.index0[oh] * width;
    float* yr = yp + oh * outW;
    if (h.single) {
      for (int64_t ow = 0; ow < outW; ++ow) yr[ow] = rowValue(r0, w, ow);
      continue;
    }
    const float* r1 = xp + h.index1[oh] * width;
    const float a0 = h.weight0[oh], a1 = h.weight1[oh];
    for (int64_t ow = 0; ow < outW; ++ow) yr[ow] = a0 * rowValue(r0, w, ow) + a1 * rowValue(r1, w, ow);
  }
}

inline void rowScatter(float* r, const AxisTaps& w, int64_t ow, float g) {
  if (w.single) {
    r[w.index0[ow]] += g;
    return;
  }
  r[w.index0[ow]] += w.weight0[ow] * g;
  r[w.index1[ow]] += w.weight1[ow] * g;
}

void backwardPlane(const float* gp, int64_t width, const AxisTaps& h, const AxisTaps& w, int64_t outH, int64_t outW,
                   float* dxp) {
  for (int64_t oh = 0; oh < outH; ++oh) {
    float* r0 = dxp + h.index0[oh] * width;
    const float* gr = gp + oh * outW;
    if (h.single) {
      for (int64_t ow = 0; ow < outW; ++ow) rowScatter(r0, w, ow, gr[ow]);
      continue;
    }
    float* r1 = dxp + h.index1[oh] * width;
    const float a0 = h.weight0[oh], a1 = h.weight1[oh];
    for (int64_t ow = 0; ow < outW; ++ow) {
      rowScatter(r0, w, ow, a0 * gr[ow]);
      rowScatter(r1, w, ow, a1 * gr[ow]);
    }
  }
}

Status validateScale(const char* fn, const char* arg, double scale) {
  if (scale == 0 || (std::isfinite(scale) && scale > 0)) return Status::ok();
  return Status::error(std::string(fn) + ": " + arg + " expects 0 (size given) or a finite number > 0, but got " +
                       opcheck::numberText(scale));
}

}  // namespace

AxisTaps axisTaps(int64_t in, int64_t out, double scale, InterpolateMode mode, bool alignCorners) {
  AxisTaps t;
  t.index0.resize(static_cast<size_t>(out));
  const float step = sourceStep(in, out, scale, mode, alignCorners);
  if (mode == InterpolateMode::Nearest) {
    for (int64_t o = 0; o < out; ++o)
      t.index0[o] = std::min(static_cast<int64_t>(std::floor(static_cast<float>(o) * step)), in - 1);
    return t;
  }
  if (in == out) {  // PyTorch copies an axis whose size does not change, whatever the scale factor
    for (int64_t o = 0; o < out; ++o) t.index0[o] = o;
    return t;
  }
  t.single = false;
  t.index1.resize(static_cast<size_t>(out));
  t.weight0.resize(static_cast<size_t>(out));
  t.weight1.resize(static_cast<size_t>(out));
  for (int64_t o = 0; o < out; ++o) {
    // In double from the float step, as torch's compute_source_index_and_lambda for float on the CPU.
    const double src = alignCorners ? static_cast<double>(step) * static_cast<double>(o)
                                    : std::max(static_cast<double>(step) * (static_cast<double>(o) + 0.5) - 0.5, 0.0);
    const int64_t i0 = std::min(static_cast<int64_t>(src), in - 1);
    t.index0[o] = i0;
    t.index1[o] = i0 + (i0 < in - 1 ? 1 : 0);
    t.weight1[o] = static_cast<float>(src - static_cast<double>(i0));
    t.weight0[o] = 1.f - t.weight1[o];
  }
  return t;
}

Status validateInterpolate(const char* fn, const InterpolateGeometry& g) {
  ATROUS_RETURN_IF_ERROR(g.x.validate(fn, "xShape"));
  if (g.outH < 1 || g.outW < 1)
    return Status::error(std::string(fn) + ": size expects integers >= 1, but got " + pairText(g.outH, g.outW));
  ATROUS_RETURN_IF_ERROR(g.y().validate(fn, "output"));
  ATROUS_RETURN_IF_ERROR(validateScale(fn, "scaleH", g.scaleH));
  ATROUS_RETURN_IF_ERROR(validateScale(fn, "scaleW", g.scaleW));
  if (g.mode == InterpolateMode::Nearest && g.alignCorners)
    return Status::error(std::string(fn) + ": alignCorners expects false with mode nearest, but got true");
  return Status::ok();
}

Status interpolate2dForward(const InterpolateGeometry& g, ConstFloatSpan x, FloatSpan y) {
  const char* fn = "interpolate2dForward";
  ATROUS_RETURN_IF_ERROR(validateInterpolate(fn, g));
  ATROUS_RETURN_IF_ERROR(validatePoolLengths(fn, "x", x.size, g.x.size(), "y", y, g.y().size(), x.data));
  const AxisTaps h = axisTaps(g.x.h, g.outH, g.scaleH, g.mode, g.alignCorners);
  const AxisTaps w = axisTaps(g.x.w, g.outW, g.scaleW, g.mode, g.alignCorners);
  const int64_t outPlane = g.outH * g.outW;
  forEachPlane(g, [&](int64_t plane) {
    forwardPlane(x.data + plane * g.x.planeSize(), g.x.w, h, w, g.outH, g.outW, y.data + plane * outPlane);
  });
  return Status::ok();
}

Status interpolate2dBackward(const InterpolateGeometry& g, ConstFloatSpan dy, FloatSpan dx) {
  const char* fn = "interpolate2dBackward";
  ATROUS_RETURN_IF_ERROR(validateInterpolate(fn, g));
  ATROUS_RETURN_IF_ERROR(validatePoolLengths(fn, "dy", dy.size, g.y().size(), "dx", dx, g.x.size(), dy.data));
  const AxisTaps h = axisTaps(g.x.h, g.outH, g.scaleH, g.mode, g.alignCorners);
  const AxisTaps w = axisTaps(g.x.w, g.outW, g.scaleW, g.mode, g.alignCorners);
  const int64_t outPlane = g.outH * g.outW;
  forEachPlane(g, [&](int64_t plane) {
    float* dxp = dx.data + plane * g.x.planeSize();
    std::memset(dxp, 0, static_cast<size_t>(g.x.planeSize()) * sizeof(float));
    backwardPlane(dy.data + plane * outPlane, g.x.w, h, w, g.outH, g.outW, dxp);
  });
  return Status::ok();
}

}  // namespace atrous
