// Resizing N×C×H×W float32 planes as torch.nn.functional.interpolate (torch 1.13) does: 'nearest'
// and (bi)linear with or without align_corners. A 1-d resize is a 2-d one over H = outH = 1. Each
// output axis reads its source positions from a table of taps built once per call; planes (n, c)
// are independent, so they are what runs in parallel. Both directions are separable (along W, then
// H) over contiguous rows; the backward gathers each dx value from the taps that read it, in output
// order within a plane (deterministic).
#pragma once
#include <cstdint>
#include <vector>

#include "../status.h"
#include "pool.h"

namespace atrous {

enum class InterpolateMode { Nearest, Linear };

struct InterpolateGeometry {
  Nchw x;
  int64_t outH = 1, outW = 1;
  // The user's scale factor per axis when one was given (it sets the source step to 1/scale, as
  // PyTorch does without recompute_scale_factor); 0 when the size was given (step in/out).
  double scaleH = 0, scaleW = 0;
  InterpolateMode mode = InterpolateMode::Nearest;
  bool alignCorners = false;  // linear only
  Nchw y() const { return Nchw{x.n, x.c, outH, outW}; }
};

// Source taps of one output axis: position o reads weight0[o]·in[index0[o]] + weight1[o]·in[index1[o]].
// Nearest (and an axis whose size does not change, which PyTorch copies) has one tap: weight0 1.
struct AxisTaps {
  bool single = true;
  std::vector<int64_t> index0, index1;
  std::vector<float> weight0, weight1;
};

// nearest: min(floor(o·r), in−1) with r = float(1/scale) or float(in)/out (float arithmetic, as torch);
// linear: src = r·o (alignCorners, r = (in−1)/(out−1)) or max(r·(o + 0.5) − 0.5, 0), index0 = floor(src),
// index1 = min(index0 + 1, in − 1), weight1 = src − index0. Valid arguments only (validateInterpolate).
AxisTaps axisTaps(int64_t in, int64_t out, double scale, InterpolateMode mode, bool alignCorners);

// x and the output's shape (every dim >= 1, < 2^31 elements), scales 0 or finite > 0, no alignCorners
// with nearest.
Status validateInterpolate(const char* fn, const InterpolateGeometry& g);
Status interpolate2dForward(const InterpolateGeometry& g, ConstFloatSpan x, FloatSpan y);
// dx: each value the sum of the dy values whose taps read it, times their weights.
Status interpolate2dBackward(const InterpolateGeometry& g, ConstFloatSpan dy, FloatSpan dx);

}  // namespace atrous
