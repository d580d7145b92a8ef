#include "interpolate.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

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

// Runs body(plane, scratch) over the N*C planes, in parallel when there is enough work; scratch holds
// scratchFloats floats per range of planes.
template <typename Body>
void forEachPlane(const InterpolateGeometry& g, int64_t scratchFloats, Body body) {
  const int64_t cost = std::max(g.x.planeSize(), g.outH * g.outW);
  parallelRanges(g.x.planes(), cost, [&](int64_t begin, int64_t end) {
    std::vector<float> scratch(static_cast<size_t>(scratchFloats));
    for (int64_t plane = begin; plane < end; ++plane) body(plane, scratch.data());
  });
}

// One output row: the taps of W applied to input row r.
inline float rowValue(const float* r, const AxisTaps& w, int64_t ow) {
  if (w.single) return r[w.index0[ow]];
  return w.weight0[ow] * r[w.index0[ow]] + w.weight1[ow] * r[w.index1[ow]];
}

// Separable, W first: output row oh is a0·(row index0 resized along W) + a1·(row index1 resized), a
// loop over contiguous rows that vectorises. Each input row is resized once while consecutive output
// rows read it (index0 and index1 never decrease with oh): two slots of outW floats in rows. The same
// products and sums as resizing each output value from the input directly (torch's order).
void forwardPlane(const float* xp, int64_t width, const AxisTaps& h, const AxisTaps& w, int64_t outH, int64_t outW,
                  float* rows, float* yp) {
  int64_t held[2] = {-1, -1};
  // Input row ih resized along W, in a slot other than the one holding row keep.
  auto resized = [&](int64_t ih, int64_t keep) -> const float* {
    for (int s = 0; s < 2; ++s)
      if (held[s] == ih) return rows + s * outW;
    const int s = held[0] == keep ? 1 : held[1] == keep ? 0 : (held[0] < held[1] ? 0 : 1);
    held[s] = ih;
    float* t = rows + s * outW;
    const float* r = xp + ih * width;
    for (int64_t ow = 0; ow < outW; ++ow) t[ow] = rowValue(r, w, ow);
    return t;
  };
  for (int64_t oh = 0; oh < outH; ++oh) {
    const float* t0 = resized(h.index0[oh], -1);
    float* yr = yp + oh * outW;
    if (h.single) {
      std::memcpy(yr, t0, static_cast<size_t>(outW) * sizeof(float));
      continue;
    }
    const float* t1 = resized(h.index1[oh], h.index0[oh]);
    const float a0 = h.weight0[oh], a1 = h.weight1[oh];
    for (int64_t ow = 0; ow < outW; ++ow) yr[ow] = a0 * t0[ow] + a1 * t1[ow];
  }
}

// An axis's taps read backwards: for input position i, the (output position, weight) pairs that read
// it, in output order (tap 0 before tap 1), as offsets[i]..offsets[i + 1] into output / weight.
struct GatherTaps {
  std::vector<int64_t> offsets, output;
  std::vector<float> weight;
};

GatherTaps gatherTaps(const AxisTaps& a, int64_t in, int64_t out) {
  GatherTaps t;
  t.offsets.assign(static_cast<size_t>(in + 1), 0);
  for (int64_t o = 0; o < out; ++o) {
    ++t.offsets[a.index0[o] + 1];
    if (!a.single) ++t.offsets[a.index1[o] + 1];
  }
  for (int64_t i = 0; i < in; ++i) t.offsets[i + 1] += t.offsets[i];
  t.output.resize(static_cast<size_t>(t.offsets[in]));
  t.weight.resize(static_cast<size_t>(t.offsets[in]));
  std::vector<int64_t> next(t.offsets.begin(), t.offsets.end() - 1);
  for (int64_t o = 0; o < out; ++o) {
    int64_t k = next[a.index0[o]]++;
    t.output[k] = o;
    t.weight[k] = a.single ? 1.f : a.weight0[o];
    if (a.single) continue;
    k = next[a.index1[o]]++;
    t.output[k] = o;
    t.weight[k] = a.weight1[o];
  }
  return t;
}

// The forward's transpose as gathers, separable: input row ih sums the dy rows that read it, weighted
// (contiguous AXPYs into u, outW floats), then each of its values sums its W taps from u. Every dx value
// is written once: no scatter-add chains through one element from consecutive outputs.
void backwardPlane(const float* gp, int64_t inH, int64_t width, const GatherTaps& h, const GatherTaps& w, int64_t outW,
                   float* u, float* dxp) {
  for (int64_t ih = 0; ih < inH; ++ih) {
    std::memset(u, 0, static_cast<size_t>(outW) * sizeof(float));
    for (int64_t k = h.offsets[ih]; k < h.offsets[ih + 1]; ++k) {
      const float a = h.weight[k];
      const float* gr = gp + h.output[k] * outW;
      for (int64_t ow = 0; ow < outW; ++ow) u[ow] += a * gr[ow];
    }
    float* dr = dxp + ih * width;
    for (int64_t iw = 0; iw < width; ++iw) {
      float sum = 0;
      for (int64_t k = w.offsets[iw]; k < w.offsets[iw + 1]; ++k) sum += w.weight[k] * u[w.output[k]];
      dr[iw] = sum;
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
  forEachPlane(g, 2 * g.outW, [&](int64_t plane, float* rows) {
    forwardPlane(x.data + plane * g.x.planeSize(), g.x.w, h, w, g.outH, g.outW, rows, y.data + plane * outPlane);
  });
  return Status::ok();
}

Status interpolate2dBackward(const InterpolateGeometry& g, ConstFloatSpan dy, FloatSpan dx) {
  const char* fn = "interpolate2dBackward";
  ATROUS_RETURN_IF_ERROR(validateInterpolate(fn, g));
  ATROUS_RETURN_IF_ERROR(validatePoolLengths(fn, "dy", dy.size, g.y().size(), "dx", dx, g.x.size(), dy.data));
  const AxisTaps h = axisTaps(g.x.h, g.outH, g.scaleH, g.mode, g.alignCorners);
  const AxisTaps w = axisTaps(g.x.w, g.outW, g.scaleW, g.mode, g.alignCorners);
  const GatherTaps hFrom = gatherTaps(h, g.x.h, g.outH), wFrom = gatherTaps(w, g.x.w, g.outW);
  const int64_t outPlane = g.outH * g.outW;
  forEachPlane(g, g.outW, [&](int64_t plane, float* u) {
    backwardPlane(dy.data + plane * outPlane, g.x.h, g.x.w, hFrom, wFrom, g.outW, u, dx.data + plane * g.x.planeSize());
  });
  return Status::ok();
}

}  // namespace atrous
