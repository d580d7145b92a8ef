// Elementwise ops, pooling, resizing, cross-entropy and random numbers (lib/native/addon-api.ts): argument checks and
// zero-copy views, then straight into the kernels (elementwise, pool, interpolate, loss, random). Every length is
// checked against the shape it comes with before a kernel runs.
#include <array>
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
  const auto hw = integerElements(env, a, lo, kMaxInt32, where);
  return {hw[0], hw[1]};
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
  const bool hasB = !isAbsent(argAt(info, 2));  // decided by the argument, not by a span's length
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
  Napi::Value v = argAt(info, i);
  const std::string where = std::string(fn) + ": " + arg;
  if (!v.IsArray()) throwType(info.Env(), where + " expects an array of integers, but got " + v.ToString().Utf8Value());
  auto a = v.As<Napi::Array>();
  if (a.Length() > static_cast<uint32_t>(kMaxPermuteRank))
    throwRange(info.Env(), where + " expects at most " + std::to_string(kMaxPermuteRank) + " dims, but got " +
                               std::to_string(a.Length()));
  return integerElements(info.Env(), a, lo, kMaxInt32, where);
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

// (outer, size, inner) at info[i..i+2]: x seen as outer × size × inner, taken along size.
struct Along {
  int64_t outer, size, inner;
};

Along alongArg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  return {intArg(info, i, 0, kMaxInt32, fn, "outer"), intArg(info, i + 1, 1, kMaxInt32, fn, "size"),
          intArg(info, i + 2, 0, kMaxInt32, fn, "inner")};
}

// argmaxAlong(x, outer, size, inner, out: Int32Array)
Napi::Value ArgmaxAlong(const Napi::CallbackInfo& info) {
  const char* fn = "argmaxAlong";
  FloatSpan x = floatArg(info, 0, fn, "x");
  const Along a = alongArg(info, 1, fn);
  IntSpan out = int32Arg(info, 4, fn, "out");
  throwIfFailed(info.Env(), argmaxAlong(x, a.outer, a.size, a.inner, out));
  return info.Env().Undefined();
}

// softmaxForward(x, outer, size, inner, log, out)
Napi::Value SoftmaxForward(const Napi::CallbackInfo& info) {
  const char* fn = "softmaxForward";
  FloatSpan x = floatArg(info, 0, fn, "x");
  const Along a = alongArg(info, 1, fn);
  const bool log = boolArg(info, 4, fn, "log");
  FloatSpan out = floatArg(info, 5, fn, "out");
  throwIfFailed(info.Env(), softmaxForward(x, a.outer, a.size, a.inner, log, out));
  return info.Env().Undefined();
}

// softmaxBackward(y, dy, outer, size, inner, log, dx)
Napi::Value SoftmaxBackward(const Napi::CallbackInfo& info) {
  const char* fn = "softmaxBackward";
  FloatSpan y = floatArg(info, 0, fn, "y"), dy = floatArg(info, 1, fn, "dy");
  const Along a = alongArg(info, 2, fn);
  const bool log = boolArg(info, 5, fn, "log");
  FloatSpan dx = floatArg(info, 6, fn, "dx");
  throwIfFailed(info.Env(), softmaxBackward(y, dy, a.outer, a.size, a.inner, log, dx));
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

// gatedTanhForward(x, outer, half, out); gatedTanhBackward(x, dz, outer, half, dx)
Napi::Value GatedTanhForward(const Napi::CallbackInfo& info) {
  const char* fn = "gatedTanhForward";
  FloatSpan x = floatArg(info, 0, fn, "x");
  const int64_t outer = intArg(info, 1, 0, kMaxInt32, fn, "outer"), half = intArg(info, 2, 0, kMaxInt32, fn, "half");
  FloatSpan out = floatArg(info, 3, fn, "out");
  throwIfFailed(info.Env(), gatedTanhForward(x, outer, half, out));
  return info.Env().Undefined();
}
Napi::Value GatedTanhBackward(const Napi::CallbackInfo& info) {
  const char* fn = "gatedTanhBackward";
  FloatSpan x = floatArg(info, 0, fn, "x"), dz = floatArg(info, 1, fn, "dz");
  const int64_t outer = intArg(info, 2, 0, kMaxInt32, fn, "outer"), half = intArg(info, 3, 0, kMaxInt32, fn, "half");
  FloatSpan dx = floatArg(info, 4, fn, "dx");
  throwIfFailed(info.Env(), gatedTanhBackward(x, dz, outer, half, dx));
  return info.Env().Undefined();
}

// (n, c, inner, targets, weight | null, ignoreIndex, labelSmoothing) at info[1..7], shared by both passes.
struct CrossEntropyNdArgs {
  int64_t n, c, inner;
  IntSpan targets;
  CrossEntropyOptions o;
};

CrossEntropyNdArgs crossEntropyNdArgs(const Napi::CallbackInfo& info, const char* fn) {
  CrossEntropyNdArgs a;
  a.n = intArg(info, 1, 1, kMaxInt32, fn, "n");
  a.c = intArg(info, 2, 1, kMaxInt32, fn, "c");
  a.inner = intArg(info, 3, 1, kMaxInt32, fn, "inner");
  a.targets = int32Arg(info, 4, fn, "targets");
  a.o.weight = optionalFloatArg(info, 5, fn, "weight");
  a.o.ignoreIndex = intArg(info, 6, -kMaxInt32 - 1, kMaxInt32, fn, "ignoreIndex");
  a.o.labelSmoothing = numberArg(info, 7, fn, "labelSmoothing");
  return a;
}

// crossEntropyNdForward(logits, n, c, inner, targets, weight | null, ignoreIndex, labelSmoothing, probs, losses | null)
//   -> { nll, smooth, weight, counted }
Napi::Value CrossEntropyNdForward(const Napi::CallbackInfo& info) {
  const char* fn = "crossEntropyNdForward";
  FloatSpan logits = floatArg(info, 0, fn, "logits");
  const CrossEntropyNdArgs a = crossEntropyNdArgs(info, fn);
  FloatSpan probs = floatArg(info, 8, fn, "probs");
  FloatSpan losses = optionalFloatArg(info, 9, fn, "losses");
  CrossEntropySums sums;
  throwIfFailed(info.Env(), crossEntropyNdForward(a.n, a.c, a.inner, logits, constSpan(a.targets), a.o, probs, losses, &sums));
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
  const CrossEntropyNdArgs a = crossEntropyNdArgs(info, fn);
  const double nllScale = numberArg(info, 8, fn, "nllScale");
  const double smoothScale = numberArg(info, 9, fn, "smoothScale");
  FloatSpan gradOut = floatArg(info, 10, fn, "gradOut");
  FloatSpan dlogits = floatArg(info, 11, fn, "dlogits");
  throwIfFailed(info.Env(), crossEntropyNdBackward(a.n, a.c, a.inner, probs, constSpan(a.targets), a.o, nllScale,
                                                   smoothScale, gradOut, dlogits));
  return info.Env().Undefined();
}

// ---- pooling ----

// (xShape, p) at info[i] and info[i + 1]: the input's shape and the window, checked together.
struct PoolShapes {
  Nchw x;
  PoolWindow p;
  Nchw y;
  int64_t outputSize() const { return y.size(); }
};

PoolShapes poolShapesArg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  PoolShapes s;
  s.x = nchwArg(info, i, fn, "xShape");
  s.p = poolWindowArg(info, i + 1, fn);
  throwIfFailed(info.Env(), validatePool(fn, s.x, s.p));
  s.y = pooledShape(s.x, s.p);
  return s;
}

// (xShape, outHW) at info[i] and info[i + 1]: the adaptive pools' input shape and output size, checked together.
struct AdaptiveShapes {
  Nchw x;
  int64_t outH, outW;
  int64_t outputSize() const { return x.n * x.c * outH * outW; }
};

AdaptiveShapes adaptiveShapesArg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  const Nchw x = nchwArg(info, i, fn, "xShape");
  const auto outHW = shapeArg(info, i + 1, 2, fn, "outHW");
  throwIfFailed(info.Env(), validateAdaptivePool(fn, x, outHW[0], outHW[1]));
  return {x, outHW[0], outHW[1]};
}

// maxPool2dForward(x, xShape, p, y, argmax)
Napi::Value MaxPool2dForward(const Napi::CallbackInfo& info) {
  const char* fn = "maxPool2dForward";
  Placement at(info, fn);
  FloatSpan x = at.arg(0, "x");
  const PoolShapes s = poolShapesArg(info, 1, fn);
  FloatSpan y = at.arg(3, "y");
  IntSpan argmax = at.ints(4, "argmax");
  expectLength(info.Env(), x.size, s.x.size(), fn, "x");
  expectLength(info.Env(), y.size, s.y.size(), fn, "y");
  expectLength(info.Env(), argmax.size, s.y.size(), fn, "argmax");
  if (at.onDevice()) {
    const AtrousNchw ax = toAbi(s.x);
    const AtrousPoolWindow ap = toAbi(s.p);
    throwIfFailed(info.Env(), cudaResult(at.cuda().maxPool2dForward(&ax, &ap, abiIn(x), abiOut(y), abiOut(argmax))));
  } else {
    throwIfFailed(info.Env(), maxPool2dForward(s.x, s.p, x, y, argmax));
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

// The average pools' passes on the host or the device: in at info[0], the shapes at info[1..2], out at info[3]
// (forward x → y, backward dy → dx), lengths checked; run(shapes, in, out, cuda | null) calls the kernel.
template <class Shapes, class Run>
Napi::Value AvgPoolPass(const Napi::CallbackInfo& info, const char* fn, bool backward,
                        Shapes (*shapesArg)(const Napi::CallbackInfo&, size_t, const char*), Run run) {
  Placement at(info, fn);
  const char* inName = backward ? "dy" : "x";
  const char* outName = backward ? "dx" : "y";
  FloatSpan in = at.arg(0, inName);
  const Shapes s = shapesArg(info, 1, fn);
  FloatSpan out = at.arg(3, outName);
  expectLength(info.Env(), in.size, backward ? s.outputSize() : s.x.size(), fn, inName);
  expectLength(info.Env(), out.size, backward ? s.x.size() : s.outputSize(), fn, outName);
  throwIfFailed(info.Env(), run(s, in, out, at.onDevice() ? &at.cuda() : nullptr));
  return info.Env().Undefined();
}

// The kernel of one such pass: the CPU one, or the CUDA one when cuda is given.
using CudaAvgPool = int (*AtrousCudaApi::*)(const AtrousNchw*, const AtrousPoolWindow*, AtrousIn, AtrousOut);
template <Status (*Kernel)(const Nchw&, const PoolWindow&, ConstFloatSpan, FloatSpan), CudaAvgPool CudaKernel>
Status runAvgPool(const PoolShapes& s, FloatSpan in, FloatSpan out, const AtrousCudaApi* cuda) {
  const AtrousNchw ax = toAbi(s.x);
  const AtrousPoolWindow ap = toAbi(s.p);
  return cuda ? cudaResult((cuda->*CudaKernel)(&ax, &ap, abiIn(in), abiOut(out))) : Kernel(s.x, s.p, in, out);
}

using CudaAdaptiveAvgPool = int (*AtrousCudaApi::*)(const AtrousNchw*, int64_t, int64_t, AtrousIn, AtrousOut);
template <Status (*Kernel)(const Nchw&, int64_t, int64_t, ConstFloatSpan, FloatSpan), CudaAdaptiveAvgPool CudaKernel>
Status runAdaptiveAvgPool(const AdaptiveShapes& s, FloatSpan in, FloatSpan out, const AtrousCudaApi* cuda) {
  const AtrousNchw ax = toAbi(s.x);
  return cuda ? cudaResult((cuda->*CudaKernel)(&ax, s.outH, s.outW, abiIn(in), abiOut(out)))
              : Kernel(s.x, s.outH, s.outW, in, out);
}

// avgPool2dForward(x, xShape, p, y), avgPool2dBackward(dy, xShape, p, dx), adaptiveAvgPool2dForward(x, xShape,
// outHW, y), adaptiveAvgPool2dBackward(dy, xShape, outHW, dx)
Napi::Value AvgPool2dForward(const Napi::CallbackInfo& info) {
  return AvgPoolPass(info, "avgPool2dForward", false, poolShapesArg,
                     runAvgPool<avgPool2dForward, &AtrousCudaApi::avgPool2dForward>);
}
Napi::Value AvgPool2dBackward(const Napi::CallbackInfo& info) {
  return AvgPoolPass(info, "avgPool2dBackward", true, poolShapesArg,
                     runAvgPool<avgPool2dBackward, &AtrousCudaApi::avgPool2dBackward>);
}
Napi::Value AdaptiveAvgPool2dForward(const Napi::CallbackInfo& info) {
  return AvgPoolPass(info, "adaptiveAvgPool2dForward", false, adaptiveShapesArg,
                     runAdaptiveAvgPool<adaptiveAvgPool2dForward, &AtrousCudaApi::adaptiveAvgPool2dForward>);
}
Napi::Value AdaptiveAvgPool2dBackward(const Napi::CallbackInfo& info) {
  return AvgPoolPass(info, "adaptiveAvgPool2dBackward", true, adaptiveShapesArg,
                     runAdaptiveAvgPool<adaptiveAvgPool2dBackward, &AtrousCudaApi::adaptiveAvgPool2dBackward>);
}

// adaptiveMaxPool2dForward(x, xShape, outHW, y, argmax): CPU only; maxPool2dBackward is its backward
Napi::Value AdaptiveMaxPool2dForward(const Napi::CallbackInfo& info) {
  const char* fn = "adaptiveMaxPool2dForward";
  FloatSpan x = floatArg(info, 0, fn, "x");
  const AdaptiveShapes s = adaptiveShapesArg(info, 1, fn);
  FloatSpan y = floatArg(info, 3, fn, "y");
  IntSpan argmax = int32Arg(info, 4, fn, "argmax");
  throwIfFailed(info.Env(), adaptiveMaxPool2dForward(s.x, s.outH, s.outW, x, y, argmax));
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

// fillUniform(out, lo, hi, seed, offset) and fillNormal(out, mean, std, seed, offset), on the host or the
// device (uniform: the same values; normal: within 1 float ulp).
using CudaFill = int (*AtrousCudaApi::*)(AtrousOut, double, double, uint64_t, uint64_t);
template <Status (*Kernel)(FloatSpan, double, double, uint64_t, uint64_t), CudaFill CudaKernel>
Napi::Value RandomFill(const Napi::CallbackInfo& info, const char* fn, const char* aName, const char* bName) {
  Placement at(info, fn);
  FloatSpan out = at.arg(0, "out");
  const double a = numberArg(info, 1, fn, aName), b = numberArg(info, 2, fn, bName);
  const uint64_t seed = seedArg(info, 3, fn, "seed"), offset = seedArg(info, 4, fn, "offset");
  throwIfFailed(info.Env(), at.onDevice() ? cudaResult((at.cuda().*CudaKernel)(abiOut(out), a, b, seed, offset))
                                          : Kernel(out, a, b, seed, offset));
  return info.Env().Undefined();
}

Napi::Value FillUniform(const Napi::CallbackInfo& info) {
  return RandomFill<fillUniform, &AtrousCudaApi::fillUniform>(info, "fillUniform", "lo", "hi");
}
Napi::Value FillNormal(const Napi::CallbackInfo& info) {
  return RandomFill<fillNormal, &AtrousCudaApi::fillNormal>(info, "fillNormal", "mean", "std");
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
  exportFunctions(env, exports, {
      {"add", Add}, {"sub", Sub}, {"mul", Mul}, {"axpby", Axpby}, {"addChannelBias", AddChannelBias},
      {"relu", Relu}, {"reluBackward", ReluBackward}, {"fill", Fill}, {"sum", Sum}, {"sumSquares", SumSquares},
      {"transposeBatched", TransposeBatched}, {"permute", Permute}, {"copyStridedRows", CopyStridedRows},
      {"argmaxAlong", ArgmaxAlong}, {"softmaxForward", SoftmaxForward}, {"softmaxBackward", SoftmaxBackward},
      {"tanhForward", Tanh}, {"tanhBackward", TanhBackward}, {"sigmoidForward", Sigmoid},
      {"sigmoidBackward", SigmoidBackward}, {"gatedTanhForward", GatedTanhForward},
      {"gatedTanhBackward", GatedTanhBackward}, {"crossEntropyNdForward", CrossEntropyNdForward},
      {"crossEntropyNdBackward", CrossEntropyNdBackward},
      {"maxPool2dForward", MaxPool2dForward}, {"maxPool2dBackward", MaxPool2dBackward},
      {"avgPool2dForward", AvgPool2dForward}, {"avgPool2dBackward", AvgPool2dBackward},
      {"adaptiveAvgPool2dForward", AdaptiveAvgPool2dForward},
      {"adaptiveAvgPool2dBackward", AdaptiveAvgPool2dBackward},
      {"adaptiveMaxPool2dForward", AdaptiveMaxPool2dForward},
      {"interpolateForward", InterpolateForward}, {"interpolateBackward", InterpolateBackward},
      {"crossEntropyForward", CrossEntropyForward}, {"crossEntropyBackward", CrossEntropyBackward},
      {"fillUniform", FillUniform}, {"fillNormal", FillNormal}, {"dropout", Dropout},
  });
}

}  // namespace atrous::napi
