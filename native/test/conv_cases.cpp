#include "conv_cases.h"

namespace atrous::test {

ConvGeometry geometry(int64_t n, int64_t c, int64_t h, int64_t w, int64_t cout, int64_t kh, int64_t kw, int64_t sh,
                      int64_t sw, int64_t pt, int64_t pb, int64_t pl, int64_t pr, int64_t dh, int64_t dw,
                      int64_t groups) {
  ConvGeometry g;
  g.batch = n; g.inChannels = c; g.inH = h; g.inW = w; g.outChannels = cout; g.kernelH = kh; g.kernelW = kw;
  g.strideH = sh; g.strideW = sw; g.padTop = pt; g.padBottom = pb; g.padLeft = pl; g.padRight = pr;
  g.dilationH = dh; g.dilationW = dw; g.groups = groups;
  return g;
}

ConvGeometry randomGeometry(Rng& rng) {
  for (;;) {
    const bool oneD = rng.intIn(0, 3) == 0;
    const int64_t groups = rng.intIn(0, 2) == 0 ? rng.intIn(1, 4) : 1;
    const bool depthwise = rng.intIn(0, 5) == 0;
    const int64_t cinG = depthwise ? 1 : rng.intIn(1, 9), coutG = rng.intIn(1, 9);
    const int64_t kh = oneD ? 1 : rng.intIn(1, 4), kw = rng.intIn(1, 4);
    const int64_t dh = oneD ? 1 : rng.intIn(1, 5), dw = rng.intIn(1, 6);
    const int64_t h = oneD ? 1 : rng.intIn(1, 19), w = rng.intIn(1, oneD ? 60 : 19);
    auto pad = [&](int64_t d, int64_t k) { return rng.intIn(0, d * (k - 1) + 2); };
    const bool pointwise = rng.intIn(0, 9) == 0;  // 1x1, stride 1, no padding: a GEMM-only path on CUDA
    ConvGeometry g = pointwise
        ? geometry(rng.intIn(1, 4), cinG * groups, h, w, coutG * groups, 1, 1, 1, 1, 0, 0, 0, 0, dh, dw, groups)
        : geometry(rng.intIn(1, 4), cinG * groups, h, w, coutG * groups, kh, kw, oneD ? 1 : rng.intIn(1, 3),
                   rng.intIn(1, 3), oneD ? 0 : pad(dh, kh), oneD ? 0 : pad(dh, kh), pad(dw, kw), pad(dw, kw), dh, dw,
                   groups);
    if (g.validate("test").isOk()) return g;
  }
}

std::vector<BadConvCase> badConvForwardCases(const ConvGeometry& good) {
  ConvGeometry zeroBatch = good; zeroBatch.batch = 0;
  ConvGeometry badGroups = good; badGroups.groups = good.inChannels + 1;
  ConvGeometry zeroStride = good; zeroStride.strideW = 0;
  ConvGeometry negativePad = good; negativePad.padLeft = -1;
  ConvGeometry empty = good; empty.dilationH = good.inH; empty.padTop = empty.padBottom = 0;
  ConvGeometry huge = good; huge.batch = 1ll << 40;
  ConvGeometry overflow = good; overflow.inH = overflow.inW = 3000000000ll;
  const long long X = good.inputSize(), W = good.weightSize(), B = good.outChannels, Y = good.outputSize();
  return {
      {"batch 0", zeroBatch, X, W, B, Y, "batch"},
      {"groups not dividing channels", badGroups, X, W, B, Y, "groups"},
      {"stride 0", zeroStride, X, W, B, Y, "strideW"},
      {"negative padding", negativePad, X, W, B, Y, "padLeft"},
      {"empty output", empty, X, W, B, Y, "empty"},
      {"batch 2^40", huge, X, W, B, Y, "batch"},
      {"sizes over int32", overflow, X, W, B, Y, "inH"},
      {"input too short", good, X - 1, W, B, Y, "input"},
      {"weight too long", good, X, W + 1, B, Y, "weight"},
      {"bias one short", good, X, W, B - 1, Y, "bias"},
      {"output too short", good, X, W, B, Y - 1, "output"},
  };
}

}  // namespace atrous::test
