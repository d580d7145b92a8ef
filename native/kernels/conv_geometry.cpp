#include "conv_geometry.h"

#include <cstdio>

#include "checked_math.h"

namespace atrous {
namespace {

constexpr int64_t kMaxTensorElements = 2147483647;  // 2^31 - 1, as the JS tensors allow

Status sizeCheck(const char* op, const char* what, const int64_t* dims, int n) {
  int64_t count;
  if (!checkedProduct(dims, n, &count) || count > kMaxTensorElements)
    return Status::error(std::string(op) + ": " + what + " would have more than 2^31-1 elements");
  return Status::ok();
}

}  // namespace

Status ConvGeometry::validate(const char* op) const {
  auto fail = [&](const std::string& m) { return Status::error(std::string(op) + ": " + m); };
  struct Named { const char* name; int64_t v; int64_t min; };
  const Named fields[] = {
      {"batch", batch, 1},       {"inChannels", inChannels, 1}, {"inH", inH, 1},
      {"inW", inW, 1},           {"outChannels", outChannels, 1}, {"kernelH", kernelH, 1},
      {"kernelW", kernelW, 1},   {"strideH", strideH, 1},       {"strideW", strideW, 1},
      {"padTop", padTop, 0},     {"padBottom", padBottom, 0},   {"padLeft", padLeft, 0},
      {"padRight", padRight, 0}, {"dilationH", dilationH, 1},   {"dilationW", dilationW, 1},
      {"groups", groups, 1}};
  for (const auto& f : fields) {
    if (f.v < f.min)
      return fail(std::string(f.name) + " expects >= " + std::to_string(f.min) + ", but got " +
                  std::to_string(f.v));
    if (f.v > kMaxTensorElements)
      return fail(std::string(f.name) + " expects <= 2^31-1, but got " + std::to_string(f.v));
  }
  if (inChannels % groups != 0)
    return fail("input channels (" + std::to_string(inChannels) + ") must be divisible by groups (" +
                std::to_string(groups) + ")");
  if (outChannels % groups != 0)
    return fail("output channels (" + std::to_string(outChannels) + ") must be divisible by groups (" +
                std::to_string(groups) + ")");
  // Each field is < 2^31, so these products of two fit in int64.
  int64_t spanH = dilationH * (kernelH - 1) + 1, spanW = dilationW * (kernelW - 1) + 1;
  if (inH + padTop + padBottom < spanH || inW + padLeft + padRight < spanW)
    return fail("the output would be empty: padded input " + std::to_string(inH + padTop + padBottom) + "x" +
                std::to_string(inW + padLeft + padRight) + " is smaller than the dilated kernel " +
                std::to_string(spanH) + "x" + std::to_string(spanW));
  const int64_t in[4] = {batch, inChannels, inH, inW};
  const int64_t out[4] = {batch, outChannels, outH(), outW()};
  const int64_t w[4] = {outChannels, inChannelsPerGroup(), kernelH, kernelW};
  Status s = sizeCheck(op, "the input", in, 4);
  if (s.isOk()) s = sizeCheck(op, "the output", out, 4);
  if (s.isOk()) s = sizeCheck(op, "the weight", w, 4);
  return s;
}

std::string ConvGeometry::describe() const {
  char buf[400];
  std::snprintf(buf, sizeof buf,
                "N=%lld C=%lld H=%lld W=%lld -> Cout=%lld k=%lldx%lld stride=%lld,%lld "
                "pad=t%lld,b%lld,l%lld,r%lld dil=%lld,%lld groups=%lld (out %lldx%lld)",
                (long long)batch, (long long)inChannels, (long long)inH, (long long)inW,
                (long long)outChannels, (long long)kernelH, (long long)kernelW, (long long)strideH,
                (long long)strideW, (long long)padTop, (long long)padBottom, (long long)padLeft,
                (long long)padRight, (long long)dilationH, (long long)dilationW, (long long)groups,
                (long long)outH(), (long long)outW());
  return buf;
}

}  // namespace atrous
