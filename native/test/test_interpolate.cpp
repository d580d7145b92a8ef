// interpolate2dForward/Backward against naive float64 loops written from torch 1.13's definitions
// (UpSample.h): nearest and (bi)linear, alignCorners on and off, sizes and scale factors (integer,
// non-integer, downsampling), 1-d as H = 1, an axis that keeps its size, enough planes to run in
// parallel on 1 and 2 threads, and every argument check.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "../kernels/cpu/interpolate.h"
#include "harness.h"
#include "op_test_util.h"

using namespace atrous;
using namespace atrous::optest;
using test::Rng;

namespace {

struct ResizeCase {
  InterpolateGeometry g;
  std::string describe() const {
    char buf[240];
    std::snprintf(buf, sizeof buf, "x=[%lld,%lld,%lld,%lld] out=[%lld,%lld] scale=[%g,%g] mode=%s alignCorners=%d",
                  (long long)g.x.n, (long long)g.x.c, (long long)g.x.h, (long long)g.x.w, (long long)g.outH,
                  (long long)g.outW, g.scaleH, g.scaleW, g.mode == InterpolateMode::Nearest ? "nearest" : "linear",
                  g.alignCorners ? 1 : 0);
    return buf;
  }
};

// size given: scale 0; scale given: out = floor(in * scale), as F.interpolate computes it.
ResizeCase resizeCase(Nchw x, int64_t outH, int64_t outW, double scaleH, double scaleW, InterpolateMode mode,
                      bool alignCorners) {
  ResizeCase k;
  k.g.x = x;
  k.g.outH = scaleH > 0 ? static_cast<int64_t>(std::floor(static_cast<double>(x.h) * scaleH)) : outH;
  k.g.outW = scaleW > 0 ? static_cast<int64_t>(std::floor(static_cast<double>(x.w) * scaleW)) : outW;
  k.g.scaleH = scaleH;
  k.g.scaleW = scaleW;
  k.g.mode = mode;
  k.g.alignCorners = alignCorners;
  return k;
}

std::vector<ResizeCase> resizeCases() {
  const auto N = InterpolateMode::Nearest, L = InterpolateMode::Linear;
  std::vector<ResizeCase> cases;
  for (InterpolateMode mode : {N, L})
    for (bool align : {false, true}) {
      if (mode == N && align) continue;
      // 1-d (H = outH = 1)
      cases.push_back(resizeCase({2, 3, 1, 7}, 1, 15, 0, 0, mode, align));   // size, upsampling
      cases.push_back(resizeCase({2, 3, 1, 9}, 1, 4, 0, 0, mode, align));    // size, downsampling
      cases.push_back(resizeCase({1, 2, 1, 5}, 1, 0, 0, 2.5, mode, align));  // non-integer factor
      cases.push_back(resizeCase({1, 2, 1, 10}, 1, 0, 0, 0.35, mode, align));
      cases.push_back(resizeCase({1, 1, 1, 1}, 1, 6, 0, 0, mode, align));    // one input sample
      cases.push_back(resizeCase({1, 2, 1, 6}, 1, 1, 0, 0, mode, align));    // one output sample
      // 2-d
      cases.push_back(resizeCase({2, 3, 4, 5}, 8, 10, 0, 0, mode, align));
      cases.push_back(resizeCase({1, 2, 9, 7}, 4, 3, 0, 0, mode, align));
      cases.push_back(resizeCase({1, 2, 5, 6}, 0, 0, 1.7, 0.6, mode, align));
      cases.push_back(resizeCase({2, 2, 3, 4}, 3, 11, 0, 0, mode, align));   // H keeps its size
      cases.push_back(resizeCase({1, 1, 4, 4}, 0, 0, 1.2, 2.0, mode, align));  // scale given, H keeps its size
      cases.push_back(resizeCase({2, 3, 1, 1}, 5, 7, 0, 0, mode, align));    // a 1x1 source (ASPP's image pool)
      cases.push_back(resizeCase({1, 2, 12, 3}, 2, 9, 0, 0, mode, align));   // H shrinks (rows skipped), W grows
      cases.push_back(resizeCase({4, 17, 19, 23}, 37, 29, 0, 0, mode, align));  // enough planes to go parallel
    }
  return cases;
}

// PyTorch's float step (compute_scales_value / area_pixel_compute_scale).
float torchStep(int64_t in, int64_t out, double scale, bool linear, bool align) {
  if (linear && align) return out > 1 ? static_cast<float>(in - 1) / static_cast<float>(out - 1) : 0.f;
  return scale > 0 ? static_cast<float>(1.0 / scale) : static_cast<float>(in) / static_cast<float>(out);
}

// The (index, weight) pairs output position o of one axis reads.
std::vector<std::pair<int64_t, double>> naiveTaps(int64_t o, int64_t in, int64_t out, double scale, InterpolateMode mode,
                                                  bool align) {
  const bool linear = mode == InterpolateMode::Linear;
  const float step = torchStep(in, out, scale, linear, align);
  if (!linear) return {{std::min<int64_t>(static_cast<int64_t>(std::floor(static_cast<float>(o) * step)), in - 1), 1.0}};
  if (in == out) return {{o, 1.0}};
  double src = align ? double(step) * o : double(step) * (o + 0.5) - 0.5;
  if (src < 0) src = 0;
  const int64_t i0 = static_cast<int64_t>(std::floor(src));
  const int64_t i1 = std::min(i0 + 1, in - 1);
  const double l1 = src - static_cast<double>(i0);
  return {{i0, 1.0 - l1}, {i1, l1}};
}

void naiveResize(const ResizeCase& k, const std::vector<float>& x, const std::vector<float>& dy, std::vector<double>& y,
                 std::vector<double>& dx) {
  const InterpolateGeometry& g = k.g;
  y.assign(static_cast<size_t>(g.y().size()), 0);
  dx.assign(static_cast<size_t>(g.x.size()), 0);
  for (int64_t pl = 0; pl < g.x.planes(); ++pl)
    for (int64_t oh = 0; oh < g.outH; ++oh)
      for (int64_t ow = 0; ow < g.outW; ++ow) {
        const int64_t o = (pl * g.outH + oh) * g.outW + ow;
        for (auto [ih, wh] : naiveTaps(oh, g.x.h, g.outH, g.scaleH, g.mode, g.alignCorners))
          for (auto [iw, ww] : naiveTaps(ow, g.x.w, g.outW, g.scaleW, g.mode, g.alignCorners)) {
            const int64_t i = (pl * g.x.h + ih) * g.x.w + iw;
            y[o] += wh * ww * x[i];
            dx[i] += wh * ww * dy[o];
          }
      }
}

}  // namespace

ATROUS_TEST(opsInterpolateMatchesNaive) {
  ThreadCountGuard guard;
  for (int threads : {1, 2})
    for (const ResizeCase& k : resizeCases()) {
      setNumThreads(threads);
      const std::string tag = k.describe() + " threads=" + std::to_string(threads);
      Rng rng(static_cast<uint64_t>(k.g.x.size() + k.g.outW));
      auto x = rng.floats(k.g.x.size());
      auto dy = rng.floats(k.g.y().size());
      std::vector<double> want, wantDx;
      naiveResize(k, x, dy, want, wantDx);
      std::vector<float> y(want.size(), kNan), dx(wantDx.size(), kNan);  // every value must be written
      Status s = interpolate2dForward(k.g, cspan(x), span(y));
      ctx.check(s.isOk(), "interpolate2dForward %s: %s", tag.c_str(), s.message().c_str());
      checkClose(ctx, y, want, "interpolate2dForward " + tag);
      s = interpolate2dBackward(k.g, cspan(dy), span(dx));
      ctx.check(s.isOk(), "interpolate2dBackward %s: %s", tag.c_str(), s.message().c_str());
      checkClose(ctx, dx, wantDx, "interpolate2dBackward " + tag);
    }
}

// The scatter-add is serial within a plane: the gradient is bit-identical whatever the thread count.
ATROUS_TEST(opsInterpolateBackwardIsDeterministic) {
  ThreadCountGuard guard;
  const ResizeCase k = resizeCase({4, 17, 19, 23}, 0, 0, 0.7, 0.45, InterpolateMode::Linear, false);
  Rng rng(5);
  auto dy = rng.floats(k.g.y().size());
  std::vector<float> first(static_cast<size_t>(k.g.x.size())), again(first.size());
  setNumThreads(1);
  ctx.check(interpolate2dBackward(k.g, cspan(dy), span(first)).isOk(), "backward on 1 thread failed");
  setNumThreads(2);
  ctx.check(interpolate2dBackward(k.g, cspan(dy), span(again)).isOk(), "backward on 2 threads failed");
  ctx.check(first == again, "%s: the gradient differs between 1 and 2 threads", k.describe().c_str());
}

ATROUS_TEST(opsInterpolateRejectsBadArguments) {
  const ResizeCase k = resizeCase({1, 2, 3, 4}, 6, 8, 0, 0, InterpolateMode::Linear, false);  // output 96
  std::vector<float> x(24), y(96), small(23), dx(24, 7.f);
  ctx.check(interpolate2dForward(k.g, cspan(x), span(y)).isOk(), "the valid case failed");
  ResizeCase bad = k;
  bad.g.mode = InterpolateMode::Nearest;
  bad.g.alignCorners = true;
  expectError(ctx, interpolate2dForward(bad.g, cspan(x), span(y)), "alignCorners expects false with mode nearest",
              "alignCorners with nearest accepted");
  bad = k;
  bad.g.outW = 0;
  expectError(ctx, interpolate2dForward(bad.g, cspan(x), span(y)), "size expects integers >= 1, but got [6, 0]",
              "an output width of 0 accepted");
  bad = k;
  bad.g.scaleH = -2;
  expectError(ctx, interpolate2dForward(bad.g, cspan(x), span(y)), "scaleH expects 0 (size given) or a finite number > 0",
              "a negative scale accepted");
  bad.g.scaleH = NAN;
  expectError(ctx, interpolate2dForward(bad.g, cspan(x), span(y)), "scaleH", "a NaN scale accepted");
  bad = k;
  bad.g.x.c = 0;
  expectError(ctx, interpolate2dForward(bad.g, cspan(x), span(y)), "xShape expects every dim >= 1", "a zero dim accepted");
  bad = k;
  bad.g.outH = bad.g.outW = int64_t{1} << 20;
  expectError(ctx, interpolate2dForward(bad.g, cspan(x), span(y)), "output expects at most 2^31-1",
              "a 2^41-element output accepted");
  expectError(ctx, interpolate2dForward(k.g, cspan(small), span(y)), "interpolate2dForward: x expects 24 elements",
              "a short x accepted");
  expectError(ctx, interpolate2dForward(k.g, cspan(x), span(small)), "y expects 96", "a short y accepted");
  expectError(ctx, interpolate2dForward(k.g, ConstFloatSpan(y.data(), 24), span(y)), "overlaps x",
              "y over x accepted");
  expectError(ctx, interpolate2dBackward(k.g, cspan(small), span(dx)), "interpolate2dBackward: dy expects 96",
              "a short dy accepted");
  expectError(ctx, interpolate2dBackward(k.g, cspan(y), span(small)), "dx expects 24", "a short dx accepted");
  int touched = 0;
  for (float v : dx) touched += v != 7.f;
  ctx.check(touched == 0, "a rejected interpolate2dBackward wrote %d values of dx", touched);
}
