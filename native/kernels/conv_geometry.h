// The geometry of a 2-d convolution (1-d is H = KH = 1), PyTorch semantics, NCHW, weight
// Cout x (Cin/groups) x KH x KW. Shared by the CPU and CUDA kernels, the tests and the benches.
#pragma once
#include <cstdint>
#include <string>

#include "status.h"

namespace atrous {

struct ConvGeometry {
  int64_t batch = 1, inChannels = 1, inH = 1, inW = 1;
  int64_t outChannels = 1, kernelH = 1, kernelW = 1;
  int64_t strideH = 1, strideW = 1;
  int64_t padTop = 0, padBottom = 0, padLeft = 0, padRight = 0;  // per side: 'same' and 'causal' are just values
  int64_t dilationH = 1, dilationW = 1;
  int64_t groups = 1;

  // (H + padTop + padBottom - (d(k-1)+1)) / s + 1, written once.
  int64_t outH() const { return (inH + padTop + padBottom - (dilationH * (kernelH - 1) + 1)) / strideH + 1; }
  int64_t outW() const { return (inW + padLeft + padRight - (dilationW * (kernelW - 1) + 1)) / strideW + 1; }
  // Whether every tap position a kernel forms (o * stride - pad + k * dilation, i + pad) fits in int32:
  // they all lie within the padded extents. The CUDA kernels use 32-bit positions where this holds.
  bool paddedExtentsFitInt32() const {
    return inH + padTop + padBottom <= 2147483647 && inW + padLeft + padRight <= 2147483647;
  }
  int64_t inChannelsPerGroup() const { return inChannels / groups; }
  int64_t outChannelsPerGroup() const { return outChannels / groups; }

  // Element counts (valid once validate() has passed).
  int64_t inputSize() const { return batch * inChannels * inH * inW; }
  int64_t outputSize() const { return batch * outChannels * outH() * outW(); }
  int64_t weightSize() const { return outChannels * inChannelsPerGroup() * kernelH * kernelW; }

  // Positive sizes, divisible groups, a non-empty output and element counts that fit in int64
  // (and in int32 per tensor, the largest tensor the JS side can hold). op names the caller.
  Status validate(const char* op) const;
  std::string describe() const;  // every field, for error messages and failing tests
};

}  // namespace atrous
