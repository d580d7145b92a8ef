// Elementwise ops, pooling, resizing, cross-entropy and random numbers (lib/native/addon-api.ts): argument checks and
// zero-copy views, then straight into the kernels (elementwise, pool, interpolate, loss, random). Every length is
// checked against the shape it comes with before a kernel runs.
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "../kernels/cpu/argmax_rows.h"
#include "../kernels/cpu/elementwise.h"
#include "../kernels/cpu/interpolate.h"
#include "../kernels/cpu/loss.h"
#include "../kernels/cpu/pool.h"
#include "../kernels/cpu/random.h"
#include "../kernels/cpu/softmax.h"
#include "../kernels/cpu/transpose.h"
#include "cuda_library.h"
#include "napi_util.h"

namespace atrous::napi {
namespace {

constexpr int64_t kMaxInt32 = 2147483647;
constexpr int64_t kMaxSafeInteger = 9007199254740991;  // 2^53 - 1: seeds and offsets are JS numbers

Napi::Value argOrUndefined(const Napi::CallbackInfo& info, size_t i) {
  return i < info.Length() ? info[i] : info.Env().Undefined();
}

ConstInt32Span constSpan(IntSpan s) { return ConstInt32Span(s.data, s.size); }

// xShape [N, C, H, W] as the kernels' Nchw, each dim >= 1 and fewer than 2^31 elements.
Nchw nchwArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg) {
  auto d = shapeArg(info, i, 4, fn, arg);
  Nchw s{d[0], d[1], d[2], d[3]};
  throwIfFailed(info.Env(), s.validate(fn, arg));
  return s;
}

// obj[key] as an [h, w] pair of integers in [lo, 2^31-1].
std::array<int64_t, 2> pairField(Napi::Env env, const Napi::Object& obj, const char* key, int64_t lo, const char* fn) {
  const std::string where = std::string(fn) + ": p." + key;
  Napi::Value v = obj.Get(key);
  if (!v.IsArray()) throwType(env, where + " expects an [h, w] array, but got " + v.ToString().Utf8Value());
  auto a = v.As<Napi::Array>();
  if (a.Length() != 2) throwRange(env, where + " expects 2 values [h, w], but got " + std::to_string(a.Length()));
  std::array<int64_t, 2> out{};
  for (uint32_t k = 0; k < 2; ++k) {
    Napi::Value e = a.Get(k);
    const double x = e.IsNumber() ? e.As<Napi::Number>().DoubleValue() : NAN;
    if (!(x >= static_cast<double>(lo) && x <= static_cast<double>(kMaxInt32) && std::floor(x) == x))
      throwRange(env, where + "[" + std::to_string(k) + "] expects an integer in " + std::to_string(lo) +
                          "..2^31-1, but got " + e.ToString().Utf8Value());
    out[k] = static_cast<int64_t>(x);
  }
  return out;
}

// p: { kernel: [h, w], stride: [h, w], padding: [h, w] }
PoolWindow poolWindowArg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  Napi::Object o = objectArg(info, i, fn, "p");
  const auto k = pairField(info.Env(), o, "kernel", 1, fn);
  const auto s = pairField(info.Env(), o, "stride", 1, fn);
  const auto p = pairField(info.Env(), o, "padding", 0, fn);
  PoolWindow w;
  w.kernelH = k[0];
  w.kernelW = k[1];
  w.strideH = s[0];
  w.strideW = s[1];
  w.padH = p[0];
  w.padW = p[1];
  return w;
}

uint64_t seedArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg) {
  return static_cast<uint64_t>(intArg(info, i, 0, kMaxSafeInteger, fn, arg));
}

// ---- elementwise ----

// add/sub/mul(a, b, out), on the host or the device.
using CudaBinary = int (*AtrousCudaApi::*)(AtrousIn, AtrousIn, AtrousOut);
template <Status (*Kernel)(ConstFloatSpan, ConstFloatSpan, FloatSpan), CudaBinary CudaKernel>
Napi::Value Binary(const Napi::CallbackInfo& info, const char* fn) {
  Placement at(info, fn);
  FloatSpan a = at.arg(0, "a"), b = at.arg(1, "b"), out = at.arg(2, "out");
  expectLength(info.Env(), b.size, a.size, fn, "b");
  expectLength(info.Env(), out.size, a.size, fn, "out");
  throwIfFailed(info.Env(), at.onDevice() ? cudaResult((at.cuda().*CudaKernel)(abiIn(a), abiIn(b), abiOut(out)))
                                          : Kernel(a, b, out));
  return info.Env().Undefined();
}

Napi::Value Add(const Napi::CallbackInfo& info) { return Binary<add, &AtrousCudaApi::add>(info, "add"); }
Napi::Value Sub(const Napi::CallbackInfo& info) { return Binary<sub, &AtrousCudaApi::sub>(info, "sub"); }
Napi::Value Mul(const Napi::CallbackInfo& info) { return Binary<mul, &AtrousCudaApi::mul>(info, "mul"); }

// axpby(a, alpha, b | null, beta, out)
Napi::Value Axpby(const Napi::CallbackInfo& info) {
  const char* fn = "axpby";
  Placement at(info, fn);
  FloatSpan a = at.arg(0, "a");
  const float alpha = static_cast<float>(numberArg(info, 1, fn, "alpha"));
  Napi::Value bv = argOrUndefined(info, 2);
  const bool hasB = !bv.IsNull() && !bv.IsUndefined();  // decided by the argument, not by a span's length
  FloatSpan b = hasB ? at.arg(2, "b") : FloatSpan{};
  const float beta = static_cast<float>(numberArg(info, 3, fn, "beta"));
  FloatSpan out = at.arg(4, "out");
  if (hasB) expectLength(info.Env(), b.size, a.size, fn, "b");
  expectLength(info.Env(), out.size, a.size, fn, "out");
  if (!at.onDevice()) {
    throwIfFailed(info.Env(), hasB ? axpby(a, alpha, b, beta, out) : scaleShift(a, alpha, beta, out));
  } else if (hasB) {
    throwIfFailed(info.Env(), cudaResult(at.cuda().axpby(abiIn(a), alpha, abiIn(b), beta, abiOut(out))));
  } else {
    throwIfFailed(info.Env(), cudaResult(at.cuda().scaleShift(abiIn(a), alpha, beta, abiOut(out))));
  }
  return info.Env().Undefined();
}

// addChannelBias(a, bias, channels, inner, out)
Napi::Value AddChannelBias(const Napi::CallbackInfo& info) {
  const char* fn = "addChannelBias";
  Placement at(info, fn);
  FloatSpan a = at.arg(0, "a"), bias = at.arg(1, "bias");
  const int64_t channels = intArg(info, 2, 1, kMaxInt32, fn, "channels");
  const int64_t inner = intArg(info, 3, 1, kMaxInt32, fn, "inner");
  FloatSpan out = at.arg(4, "out");
  expectLength(info.Env(), bias.size, channels, fn, "bias");
  expectLength(info.Env(), out.size, a.size, fn, "out");
  if (a.size % (channels * inner) != 0)
    throwRange(info.Env(), std::string(fn) + ": a expects a multiple of channels*inner = " +
                               std::to_string(channels * inner) + " elements, but got " + std::to_string(a.size));
  throwIfFailed(info.Env(),
                at.onDevice() ? cudaResult(at.cuda().addChannelBias(abiIn(a), abiIn(bias), channels, inner, abiOut(out)))
                              : addChannelBias(a, bias, channels, inner, out));
  return info.Env().Undefined();
}

// relu(x, out)
Napi::Value Relu(const Napi::CallbackInfo& info) {
  const char* fn = "relu";
  Placement at(info, fn);
  FloatSpan x = at.arg(0, "x"), out = at.arg(1, "out");
  expectLength(info.Env(), out.size, x.size, fn, "out");
  throwIfFailed(info.Env(), at.onDevice() ? cudaResult(at.cuda().relu(abiIn(x), abiOut(out))) : relu(x, out));
  return info.Env().Undefined();
}

// reluBackward(x, dy, dx)
Napi::Value ReluBackward(const Napi::CallbackInfo& info) {
  const char* fn = "reluBackward";
  Placement at(info, fn);
  FloatSpan x = at.arg(0, "x"), dy = at.arg(1, "dy"), dx = at.arg(2, "dx");
  expectLength(info.Env(), dy.size, x.size, fn, "dy");
  expectLength(info.Env(), dx.size, x.size, fn, "dx");
  throwIfFailed(info.Env(), at.onDevice() ? cudaResult(at.cuda().reluBackward(abiIn(x), abiIn(dy), abiOut(dx)))
                                          : reluBackward(x, dy, dx));
  return info.Env().Undefined();
}

// fill(out, value)
Napi::Value Fill(const Napi::CallbackInfo& info) {
  const char* fn = "fill";
  Placement at(info, fn);
  FloatSpan out = at.arg(0, "out");
  const float value = static_cast<float>(numberArg(info, 1, fn, "value"));
  throwIfFailed(info.Env(), at.onDevice() ? cudaResult(at.cuda().fill(abiOut(out), value)) : fill(out, value));
  return info.Env().Undefined();
}

// sum(x) and sumSquares(x): float64 results, from the host or the device.
using CudaReduce = int (*AtrousCudaApi::*)(AtrousIn, double*);
template <Status (*Kernel)(ConstFloatSpan, double*), CudaReduce CudaKernel>
Napi::Value Reduce(const Napi::CallbackInfo& info, const char* fn) {
  Placement at(info, fn);
  FloatSpan x = at.arg(0, "x");
  double result = 0;
  throwIfFailed(info.Env(), at.onDevice() ? cudaResult((at.cuda().*CudaKernel)(abiIn(x), &result)) : Kernel(x, &result));
  return Napi::Number::New(info.Env(), result);
}

Napi::Value Sum(const Napi::CallbackInfo& info) { return Reduce<sum, &AtrousCudaApi::sum>(info, "sum"); }
Napi::Value SumSquares(const Napi::CallbackInfo& info) {
  return Reduce<sumSquares, &AtrousCudaApi::sumSquares>(info, "sumSquares");
}

// transposeBatched(x, batch, rows, cols, out): out[b] = x[b]ᵀ
Napi::Value TransposeBatched(const Napi::CallbackInfo& info) {
  const char* fn = "transposeBatched";
  Placement at(info, fn);
  FloatSpan x = at.arg(0, "x");
  const int64_t batch = intArg(info, 1, 1, kMaxInt32, fn, "batch");
  const int64_t rows = intArg(info, 2, 1, kMaxInt32, fn, "rows");
  const int64_t cols = intArg(info, 3, 1, kMaxInt32, fn, "cols");
  FloatSpan out = at.arg(4, "out");
  throwIfFailed(info.Env(), at.onDevice()
                                ? cudaResult(at.cuda().transposeBatched(abiIn(x), batch, rows, cols, abiOut(out)))
                                : transposeBatched(x, batch, rows, cols, out));
  return info.Env().Undefined();
}

// ---- CPU-only kernels (Wave 2): floatArg/int32Arg refuse a DeviceBuffer, naming the argument ----

// An array of up to kMaxPermuteRank integers in [lo, 2^31-1] (a shape or a permutation, any rank).
std::vector<int64_t> dimsArg(const Napi::CallbackInfo& info, size_t i, int64_t lo, const char* fn, const char* arg) {
  Napi::Value v = argOrUndefined(info, i);
  const std::string where = std::string(fn) + ": " + arg;
  if (!v.IsArray()) throwType(info.Env(), where + " expects an array of integers, but got " + v.ToString().Utf8Value());
  auto a = v.As<Napi::Array>();
  if (a.Length() > static_cast<uint32_t>(kMaxPermuteRank))
    throwRange(info.Env(), where + " expects at most " + std::to_string(kMaxPermuteRank) + " dims, but got " +
                               std::to_string(a.Length()));
  std::vector<int64_t> out(a.Length());
  for (uint32_t k = 0; k < a.Length(); ++k) {
    Napi::Value e = a.Get(k);
    const double x = e.IsNumber() ? e.As<Napi::Number>().DoubleValue() : NAN;
    if (!(x >= static_cast<double>(lo) && x <= static_cast<double>(kMaxInt32) && std::floor(x) == x))
      throwRange(info.Env(), where + "[" + std::to_string(k) + "] expects an integer in " + std::to_string(lo) +
                                 "..2^31-1, but got " + e.ToString().Utf8Value());
    out[k] = static_cast<int64_t>(x);
  }
  return out;
}

// permute(x, shape, perm, out)
Napi::Value Permute(const Napi::CallbackInfo& info) {
  const char* fn = "permute";
  FloatSpan x = floatArg(info, 0, fn, "x");
  const auto shape = dimsArg(info, 1, 0, fn, "shape");
  const auto perm = dimsArg(info, 2, 0, fn, "perm");
  FloatSpan out = floatArg(info, 3, fn, "out");
  if (perm.size() != shape.size())
    throwRange(info.Env(), std::string(fn) + ": perm expects " + std::to_string(shape.size()) + " dims (the rank of shape), but got " +
                               std::to_string(perm.size()));
  throwIfFailed(info.Env(), permute(x, shape.data(), perm.data(), static_cast<int>(shape.size()), out));
  return info.Env().Undefined();
}

// copyStridedRows(src, srcOffset, srcStride, dst, dstOffset, dstStride, rows, cols)
Napi::Value CopyStridedRows(const Napi::CallbackInfo& info) {
  const char* fn = "copyStridedRows";
  FloatSpan src = floatArg(info, 0, fn, "src");
  const int64_t srcOffset = intArg(info, 1, 0, kMaxInt32, fn, "srcOffset");
  const int64_t srcStride = intArg(info, 2, 0, kMaxInt32, fn, "srcStride");
  FloatSpan dst = floatArg(info, 3, fn, "dst");
  const int64_t dstOffset = intArg(info, 4, 0, kMaxInt32, fn, "dstOffset");
  const int64_t dstStride = intArg(info, 5, 0, kMaxInt32, fn, "dstStride");
  const int64_t rows = intArg(info, 6, 0, kMaxInt32, fn, "rows");
  const int64_t cols = intArg(info, 7, 0, kMaxInt32, fn, "cols");
  throwIfFailed(info.Env(), copyStridedRows(src, srcOffset, srcStride, dst, dstOffset, dstStride, rows, cols));
  return info.Env().Undefined();
}

// argmaxAlong(x, outer, size, inner, out: Int32Array)
Napi::Value ArgmaxAlong(const Napi::CallbackInfo& info) {
  const char* fn = "argmaxAlong";
  FloatSpan x = floatArg(info, 0, fn, "x");
  const int64_t outer = intArg(info, 1, 0, kMaxInt32, fn, "outer");
  const int64_t size = intArg(info, 2, 1, kMaxInt32, fn, "size");
  const int64_t inner = intArg(info, 3, 0, kMaxInt32, fn, "inner");
  IntSpan out = int32Arg(info, 4, fn, "out");
  throwIfFailed(info.Env(), argmaxAlong(x, outer, size, inner, out));
  return info.Env().Undefined();
}

// softmaxForward(x, outer, size, inner, log, out)
Napi::Value SoftmaxForward(const Napi::CallbackInfo& info) {
  const char* fn = "softmaxForward";
  FloatSpan x = floatArg(info, 0, fn, "x");
  const int64_t outer = intArg(info, 1, 0, kMaxInt32, fn, "outer");
  const int64_t size = intArg(info, 2, 1, kMaxInt32, fn, "size");
  const int64_t inner = intArg(info, 3, 0, kMaxInt32, fn, "inner");
  const bool log = boolArg(info, 4, fn, "log");
  FloatSpan out = floatArg(info, 5, fn, "out");
  throwIfFailed(info.Env(), softmaxForward(x, outer, size, inner, log, out));
  return info.Env().Undefined();
}

// softmaxBackward(y, dy, outer, size, inner, log, dx)
Napi::Value SoftmaxBackward(const Napi::CallbackInfo& info) {
  const char* fn = "softmaxBackward";
  FloatSpan y = floatArg(info, 0, fn, "y"), dy = floatArg(info, 1, fn, "dy");
  const int64_t outer = intArg(info, 2, 0, kMaxInt32, fn, "outer");
  const int64_t size = intArg(info, 3, 1, kMaxInt32, fn, "size");
  const int64_t inner = intArg(info, 4, 0, kMaxInt32, fn, "inner");
  const bool log = boolArg(info, 5, fn, "log");
  FloatSpan dx = floatArg(info, 6, fn, "dx");
  throwIfFailed(info.Env(), softmaxBackward(y, dy, outer, size, inner, log, dx));
  return info.Env().Undefined();
}

// tanhForward/sigmoidForward(x, out); tanhBackward/sigmoidBackward(y, dy, dx)
template <Status (*Kernel)(ConstFloatSpan, FloatSpan)>
Napi::Value UnaryCpu(const Napi::CallbackInfo& info, const char* fn) {
  FloatSpan x = floatArg(info, 0, fn, "x"), out = floatArg(info, 1, fn, "out");
  throwIfFailed(info.Env(), Kernel(x, out));
  return info.Env().Undefined();
}
template <Status (*Kernel)(ConstFloatSpan, ConstFloatSpan, FloatSpan)>
Napi::Value BackwardCpu(const Napi::CallbackInfo& info, const char* fn) {
  FloatSpan y = floatArg(info, 0, fn, "y"), dy = floatArg(info, 1, fn, "dy"), dx = floatArg(info, 2, fn, "dx");
  throwIfFailed(info.Env(), Kernel(y, dy, dx));
  return info.Env().Undefined();
}
Napi::Value Tanh(const Napi::CallbackInfo& info) { return UnaryCpu<tanhForward>(info, "tanhForward"); }
Napi::Value TanhBackward(const Napi::CallbackInfo& info) { return BackwardCpu<tanhBackward>(info, "tanhBackward"); }
Napi::Value Sigmoid(const Napi::CallbackInfo& info) { return UnaryCpu<sigmoidForward>(info, "sigmoidForward"); }
Napi::Value SigmoidBackward(const Napi::CallbackInfo& info) {
  return BackwardCpu<sigmoidBackward>(info, "sigmoidBackward");
}

// crossEntropy options from (weight | null, ignoreIndex, labelSmoothing) at info[i..i+2].
CrossEntropyOptions crossEntropyOptionsArg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  CrossEntropyOptions o;
  o.weight = optionalFloatArg(info, i, fn, "weight");
  o.ignoreIndex = intArg(info, i + 1, -kMaxInt32 - 1, kMaxInt32, fn, "ignoreIndex");
  o.labelSmoothing = numberArg(info, i + 2, fn, "labelSmoothing");
  return o;
}

// crossEntropyNdForward(logits, n, c, inner, targets, weight | null, ignoreIndex, labelSmoothing, probs, losses | null)
//   -> { nll, smooth, weight, counted }
Napi::Value CrossEntropyNdForward(const Napi::CallbackInfo& info) {
  const char* fn = "crossEntropyNdForward";
  FloatSpan logits = floatArg(info, 0, fn, "logits");
  const int64_t n = intArg(info, 1, 1, kMaxInt32, fn, "n");
  const int64_t c = intArg(info, 2, 1, kMaxInt32, fn, "c");
  const int64_t inner = intArg(info, 3, 1, kMaxInt32, fn, "inner");
  IntSpan targets = int32Arg(info, 4, fn, "targets");
  const CrossEntropyOptions o = crossEntropyOptionsArg(info, 5, fn);
  FloatSpan probs = floatArg(info, 8, fn, "probs");
  FloatSpan losses = optionalFloatArg(info, 9, fn, "losses");
  CrossEntropySums sums;
  throwIfFailed(info.Env(), crossEntropyNdForward(n, c, inner, logits, constSpan(targets), o, probs, losses, &sums));
  Napi::Object result = Napi::Object::New(info.Env());
  result.Set("nll", sums.nll);
  result.Set("smooth", sums.smooth);
  result.Set("weight", sums.weight);
  result.Set("counted", static_cast<double>(sums.counted));
  return result;
}

// crossEntropyNdBackward(probs, n, c, inner, targets, weight | null, ignoreIndex, labelSmoothing, nllScale,
//                        smoothScale, gradOut, dlogits)
Napi::Value CrossEntropyNdBackward(const Napi::CallbackInfo& info) {
  const char* fn = "crossEntropyNdBackward";
  FloatSpan probs = floatArg(info, 0, fn, "probs");
  const int64_t n = intArg(info, 1, 1, kMaxInt32, fn, "n");
  const int64_t c = intArg(info, 2, 1, kMaxInt32, fn, "c");
  const int64_t inner = intArg(info, 3, 1, kMaxInt32, fn, "inner");
  IntSpan targets = int32Arg(info, 4, fn, "targets");
  const CrossEntropyOptions o = crossEntropyOptionsArg(info, 5, fn);
  const double nllScale = numberArg(info, 8, fn, "nllScale");
  const double smoothScale = numberArg(info, 9, fn, "smoothScale");
  FloatSpan gradOut = floatArg(info, 10, fn, "gradOut");
  FloatSpan dlogits = floatArg(info, 11, fn, "dlogits");
  throwIfFailed(info.Env(), crossEntropyNdBackward(n, c, inner, probs, constSpan(targets), o, nllScale, smoothScale,
                                                   gradOut, dlogits));
  return info.Env().Undefined();
}

// ---- pooling ----

// maxPool2dForward(x, xShape, p, y, argmax)
Napi::Value MaxPool2dForward(const Napi::CallbackInfo& info) {
  const char* fn = "maxPool2dForward";
  Placement at(info, fn);
  FloatSpan x = at.arg(0, "x");
  const Nchw xs = nchwArg(info, 1, fn, "xShape");
  const PoolWindow p = poolWindowArg(info, 2, fn);
  FloatSpan y = at.arg(3, "y");
  IntSpan argmax = at.ints(4, "argmax");
  throwIfFailed(info.Env(), validatePool(fn, xs, p));
  const Nchw ys = pooledShape(xs, p);
  expectLength(info.Env(), x.size, xs.size(), fn, "x");
  expectLength(info.Env(), y.size, ys.size(), fn, "y");
  expectLength(info.Env(), argmax.size, ys.size(), fn, "argmax");
  if (at.onDevice()) {
    const AtrousNchw ax = toAbi(xs);
    const AtrousPoolWindow ap = toAbi(p);
    throwIfFailed(info.Env(), cudaResult(at.cuda().maxPool2dForward(&ax, &ap, abiIn(x), abiOut(y), abiOut(argmax))));
  } else {
    throwIfFailed(info.Env(), maxPool2dForward(xs, p, x, y, argmax));
  }
  return info.Env().Undefined();
}

// maxPool2dBackward(dy, argmax, xShape, yShape, dx)
Napi::Value MaxPool2dBackward(const Napi::CallbackInfo& info) {
  const char* fn = "maxPool2dBackward";
  Placement at(info, fn);
  FloatSpan dy = at.arg(0, "dy");
  IntSpan argmax = at.ints(1, "argmax");
  const Nchw xs = nchwArg(info, 2, fn, "xShape");
  const Nchw ys = nchwArg(info, 3, fn, "yShape");
  FloatSpan dx = at.arg(4, "dx");
  expectLength(info.Env(), dy.size, ys.size(), fn, "dy");
  expectLength(info.Env(), argmax.size, ys.size(), fn, "argmax");
  expectLength(info.Env(), dx.size, xs.size(), fn, "dx");
  if (at.onDevice()) {
    const AtrousNchw ax = toAbi(xs), ay = toAbi(ys);
    throwIfFailed(info.Env(),
                  cudaResult(at.cuda().maxPool2dBackward(&ax, &ay, abiIn(dy), abiIn(constSpan(argmax)), abiOut(dx))));
  } else {
    throwIfFailed(info.Env(), maxPool2dBackward(xs, ys, dy, constSpan(argmax), dx));
  }
  return info.Env().Undefined();
}

// avgPool2dForward(x, xShape, p, y)
Napi::Value AvgPool2dForward(const Napi::CallbackInfo& info) {
  const char* fn = "avgPool2dForward";
  Placement at(info, fn);
  FloatSpan x = at.arg(0, "x");
  const Nchw xs = nchwArg(info, 1, fn, "xShape");
  const PoolWindow p = poolWindowArg(info, 2, fn);
  FloatSpan y = at.arg(3, "y");
  throwIfFailed(info.Env(), validatePool(fn, xs, p));
  expectLength(info.Env(), x.size, xs.size(), fn, "x");
  expectLength(info.Env(), y.size, pooledShape(xs, p).size(), fn, "y");
  const AtrousNchw ax = toAbi(xs);
  const AtrousPoolWindow ap = toAbi(p);
  throwIfFailed(info.Env(), at.onDevice() ? cudaResult(at.cuda().avgPool2dForward(&ax, &ap, abiIn(x), abiOut(y)))
                                          : avgPool2dForward(xs, p, x, y));
  return info.Env().Undefined();
}

// avgPool2dBackward(dy, xShape, p, dx)
Napi::Value AvgPool2dBackward(const Napi::CallbackInfo& info) {
  const char* fn = "avgPool2dBackward";
  Placement at(info, fn);
  FloatSpan dy = at.arg(0, "dy");
  const Nchw xs = nchwArg(info, 1, fn, "xShape");
  const PoolWindow p = poolWindowArg(info, 2, fn);
  FloatSpan dx = at.arg(3, "dx");
  throwIfFailed(info.Env(), validatePool(fn, xs, p));
  expectLength(info.Env(), dy.size, pooledShape(xs, p).size(), fn, "dy");
  expectLength(info.Env(), dx.size, xs.size(), fn, "dx");
  const AtrousNchw ax = toAbi(xs);
  const AtrousPoolWindow ap = toAbi(p);
  throwIfFailed(info.Env(), at.onDevice() ? cudaResult(at.cuda().avgPool2dBackward(&ax, &ap, abiIn(dy), abiOut(dx)))
                                          : avgPool2dBackward(xs, p, dy, dx));
  return info.Env().Undefined();
}

// adaptiveAvgPool2dForward(x, xShape, outHW, y)
Napi::Value AdaptiveAvgPool2dForward(const Napi::CallbackInfo& info) {
  const char* fn = "adaptiveAvgPool2dForward";
  Placement at(info, fn);
  FloatSpan x = at.arg(0, "x");
  const Nchw xs = nchwArg(info, 1, fn, "xShape");
  const auto outHW = shapeArg(info, 2, 2, fn, "outHW");
  FloatSpan y = at.arg(3, "y");
  throwIfFailed(info.Env(), validateAdaptivePool(fn, xs, outHW[0], outHW[1]));
  expectLength(info.Env(), x.size, xs.size(), fn, "x");
  expectLength(info.Env(), y.size, xs.n * xs.c * outHW[0] * outHW[1], fn, "y");
  const AtrousNchw ax = toAbi(xs);
  throwIfFailed(info.Env(),
                at.onDevice() ? cudaResult(at.cuda().adaptiveAvgPool2dForward(&ax, outHW[0], outHW[1], abiIn(x), abiOut(y)))
                              : adaptiveAvgPool2dForward(xs, outHW[0], outHW[1], x, y));
  return info.Env().Undefined();
}

// adaptiveAvgPool2dBackward(dy, xShape, outHW, dx)
Napi::Value AdaptiveAvgPool2dBackward(const Napi::CallbackInfo& info) {
  const char* fn = "adaptiveAvgPool2dBackward";
  Placement at(info, fn);
  FloatSpan dy = at.arg(0, "dy");
  const Nchw xs = nchwArg(info, 1, fn, "xShape");
  const auto outHW = shapeArg(info, 2, 2, fn, "outHW");
  FloatSpan dx = at.arg(3, "dx");
  throwIfFailed(info.Env(), validateAdaptivePool(fn, xs, outHW[0], outHW[1]));
  expectLength(info.Env(), dy.size, xs.n * xs.c * outHW[0] * outHW[1], fn, "dy");
  expectLength(info.Env(), dx.size, xs.size(), fn, "dx");
  const AtrousNchw ax = toAbi(xs);
  throwIfFailed(info.Env(),
                at.onDevice() ? cudaResult(at.cuda().adaptiveAvgPool2dBackward(&ax, outHW[0], outHW[1], abiIn(dy), abiOut(dx)))
                              : adaptiveAvgPool2dBackward(xs, outHW[0], outHW[1], dy, dx));
  return info.Env().Undefined();
}

// adaptiveMaxPool2dForward(x, xShape, outHW, y, argmax): CPU only; maxPool2dBackward is its backward
Napi::Value AdaptiveMaxPool2dForward(const Napi::CallbackInfo& info) {
  const char* fn = "adaptiveMaxPool2dForward";
  FloatSpan x = floatArg(info, 0, fn, "x");
  const Nchw xs = nchwArg(info, 1, fn, "xShape");
  const auto outHW = shapeArg(info, 2, 2, fn, "outHW");
  FloatSpan y = floatArg(info, 3, fn, "y");
  IntSpan argmax = int32Arg(info, 4, fn, "argmax");
  throwIfFailed(info.Env(), adaptiveMaxPool2dForward(xs, outHW[0], outHW[1], x, y, argmax));
  return info.Env().Undefined();
}

// ---- resizing (CPU only) ----

// p: { size: [outH, outW], scale: [h, w] (0: the size was given), mode: 'nearest' | 'linear', alignCorners }
InterpolateGeometry interpolateArg(const Napi::CallbackInfo& info, const char* fn) {
  InterpolateGeometry g;
  g.x = nchwArg(info, 1, fn, "xShape");
  Napi::Object o = objectArg(info, 2, fn, "p");
  const Napi::Env env = info.Env();
  const auto size = pairField(env, o, "size", 1, fn);
  g.outH = size[0];
  g.outW = size[1];
  Napi::Value scale = o.Get("scale");
  if (!scale.IsArray() || scale.As<Napi::Array>().Length() != 2)
    throwType(env, std::string(fn) + ": p.scale expects an [h, w] array of numbers, but got " + scale.ToString().Utf8Value());
  const Napi::Value sh = scale.As<Napi::Array>().Get(0u), sw = scale.As<Napi::Array>().Get(1u);
  if (!sh.IsNumber() || !sw.IsNumber())
    throwType(env, std::string(fn) + ": p.scale expects numbers, but got " + scale.ToString().Utf8Value());
  g.scaleH = sh.As<Napi::Number>().DoubleValue();
  g.scaleW = sw.As<Napi::Number>().DoubleValue();
  const Napi::Value mode = o.Get("mode");
  const std::string m = mode.IsString() ? mode.As<Napi::String>().Utf8Value() : "";
  if (m != "nearest" && m != "linear")
    throwRange(env, std::string(fn) + ": p.mode expects 'nearest' or 'linear', but got " + mode.ToString().Utf8Value());
  g.mode = m == "nearest" ? InterpolateMode::Nearest : InterpolateMode::Linear;
  const Napi::Value align = o.Get("alignCorners");
  if (!align.IsBoolean())
    throwType(env, std::string(fn) + ": p.alignCorners expects a boolean, but got " + align.ToString().Utf8Value());
  g.alignCorners = align.As<Napi::Boolean>().Value();
  throwIfFailed(env, validateInterpolate(fn, g));
  return g;
}

// interpolateForward(x, xShape, p, y)
Napi::Value InterpolateForward(const Napi::CallbackInfo& info) {
  const char* fn = "interpolateForward";
  FloatSpan x = floatArg(info, 0, fn, "x");
  const InterpolateGeometry g = interpolateArg(info, fn);
  FloatSpan y = floatArg(info, 3, fn, "y");
  throwIfFailed(info.Env(), interpolate2dForward(g, x, y));
  return info.Env().Undefined();
}

// interpolateBackward(dy, xShape, p, dx)
Napi::Value InterpolateBackward(const Napi::CallbackInfo& info) {
  const char* fn = "interpolateBackward";
  FloatSpan dy = floatArg(info, 0, fn, "dy");
  const InterpolateGeometry g = interpolateArg(info, fn);
  FloatSpan dx = floatArg(info, 3, fn, "dx");
  throwIfFailed(info.Env(), interpolate2dBackward(g, dy, dx));
  return info.Env().Undefined();
}

// ---- losses ----

// crossEntropyForward(logits, n, c, targets, probs) -> mean loss
Napi::Value CrossEntropyForward(const Napi::CallbackInfo& info) {
  const char* fn = "crossEntropyForward";
  Placement at(info, fn);
  FloatSpan logits = at.arg(0, "logits");
  const int64_t n = intArg(info, 1, 1, kMaxInt32, fn, "n");
  const int64_t c = intArg(info, 2, 1, kMaxInt32, fn, "c");
  IntSpan targets = at.ints(3, "targets");
  FloatSpan probs = at.arg(4, "probs");
  expectLength(info.Env(), logits.size, n * c, fn, "logits");
  expectLength(info.Env(), targets.size, n, fn, "targets");
  expectLength(info.Env(), probs.size, n * c, fn, "probs");
  double loss = 0;
  throwIfFailed(info.Env(), at.onDevice() ? cudaResult(at.cuda().crossEntropyForward(n, c, abiIn(logits),
                                                                                     abiIn(constSpan(targets)),
                                                                                     abiOut(probs), &loss))
                                          : crossEntropyForward(n, c, logits, constSpan(targets), probs, &loss));
  return Napi::Number::New(info.Env(), loss);
}

// crossEntropyBackward(probs, n, c, targets, scale, dlogits)
Napi::Value CrossEntropyBackward(const Napi::CallbackInfo& info) {
  const char* fn = "crossEntropyBackward";
  Placement at(info, fn);
  FloatSpan probs = at.arg(0, "probs");
  const int64_t n = intArg(info, 1, 1, kMaxInt32, fn, "n");
  const int64_t c = intArg(info, 2, 1, kMaxInt32, fn, "c");
  IntSpan targets = at.ints(3, "targets");
  const float scale = static_cast<float>(numberArg(info, 4, fn, "scale"));
  FloatSpan dlogits = at.arg(5, "dlogits");
  expectLength(info.Env(), probs.size, n * c, fn, "probs");
  expectLength(info.Env(), targets.size, n, fn, "targets");
  expectLength(info.Env(), dlogits.size, n * c, fn, "dlogits");
  throwIfFailed(info.Env(), at.onDevice() ? cudaResult(at.cuda().crossEntropyBackward(n, c, abiIn(probs),
                                                                                      abiIn(constSpan(targets)), scale,
                                                                                      abiOut(dlogits)))
                                          : crossEntropyBackward(n, c, probs, constSpan(targets), scale, dlogits));
  return info.Env().Undefined();
}

// ---- random numbers ----

// fillUniform(out, lo, hi, seed, offset), on the host or the device (the same values).
Napi::Value FillUniform(const Napi::CallbackInfo& info) {
  const char* fn = "fillUniform";
  Placement at(info, fn);
  FloatSpan out = at.arg(0, "out");
  const double lo = numberArg(info, 1, fn, "lo"), hi = numberArg(info, 2, fn, "hi");
  const uint64_t seed = seedArg(info, 3, fn, "seed"), offset = seedArg(info, 4, fn, "offset");
  throwIfFailed(info.Env(), at.onDevice() ? cudaResult(at.cuda().fillUniform(abiOut(out), lo, hi, seed, offset))
                                          : fillUniform(out, lo, hi, seed, offset));
  return info.Env().Undefined();
}

// fillNormal(out, mean, std, seed, offset), on the host or the device (within 1 float ulp).
Napi::Value FillNormal(const Napi::CallbackInfo& info) {
  const char* fn = "fillNormal";
  Placement at(info, fn);
  FloatSpan out = at.arg(0, "out");
  const double mean = numberArg(info, 1, fn, "mean"), stddev = numberArg(info, 2, fn, "std");
  const uint64_t seed = seedArg(info, 3, fn, "seed"), offset = seedArg(info, 4, fn, "offset");
  throwIfFailed(info.Env(), at.onDevice() ? cudaResult(at.cuda().fillNormal(abiOut(out), mean, stddev, seed, offset))
                                          : fillNormal(out, mean, stddev, seed, offset));
  return info.Env().Undefined();
}

// dropout(x, keep, seed, offset, mask, out), on the host or the device (the same values).
Napi::Value Dropout(const Napi::CallbackInfo& info) {
  const char* fn = "dropout";
  Placement at(info, fn);
  FloatSpan x = at.arg(0, "x");
  const double keep = numberArg(info, 1, fn, "keep");
  const uint64_t seed = seedArg(info, 2, fn, "seed"), offset = seedArg(info, 3, fn, "offset");
  FloatSpan mask = at.arg(4, "mask"), out = at.arg(5, "out");
  expectLength(info.Env(), mask.size, x.size, fn, "mask");
  expectLength(info.Env(), out.size, x.size, fn, "out");
  throwIfFailed(info.Env(), at.onDevice()
                                ? cudaResult(at.cuda().dropout(abiIn(x), keep, seed, offset, abiOut(mask), abiOut(out)))
                                : dropout(x, keep, seed, offset, mask, out));
  return info.Env().Undefined();
}

}  // namespace

void registerOpsBinding(Napi::Env env, Napi::Object exports) {
  struct Entry { const char* name; Napi::Value (*fn)(const Napi::CallbackInfo&); };
  const Entry entries[] = {
      {"add", Add}, {"sub", Sub}, {"mul", Mul}, {"axpby", Axpby}, {"addChannelBias", AddChannelBias},
      {"relu", Relu}, {"reluBackward", ReluBackward}, {"fill", Fill}, {"sum", Sum}, {"sumSquares", SumSquares},
      {"transposeBatched", TransposeBatched}, {"permute", Permute}, {"copyStridedRows", CopyStridedRows},
      {"argmaxAlong", ArgmaxAlong}, {"softmaxForward", SoftmaxForward}, {"softmaxBackward", SoftmaxBackward},
      {"tanhForward", Tanh}, {"tanhBackward", TanhBackward}, {"sigmoidForward", Sigmoid},
      {"sigmoidBackward", SigmoidBackward}, {"crossEntropyNdForward", CrossEntropyNdForward},
      {"crossEntropyNdBackward", CrossEntropyNdBackward},
      {"maxPool2dForward", MaxPool2dForward}, {"maxPool2dBackward", MaxPool2dBackward},
      {"avgPool2dForward", AvgPool2dForward}, {"avgPool2dBackward", AvgPool2dBackward},
      {"adaptiveAvgPool2dForward", AdaptiveAvgPool2dForward},
      {"adaptiveAvgPool2dBackward", AdaptiveAvgPool2dBackward},
      {"adaptiveMaxPool2dForward", AdaptiveMaxPool2dForward},
      {"interpolateForward", InterpolateForward}, {"interpolateBackward", InterpolateBackward},
      {"crossEntropyForward", CrossEntropyForward}, {"crossEntropyBackward", CrossEntropyBackward},
      {"fillUniform", FillUniform}, {"fillNormal", FillNormal}, {"dropout", Dropout},
  };
  for (const Entry& e : entries) exports.Set(e.name, Napi::Function::New(env, e.fn, e.name));
}

}  // namespace atrous::napi
