// convForward(+Async), convBackwardData, convBackwardWeight, convBackwardBias and gemm:
// argument checks and zero-copy views, then straight into the kernels.
#include <memory>

#include "../kernels/cpu/conv.h"
#include "../kernels/cpu/gemm.h"
#include "napi_util.h"

namespace atrous::napi {
namespace {

constexpr int64_t kMaxDim = 2147483647;

// Geometry from an input shape [N, C, H, W], a weight shape [Cout, C/groups, KH, KW] and ConvParams.
ConvGeometry geometryOf(Napi::Env env, const std::vector<int64_t>& x, const std::vector<int64_t>& w,
                        const Napi::Object& p, const char* fn) {
  ConvGeometry g;
  g.batch = x[0]; g.inChannels = x[1]; g.inH = x[2]; g.inW = x[3];
  g.outChannels = w[0]; g.kernelH = w[2]; g.kernelW = w[3];
  g.strideH = intField(env, p, "strideH", 1, kMaxDim, fn);
  g.strideW = intField(env, p, "strideW", 1, kMaxDim, fn);
  g.padTop = intField(env, p, "padTop", 0, kMaxDim, fn);
  g.padBottom = intField(env, p, "padBottom", 0, kMaxDim, fn);
  g.padLeft = intField(env, p, "padLeft", 0, kMaxDim, fn);
  g.padRight = intField(env, p, "padRight", 0, kMaxDim, fn);
  g.dilationH = intField(env, p, "dilationH", 1, kMaxDim, fn);
  g.dilationW = intField(env, p, "dilationW", 1, kMaxDim, fn);
  g.groups = intField(env, p, "groups", 1, kMaxDim, fn);
  throwIfFailed(env, g.validate(fn));
  if (g.groups > 0 && w[1] * g.groups != g.inChannels)
    throwRange(env, std::string(fn) + ": weight expects " + std::to_string(g.inChannels / g.groups) +
                        " input channels per group, but its shape has " + std::to_string(w[1]));
  return g;
}

// convForward(x, xShape, w, wShape, bias|null, y, params)
struct ForwardArgs {
  ConvGeometry g;
  FloatSpan x, w, bias, y;
};

ForwardArgs forwardArgs(const Napi::CallbackInfo& info, const char* fn) {
  ForwardArgs a;
  a.x = floatArg(info, 0, fn, "x");
  auto xs = shapeArg(info, 1, 4, fn, "xShape");
  a.w = floatArg(info, 2, fn, "w");
  auto ws = shapeArg(info, 3, 4, fn, "wShape");
  a.bias = optionalFloatArg(info, 4, fn, "bias");
  a.y = floatArg(info, 5, fn, "y");
  a.g = geometryOf(info.Env(), xs, ws, objectArg(info, 6, fn, "params"), fn);
  expectLength(info.Env(), a.x.size, a.g.inputSize(), fn, "x");
  expectLength(info.Env(), a.w.size, a.g.weightSize(), fn, "w");
  if (a.bias.data) expectLength(info.Env(), a.bias.size, a.g.outChannels, fn, "bias");
  expectLength(info.Env(), a.y.size, a.g.outputSize(), fn, "y");
  return a;
}

Napi::Value ConvForward(const Napi::CallbackInfo& info) {
  ForwardArgs a = forwardArgs(info, "convForward");
  throwIfFailed(info.Env(), convForward(a.g, a.x, a.w, a.bias, a.y));
  return info.Env().Undefined();
}

// Runs the forward on a worker thread. The typed arrays are held by references so that their
// memory stays alive until the Promise settles.
class ConvForwardWorker : public Napi::AsyncWorker {
 public:
  ConvForwardWorker(Napi::Env env, const Napi::CallbackInfo& info, ForwardArgs args)
      : Napi::AsyncWorker(env, "atrous.convForwardAsync"), deferred_(Napi::Promise::Deferred::New(env)), args_(args) {
    for (size_t i : {0, 2, 4, 5})
      if (i < info.Length() && info[i].IsObject()) keep_.push_back(Napi::Persistent(info[i].As<Napi::Object>()));
  }
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override {
    Status s = convForward(args_.g, args_.x, args_.w, args_.bias, args_.y);
    if (!s.isOk()) SetError(s.message());
  }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  ForwardArgs args_;
  std::vector<Napi::ObjectReference> keep_;
};

Napi::Value ConvForwardAsync(const Napi::CallbackInfo& info) {
  ForwardArgs a = forwardArgs(info, "convForwardAsync");
  auto* worker = new ConvForwardWorker(info.Env(), info, a);
  Napi::Promise p = worker->promise();
  worker->Queue();
  return p;
}

// convBackwardData(dy, w, wShape, dx, xShape, params)
Napi::Value ConvBackwardData(const Napi::CallbackInfo& info) {
  const char* fn = "convBackwardData";
  FloatSpan dy = floatArg(info, 0, fn, "dy"), w = floatArg(info, 1, fn, "w");
  auto ws = shapeArg(info, 2, 4, fn, "wShape");
  FloatSpan dx = floatArg(info, 3, fn, "dx");
  auto xs = shapeArg(info, 4, 4, fn, "xShape");
  ConvGeometry g = geometryOf(info.Env(), xs, ws, objectArg(info, 5, fn, "params"), fn);
  expectLength(info.Env(), dy.size, g.outputSize(), fn, "dy");
  expectLength(info.Env(), w.size, g.weightSize(), fn, "w");
  expectLength(info.Env(), dx.size, g.inputSize(), fn, "dx");
  throwIfFailed(info.Env(), convBackwardData(g, dy, w, dx));
  return info.Env().Undefined();
}

// convBackwardWeight(x, xShape, dy, dw, wShape, params)
Napi::Value ConvBackwardWeight(const Napi::CallbackInfo& info) {
  const char* fn = "convBackwardWeight";
  FloatSpan x = floatArg(info, 0, fn, "x");
  auto xs = shapeArg(info, 1, 4, fn, "xShape");
  FloatSpan dy = floatArg(info, 2, fn, "dy"), dw = floatArg(info, 3, fn, "dw");
  auto ws = shapeArg(info, 4, 4, fn, "wShape");
  ConvGeometry g = geometryOf(info.Env(), xs, ws, objectArg(info, 5, fn, "params"), fn);
  expectLength(info.Env(), x.size, g.inputSize(), fn, "x");
  expectLength(info.Env(), dy.size, g.outputSize(), fn, "dy");
  expectLength(info.Env(), dw.size, g.weightSize(), fn, "dw");
  throwIfFailed(info.Env(), convBackwardWeight(g, x, dy, dw));
  return info.Env().Undefined();
}

// convBackwardBias(dy, dyShape [N, C, OH, OW], db): a 1x1 geometry with the output's shape.
Napi::Value ConvBackwardBias(const Napi::CallbackInfo& info) {
  const char* fn = "convBackwardBias";
  FloatSpan dy = floatArg(info, 0, fn, "dy");
  auto s = shapeArg(info, 1, 4, fn, "dyShape");
  FloatSpan db = floatArg(info, 2, fn, "db");
  ConvGeometry g;
  g.batch = s[0]; g.inChannels = g.outChannels = s[1]; g.inH = s[2]; g.inW = s[3];
  throwIfFailed(info.Env(), g.validate(fn));
  expectLength(info.Env(), dy.size, g.outputSize(), fn, "dy");
  expectLength(info.Env(), db.size, g.outChannels, fn, "db");
  throwIfFailed(info.Env(), convBackwardBias(g, dy, db));
  return info.Env().Undefined();
}

// gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc): sgemm checks the lengths.
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  const char* fn = "gemm";
  bool ta = boolArg(info, 0, fn, "transA"), tb = boolArg(info, 1, fn, "transB");
  int64_t m = intArg(info, 2, 0, kMaxDim, fn, "m"), n = intArg(info, 3, 0, kMaxDim, fn, "n");
  int64_t k = intArg(info, 4, 0, kMaxDim, fn, "k");
  double alpha = numberArg(info, 5, fn, "alpha");
  FloatSpan a = floatArg(info, 6, fn, "a");
  int64_t lda = intArg(info, 7, 1, kMaxDim, fn, "lda");
  FloatSpan b = floatArg(info, 8, fn, "b");
  int64_t ldb = intArg(info, 9, 1, kMaxDim, fn, "ldb");
  double beta = numberArg(info, 10, fn, "beta");
  FloatSpan c = floatArg(info, 11, fn, "c");
  int64_t ldc = intArg(info, 12, 1, kMaxDim, fn, "ldc");
  throwIfFailed(info.Env(), sgemm(ta, tb, m, n, k, static_cast<float>(alpha), a, lda, b, ldb,
                                  static_cast<float>(beta), c, ldc));
  return info.Env().Undefined();
}

}  // namespace

void registerConvBinding(Napi::Env env, Napi::Object exports) {
  exports.Set("convForward", Napi::Function::New(env, ConvForward, "convForward"));
  exports.Set("convForwardAsync", Napi::Function::New(env, ConvForwardAsync, "convForwardAsync"));
  exports.Set("convBackwardData", Napi::Function::New(env, ConvBackwardData, "convBackwardData"));
  exports.Set("convBackwardWeight", Napi::Function::New(env, ConvBackwardWeight, "convBackwardWeight"));
  exports.Set("convBackwardBias", Napi::Function::New(env, ConvBackwardBias, "convBackwardBias"));
  exports.Set("gemm", Napi::Function::New(env, Gemm, "gemm"));
}

}  // namespace atrous::napi
