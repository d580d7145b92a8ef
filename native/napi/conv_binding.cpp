// convForward(+Async), convBackwardData, convBackwardWeight, convBackwardBias and gemm:
// argument checks and zero-copy views, then straight into the kernels.
#include <memory>

#include "../kernels/cpu/conv/conv.h"
#include "../kernels/cpu/gemm.h"
#include "cuda_library.h"
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
  bool onDevice = false;
};

ForwardArgs forwardArgs(const Napi::CallbackInfo& info, const char* fn) {
  ForwardArgs a;
  Placement at(info, fn);
  a.x = at.arg(0, "x");
  auto xs = shapeArg(info, 1, 4, fn, "xShape");
  a.w = at.arg(2, "w");
  auto ws = shapeArg(info, 3, 4, fn, "wShape");
  a.bias = at.optionalArg(4, "bias");
  a.y = at.arg(5, "y");
  a.onDevice = at.onDevice();
  a.g = geometryOf(info.Env(), xs, ws, objectArg(info, 6, fn, "params"), fn);
  expectLength(info.Env(), a.x.size, a.g.inputSize(), fn, "x");
  expectLength(info.Env(), a.w.size, a.g.weightSize(), fn, "w");
  if (a.bias.data) expectLength(info.Env(), a.bias.size, a.g.outChannels, fn, "bias");
  expectLength(info.Env(), a.y.size, a.g.outputSize(), fn, "y");
  return a;
}

Napi::Value ConvForward(const Napi::CallbackInfo& info) {
  ForwardArgs a = forwardArgs(info, "convForward");
  if (a.onDevice) {
    const AtrousConvGeometry g = toAbi(a.g);
    throwIfFailed(info.Env(), cudaResult(requireCuda(info.Env(), "convForward")
                                             .convForward(&g, abiIn(a.x), abiIn(a.w), abiIn(a.bias), abiOut(a.y))));
  } else {
    throwIfFailed(info.Env(), convForward(a.g, a.x, a.w, a.bias, a.y));
  }
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
  if (a.onDevice) throwType(info.Env(), "convForwardAsync: takes host Float32Arrays (CUDA work is already asynchronous)");
  auto* worker = new ConvForwardWorker(info.Env(), info, a);
  Napi::Promise p = worker->promise();
  worker->Queue();
  return p;
}

// convBackwardData(dy, w, wShape, dx, xShape, params)
Napi::Value ConvBackwardData(const Napi::CallbackInfo& info) {
  const char* fn = "convBackwardData";
  Placement at(info, fn);
  FloatSpan dy = at.arg(0, "dy"), w = at.arg(1, "w");
  auto ws = shapeArg(info, 2, 4, fn, "wShape");
  FloatSpan dx = at.arg(3, "dx");
  auto xs = shapeArg(info, 4, 4, fn, "xShape");
  ConvGeometry g = geometryOf(info.Env(), xs, ws, objectArg(info, 5, fn, "params"), fn);
  expectLength(info.Env(), dy.size, g.outputSize(), fn, "dy");
  expectLength(info.Env(), w.size, g.weightSize(), fn, "w");
  expectLength(info.Env(), dx.size, g.inputSize(), fn, "dx");
  if (at.onDevice()) {
    const AtrousConvGeometry ag = toAbi(g);
    throwIfFailed(info.Env(), cudaResult(at.cuda().convBackwardData(&ag, abiIn(dy), abiIn(w), abiOut(dx))));
  } else {
    throwIfFailed(info.Env(), convBackwardData(g, dy, w, dx));
  }
  return info.Env().Undefined();
}

// convBackwardWeight(x, xShape, dy, dw, wShape, params)
Napi::Value ConvBackwardWeight(const Napi::CallbackInfo& info) {
  const char* fn = "convBackwardWeight";
  Placement at(info, fn);
  FloatSpan x = at.arg(0, "x");
  auto xs = shapeArg(info, 1, 4, fn, "xShape");
  FloatSpan dy = at.arg(2, "dy"), dw = at.arg(3, "dw");
  auto ws = shapeArg(info, 4, 4, fn, "wShape");
  ConvGeometry g = geometryOf(info.Env(), xs, ws, objectArg(info, 5, fn, "params"), fn);
  expectLength(info.Env(), x.size, g.inputSize(), fn, "x");
  expectLength(info.Env(), dy.size, g.outputSize(), fn, "dy");
  expectLength(info.Env(), dw.size, g.weightSize(), fn, "dw");
  if (at.onDevice()) {
    const AtrousConvGeometry ag = toAbi(g);
    throwIfFailed(info.Env(), cudaResult(at.cuda().convBackwardWeight(&ag, abiIn(x), abiIn(dy), abiOut(dw))));
  } else {
    throwIfFailed(info.Env(), convBackwardWeight(g, x, dy, dw));
  }
  return info.Env().Undefined();
}

// convBackwardBias(dy, dyShape [N, C, OH, OW], db): a 1x1 geometry with the output's shape.
Napi::Value ConvBackwardBias(const Napi::CallbackInfo& info) {
  const char* fn = "convBackwardBias";
  Placement at(info, fn);
  FloatSpan dy = at.arg(0, "dy");
  auto s = shapeArg(info, 1, 4, fn, "dyShape");
  FloatSpan db = at.arg(2, "db");
  ConvGeometry g;
  g.batch = s[0]; g.inChannels = g.outChannels = s[1]; g.inH = s[2]; g.inW = s[3];
  throwIfFailed(info.Env(), g.validate(fn));
  expectLength(info.Env(), dy.size, g.outputSize(), fn, "dy");
  expectLength(info.Env(), db.size, g.outChannels, fn, "db");
  if (at.onDevice()) {
    const AtrousConvGeometry ag = toAbi(g);
    throwIfFailed(info.Env(), cudaResult(at.cuda().convBackwardBias(&ag, abiIn(dy), abiOut(db))));
  } else {
    throwIfFailed(info.Env(), convBackwardBias(g, dy, db));
  }
  return info.Env().Undefined();
}

// explainConv(xShape, wShape, params): per pass, the CPU plan a call with this geometry takes now
// (ATROUS_CONV_PATH and the thread count included): { path, workspaceBytes, why, folded, plan }.
Napi::Value ExplainConv(const Napi::CallbackInfo& info) {
  const char* fn = "explainConv";
  auto xs = shapeArg(info, 0, 4, fn, "xShape");
  auto ws = shapeArg(info, 1, 4, fn, "wShape");
  ConvGeometry g = geometryOf(info.Env(), xs, ws, objectArg(info, 2, fn, "params"), fn);
  Napi::Object out = Napi::Object::New(info.Env());
  for (ConvPass pass : {ConvPass::Forward, ConvPass::Data, ConvPass::Weight}) {
    ConvPlan plan;
    throwIfFailed(info.Env(), planConvFromEnvironment(g, pass, &plan));
    Napi::Object o = Napi::Object::New(info.Env());
    o.Set("path", convPathName(plan.path));
    o.Set("workspaceBytes", Napi::Number::New(info.Env(), static_cast<double>(plan.workspaceBytes)));
    o.Set("why", plan.why);
    o.Set("folded", plan.folded);
    o.Set("plan", plan.describe());
    out.Set(convPassName(pass), o);
  }
  return out;
}

// gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc): sgemm checks the lengths.
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  const char* fn = "gemm";
  bool ta = boolArg(info, 0, fn, "transA"), tb = boolArg(info, 1, fn, "transB");
  int64_t m = intArg(info, 2, 0, kMaxDim, fn, "m"), n = intArg(info, 3, 0, kMaxDim, fn, "n");
  int64_t k = intArg(info, 4, 0, kMaxDim, fn, "k");
  const float alpha = static_cast<float>(numberArg(info, 5, fn, "alpha"));
  Placement at(info, fn);
  FloatSpan a = at.arg(6, "a");
  int64_t lda = intArg(info, 7, 1, kMaxDim, fn, "lda");
  FloatSpan b = at.arg(8, "b");
  int64_t ldb = intArg(info, 9, 1, kMaxDim, fn, "ldb");
  const float beta = static_cast<float>(numberArg(info, 10, fn, "beta"));
  FloatSpan c = at.arg(11, "c");
  int64_t ldc = intArg(info, 12, 1, kMaxDim, fn, "ldc");
  throwIfFailed(info.Env(), at.onDevice() ? cudaResult(at.cuda().sgemm(ta, tb, m, n, k, alpha, abiIn(a), lda, abiIn(b),
                                                                        ldb, beta, abiOut(c), ldc))
                                          : sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc));
  return info.Env().Undefined();
}

}  // namespace

void registerConvBinding(Napi::Env env, Napi::Object exports) {
  exportFunctions(env, exports, {
      {"convForward", ConvForward}, {"convForwardAsync", ConvForwardAsync}, {"convBackwardData", ConvBackwardData},
      {"convBackwardWeight", ConvBackwardWeight}, {"convBackwardBias", ConvBackwardBias}, {"gemm", Gemm},
      {"explainConv", ExplainConv},
  });
}

}  // namespace atrous::napi
