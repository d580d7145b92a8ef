#include "causal_stream.h"

#include <string>

#include "../../checked_math.h"
#include "../gemm.h"
#include "../op_checks.h"
#include "../reusable_scratch.h"

namespace atrous {

int64_t causalStreamHistory(const CausalStreamShape& s) { return (s.kernel - 1) * s.dilation; }

namespace {

Status validate(const CausalStreamShape& s, ConstFloatSpan x, ConstFloatSpan weight, ConstFloatSpan bias,
                FloatSpan history, int64_t head, FloatSpan out) {
  const char* fn = "causalConvStream";
  const auto fail = [&](const std::string& what) { return Status::error(std::string(fn) + ": " + what); };
  if (s.batch < 1 || s.inChannels < 1 || s.outChannels < 1 || s.kernel < 1 || s.dilation < 1 || s.groups < 1 ||
      s.steps < 1)
    return fail("expects batch, channels, kernel, dilation, groups and steps >= 1");
  if (s.inChannels % s.groups != 0 || s.outChannels % s.groups != 0)
    return fail("groups (" + std::to_string(s.groups) + ") must divide inChannels (" + std::to_string(s.inChannels) +
                ") and outChannels (" + std::to_string(s.outChannels) + ")");
  int64_t p = 0, xSize = 0, wSize = 0, hSize = 0, oSize = 0;
  const int64_t xDims[] = {s.batch, s.inChannels, s.steps};
  const int64_t wDims[] = {s.outChannels, s.inChannels / s.groups, s.kernel};
  const int64_t oDims[] = {s.batch, s.outChannels, s.steps};
  if (mulOverflows(s.kernel - 1, s.dilation, &p) || !checkedProduct(xDims, 3, &xSize) ||
      !checkedProduct(wDims, 3, &wSize) || !checkedProduct(oDims, 3, &oSize) ||
      mulOverflows(s.batch * s.inChannels, p, &hSize) || p + s.steps > 2147483647 ||
      xSize > 2147483647 || hSize > 2147483647 || oSize > 2147483647)
    return fail("sizes overflow (every array must hold < 2^31 elements)");
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "x", x.size, xSize));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "weight", weight.size, wSize));
  if (bias.size != 0) ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "bias", bias.size, s.outChannels));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "history", history.size, hSize));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "out", out.size, oSize));
  if (head < 0 || (p > 0 && head >= p) || (p == 0 && head != 0))
    return fail("head expects an integer in [0, " + std::to_string(p > 0 ? p - 1 : 0) + "], but got " +
                std::to_string(head));
  ATROUS_RETURN_IF_ERROR(opcheck::disjoint(fn, "out", out.data, oSize * 4, "x", x.data, xSize * 4));
  ATROUS_RETURN_IF_ERROR(opcheck::disjoint(fn, "out", out.data, oSize * 4, "history", history.data, hSize * 4));
  ATROUS_RETURN_IF_ERROR(opcheck::disjoint(fn, "history", history.data, hSize * 4, "x", x.data, xSize * 4));
  return Status::ok();
}

}  // namespace

Status causalConvStream(const CausalStreamShape& s, ConstFloatSpan x, ConstFloatSpan weight, ConstFloatSpan bias,
                        FloatSpan history, int64_t head, FloatSpan out) {
  ATROUS_RETURN_IF_ERROR(validate(s, x, weight, bias, history, head, out));
  const int64_t p = causalStreamHistory(s), t = s.steps, k = s.kernel, d = s.dilation;
  const int64_t cinG = s.inChannels / s.groups, coutG = s.outChannels / s.groups, rows = cinG * k;
  // The chunk's columns: col[(c·k + j)·T + τ] = window_c[τ + j·d], where window_c is the channel's P
  // kept steps (oldest first, from the ring) followed by its T new ones. Tap k-1 is the current step.
  thread_local ReusableScratch colScratch;
  float* col = colScratch.floats(rows * t);
  for (int64_t n = 0; n < s.batch; ++n) {
    for (int64_t g = 0; g < s.groups; ++g) {
      for (int64_t c = 0; c < cinG; ++c) {
        const int64_t channel = g * cinG + c;
        const float* ring = history.data + (n * s.inChannels + channel) * p;
        const float* fresh = x.data + (n * s.inChannels + channel) * t;
        for (int64_t j = 0; j < k; ++j) {
          float* dst = col + (c * k + j) * t;
          for (int64_t tau = 0; tau < t; ++tau) {
            const int64_t w = tau + j * d;
            dst[tau] = w < p ? ring[(head + w) % p] : fresh[w - p];
          }
        }
      }
      float* o = out.data + (n * s.outChannels + g * coutG) * t;
      ATROUS_RETURN_IF_ERROR(sgemm(false, false, coutG, t, rows, 1.0f, {weight.data + g * coutG * rows, coutG * rows},
                                   rows, {col, rows * t}, t, 0.0f, {o, coutG * t}, t));
      if (bias.size != 0)
        for (int64_t r = 0; r < coutG; ++r)
          for (int64_t tau = 0; tau < t; ++tau) o[r * t + tau] += bias.data[g * coutG + r];
    }
  }
  // The ring keeps window steps [T, T+P): those already in it stay where they are; step T+P-1-m (the
  // chunk's m-th newest, m < min(T, P)) lands in the slot of the step it replaces.
  if (p > 0) {
    const int64_t keep = t < p ? t : p;
    for (int64_t row = 0; row < s.batch * s.inChannels; ++row) {
      float* ring = history.data + row * p;
      const float* fresh = x.data + row * t;
      for (int64_t i = t - keep; i < t; ++i) ring[(head + i) % p] = fresh[i];
    }
  }
  return Status::ok();
}

}  // namespace atrous
