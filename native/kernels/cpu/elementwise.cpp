#include "elementwise.h"

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "../checked_math.h"
#include "op_checks.h"
#include "cpu_features.h"
#include "gated_rows.h"
#include "gated_rows_loops.h"
#include "parallel_ranges.h"
#include "vector_math.h"

namespace atrous {

void gatedTanhRowScalar(const float* f, const float* g, int64_t n, float* z) { gatedloops::forward(f, g, n, z); }

void gatedTanhBackwardRowScalar(const float* f, const float* g, const float* dz, int64_t n, float* df, float* dg) {
  gatedloops::backward(f, g, dz, n, df, dg);
}

namespace {

using vecmath::sigmoidVectorisable;
using vecmath::tanhVectorisable;

// Plain indexed loops over [begin, end): with out possibly equal to an input there is no restrict,
// so the compiler vectorizes them behind a run-time overlap check (SSE2 at baseline x86-64).
template <typename Op>
void mapBinary(const float* a, const float* b, float* out, int64_t n, Op op) {
  parallelRanges(n, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) out[i] = op(a[i], b[i]);
  });
}

template <typename Op>
void mapUnary(const float* a, float* out, int64_t n, Op op) {
  parallelRanges(n, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) out[i] = op(a[i]);
  });
}

Status checkBinary(const char* fn, const char* aArg, ConstFloatSpan a, const char* bArg, ConstFloatSpan b,
                   const char* outArg, FloatSpan out) {
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, bArg, b.size, a.size));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, outArg, out.size, a.size));
  ATROUS_RETURN_IF_ERROR(opcheck::sameOrDisjoint(fn, outArg, out.data, out.size, aArg, a.data, a.size));
  return opcheck::sameOrDisjoint(fn, outArg, out.data, out.size, bArg, b.data, b.size);
}

Status checkUnary(const char* fn, const char* inArg, ConstFloatSpan in, const char* outArg, FloatSpan out) {
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, outArg, out.size, in.size));
  return opcheck::sameOrDisjoint(fn, outArg, out.data, out.size, inArg, in.data, in.size);
}

// Blocks of a fixed size, summed in order: the grouping, and so the rounding, never depends on how
// many threads ran. 8 partial sums per block let the compiler keep them in vector registers.
constexpr int64_t kSumBlock = 4096;

template <typename Term>
double termSum(const float* x, int64_t n, Term term) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) acc[k] += term(static_cast<double>(x[i + k]));
  double tail = 0;
  for (; i < n; ++i) tail += term(static_cast<double>(x[i]));
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + tail;
}

template <typename Term>
double blockedSum(ConstFloatSpan x, Term term) {
  const int64_t n = x.size;
  const int64_t blocks = (n + kSumBlock - 1) / kSumBlock;
  std::vector<double> partial(static_cast<size_t>(blocks));
  parallelRanges(blocks, kSumBlock, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      const int64_t start = b * kSumBlock;
      partial[b] = termSum(x.data + start, std::min(kSumBlock, n - start), term);
    }
  });
  double total = 0;
  for (double p : partial) total += p;
  return total;
}

}  // namespace

double blockSum(const float* x, int64_t n) {
  return termSum(x, n, [](double v) { return v; });
}

Status add(ConstFloatSpan a, ConstFloatSpan b, FloatSpan out) {
  ATROUS_RETURN_IF_ERROR(checkBinary("add", "a", a, "b", b, "out", out));
  mapBinary(a.data, b.data, out.data, a.size, [](float p, float q) { return p + q; });
  return Status::ok();
}

Status sub(ConstFloatSpan a, ConstFloatSpan b, FloatSpan out) {
  ATROUS_RETURN_IF_ERROR(checkBinary("sub", "a", a, "b", b, "out", out));
  mapBinary(a.data, b.data, out.data, a.size, [](float p, float q) { return p - q; });
  return Status::ok();
}

Status mul(ConstFloatSpan a, ConstFloatSpan b, FloatSpan out) {
  ATROUS_RETURN_IF_ERROR(checkBinary("mul", "a", a, "b", b, "out", out));
  mapBinary(a.data, b.data, out.data, a.size, [](float p, float q) { return p * q; });
  return Status::ok();
}

Status axpby(ConstFloatSpan a, float alpha, ConstFloatSpan b, float beta, FloatSpan out) {
  ATROUS_RETURN_IF_ERROR(checkBinary("axpby", "a", a, "b", b, "out", out));
  mapBinary(a.data, b.data, out.data, a.size, [alpha, beta](float p, float q) { return p * alpha + q * beta; });
  return Status::ok();
}

Status scaleShift(ConstFloatSpan a, float alpha, float beta, FloatSpan out) {
  ATROUS_RETURN_IF_ERROR(checkUnary("scaleShift", "a", a, "out", out));
  mapUnary(a.data, out.data, a.size, [alpha, beta](float p) { return p * alpha + beta; });
  return Status::ok();
}

Status validateAddChannelBias(const char* fn, ConstFloatSpan a, ConstFloatSpan bias, int64_t channels, int64_t inner,
                              FloatSpan out) {
  if (channels < 1 || inner < 1)
    return Status::error(std::string(fn) + ": channels and inner expect integers >= 1, but got channels=" +
                         std::to_string(channels) + " inner=" + std::to_string(inner));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "bias", bias.size, channels));
  int64_t period = 0;
  if (mulOverflows(channels, inner, &period) || a.size % period != 0)
    return Status::error(std::string(fn) + ": a expects a multiple of channels*inner = " + std::to_string(channels) +
                         "*" + std::to_string(inner) + " elements, but got " + std::to_string(a.size));
  ATROUS_RETURN_IF_ERROR(checkUnary(fn, "a", a, "out", out));
  return opcheck::sameOrDisjoint(fn, "out", out.data, out.size, "bias", bias.data, bias.size);
}

Status addChannelBias(ConstFloatSpan a, ConstFloatSpan bias, int64_t channels, int64_t inner, FloatSpan out) {
  ATROUS_RETURN_IF_ERROR(validateAddChannelBias("addChannelBias", a, bias, channels, inner, out));
  const float* x = a.data;
  const float* b = bias.data;
  float* y = out.data;
  parallelRanges(a.size, 1, [&](int64_t begin, int64_t end) {
    if (inner == 1) {  // linear layers: runs of consecutive channels, each a vector add with bias
      for (int64_t i = begin; i < end;) {
        const int64_t c0 = i % channels, len = std::min(channels - c0, end - i);
        for (int64_t k = 0; k < len; ++k) y[i + k] = x[i + k] + b[c0 + k];
        i += len;
      }
      return;
    }
    for (int64_t i = begin; i < end;) {  // runs of one channel, each plus a constant
      const int64_t row = i / inner, len = std::min((row + 1) * inner, end) - i;
      const float v = b[row % channels];
      for (int64_t k = 0; k < len; ++k) y[i + k] = x[i + k] + v;
      i += len;
    }
  });
  return Status::ok();
}

Status relu(ConstFloatSpan x, FloatSpan out) {
  ATROUS_RETURN_IF_ERROR(checkUnary("relu", "x", x, "out", out));
  mapUnary(x.data, out.data, x.size, [](float v) { return v < 0.f ? 0.f : v; });
  return Status::ok();
}

Status reluBackward(ConstFloatSpan x, ConstFloatSpan dy, FloatSpan dx) {
  ATROUS_RETURN_IF_ERROR(checkBinary("reluBackward", "x", x, "dy", dy, "dx", dx));
  mapBinary(x.data, dy.data, dx.data, x.size, [](float v, float g) { return v <= 0.f ? 0.f : g; });
  return Status::ok();
}

Status tanhForward(ConstFloatSpan x, FloatSpan out) {
  ATROUS_RETURN_IF_ERROR(checkUnary("tanhForward", "x", x, "out", out));
  mapUnary(x.data, out.data, x.size, [](float v) { return tanhVectorisable(v); });
  return Status::ok();
}

Status tanhBackward(ConstFloatSpan y, ConstFloatSpan dy, FloatSpan dx) {
  ATROUS_RETURN_IF_ERROR(checkBinary("tanhBackward", "y", y, "dy", dy, "dx", dx));
  mapBinary(y.data, dy.data, dx.data, y.size, [](float v, float g) { return g * (1.f - v * v); });
  return Status::ok();
}

Status sigmoidForward(ConstFloatSpan x, FloatSpan out) {
  ATROUS_RETURN_IF_ERROR(checkUnary("sigmoidForward", "x", x, "out", out));
  mapUnary(x.data, out.data, x.size, [](float v) { return sigmoidVectorisable(v); });
  return Status::ok();
}

Status sigmoidBackward(ConstFloatSpan y, ConstFloatSpan dy, FloatSpan dx) {
  ATROUS_RETURN_IF_ERROR(checkBinary("sigmoidBackward", "y", y, "dy", dy, "dx", dx));
  mapBinary(y.data, dy.data, dx.data, y.size, [](float v, float g) { return g * v * (1.f - v); });
  return Status::ok();
}

namespace {

// outer blocks of 2·half values each: the first half the filter pre-activations, the second the gate's.
Status checkGatedTanh(const char* fn, int64_t outer, int64_t half, const char* inArg, ConstFloatSpan in) {
  int64_t total = 0;
  if (outer < 0 || half < 0 || mulOverflows(outer, half, &total) || mulOverflows(total, 2, &total))
    return Status::error(std::string(fn) + ": outer and half expect integers >= 0 whose 2*outer*half fits, but got outer=" +
                         std::to_string(outer) + " half=" + std::to_string(half));
  return opcheck::length(fn, inArg, in.size, total);
}

// Each range of rows [begin, end) of the outer × half grid, as runs inside one outer block.
template <typename Body>
void gatedRuns(int64_t outer, int64_t half, const Body& body) {
  parallelRanges(outer * half, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end;) {
      const int64_t o = i / half, j = i - o * half, len = std::min(half - j, end - i);
      body(o * 2 * half + j, o * half + j, len);
      i += len;
    }
  });
}

}  // namespace

Status gatedTanhForward(ConstFloatSpan x, int64_t outer, int64_t half, FloatSpan out) {
  const char* fn = "gatedTanhForward";
  ATROUS_RETURN_IF_ERROR(checkGatedTanh(fn, outer, half, "x", x));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "out", out.size, outer * half));
  ATROUS_RETURN_IF_ERROR(opcheck::sameOrDisjoint(fn, "out", out.data, out.size, "x", x.data, x.size));
  const auto row = forActiveIsa<decltype(&gatedTanhRowScalar)>(gatedTanhRowScalar, nullptr,
                                                               ATROUS_X86_ONLY(gatedTanhRowAvx512));
  gatedRuns(outer, half, [&](int64_t in, int64_t at, int64_t len) {
    row(x.data + in, x.data + in + half, len, out.data + at);
  });
  return Status::ok();
}

Status gatedTanhBackward(ConstFloatSpan x, ConstFloatSpan dz, int64_t outer, int64_t half, FloatSpan dx) {
  const char* fn = "gatedTanhBackward";
  ATROUS_RETURN_IF_ERROR(checkGatedTanh(fn, outer, half, "x", x));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "dz", dz.size, outer * half));
  ATROUS_RETURN_IF_ERROR(opcheck::length(fn, "dx", dx.size, x.size));
  ATROUS_RETURN_IF_ERROR(opcheck::sameOrDisjoint(fn, "dx", dx.data, dx.size, "x", x.data, x.size));
  ATROUS_RETURN_IF_ERROR(opcheck::sameOrDisjoint(fn, "dx", dx.data, dx.size, "dz", dz.data, dz.size));
  const auto row = forActiveIsa<decltype(&gatedTanhBackwardRowScalar)>(gatedTanhBackwardRowScalar, nullptr,
                                                                       ATROUS_X86_ONLY(gatedTanhBackwardRowAvx512));
  gatedRuns(outer, half, [&](int64_t in, int64_t at, int64_t len) {
    row(x.data + in, x.data + in + half, dz.data + at, len, dx.data + in, dx.data + in + half);
  });
  return Status::ok();
}

Status fill(FloatSpan out, float value) {
  float* y = out.data;
  parallelRanges(out.size, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) y[i] = value;
  });
  return Status::ok();
}

Status sum(ConstFloatSpan x, double* result) {
  if (result == nullptr) return Status::error("sum: result expects a pointer, but got null");
  *result = blockedSum(x, [](double v) { return v; });
  return Status::ok();
}

Status sumSquares(ConstFloatSpan x, double* result) {
  if (result == nullptr) return Status::error("sumSquares: result expects a pointer, but got null");
  *result = blockedSum(x, [](double v) { return v * v; });
  return Status::ok();
}

}  // namespace atrous
