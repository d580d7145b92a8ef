// batchNormForward, batchNormBackward, sgdStep, adamStep, convertToFloat32 and the weight-norm kernels: argument
// checks and zero-copy views, then straight into the kernels (batchnorm, optim_update, dtype_convert, weight_norm).
#include "../kernels/cpu/batchnorm.h"
#include "../kernels/cpu/dtype_convert.h"
#include "../kernels/cpu/optim_update.h"
#include "../kernels/cpu/weight_norm.h"
#include "cuda_library.h"
#include "napi_util.h"

namespace atrous::napi {
namespace {

constexpr int64_t kMaxStep = 9007199254740991;  // 2^53 - 1

// xShape [N, C, H, W] as the kernels' N×C×(H·W).
BatchNormShape batchNormShapeOf(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  auto d = shapeArg(info, i, 4, fn, "xShape");
  BatchNormShape s{d[0], d[1], d[2] * d[3]};
  throwIfFailed(info.Env(), s.validate(fn));
  return s;
}

// batchNormForward(x, xShape, gamma|null, beta|null, runningMean|null, runningVar|null, training, eps,
//                  factor, y, saveMean, saveInvStd, relu): relu writes relu(batchnorm(x)) (CPU only)
Napi::Value BatchNormForward(const Napi::CallbackInfo& info) {
  const char* fn = "batchNormForward";
  Placement at(info, fn);
  FloatSpan x = at.arg(0, "x");
  BatchNormShape s = batchNormShapeOf(info, 1, fn);
  FloatSpan gamma = at.optionalArg(2, "gamma"), beta = at.optionalArg(3, "beta");
  FloatSpan rm = at.optionalArg(4, "runningMean"), rv = at.optionalArg(5, "runningVar");
  bool training = boolArg(info, 6, fn, "training");
  double eps = numberArg(info, 7, fn, "eps"), factor = numberArg(info, 8, fn, "factor");
  FloatSpan y = at.arg(9, "y");
  FloatSpan saveMean = at.arg(10, "saveMean"), saveInvStd = at.arg(11, "saveInvStd");
  bool relu = boolArg(info, 12, fn, "relu");
  Status st;
  if (at.onDevice()) {
    if (relu) throwRange(info.Env(), std::string(fn) + ": relu expects false for CUDA buffers (no fused CUDA kernel)");
    const AtrousBatchNormShape as = toAbi(s);
    const AtrousCudaApi& cuda = at.cuda();
    st = cudaResult(training ? cuda.batchNormForwardTrain(&as, abiIn(x), abiIn(gamma), abiIn(beta), eps, factor,
                                                          abiOut(rm), abiOut(rv), abiOut(y), abiOut(saveMean),
                                                          abiOut(saveInvStd))
                             : cuda.batchNormForwardEval(&as, abiIn(x), abiIn(gamma), abiIn(beta), eps, abiIn(rm),
                                                         abiIn(rv), abiOut(y), abiOut(saveMean), abiOut(saveInvStd)));
  } else {
    st = training ? batchNormForwardTrain(s, x, gamma, beta, eps, factor, rm, rv, y, saveMean, saveInvStd, relu)
                  : batchNormForwardEval(s, x, gamma, beta, eps, rm, rv, y, saveMean, saveInvStd, relu);
  }
  throwIfFailed(info.Env(), st);
  return info.Env().Undefined();
}

// batchNormBackward(x, xShape, dy, gamma|null, saveMean, saveInvStd, batchStats, dx|null, dgamma|null, dbeta|null,
//                   reluOut|null): reluOut, the fused forward's output, takes dy through its ReLU (CPU only)
Napi::Value BatchNormBackward(const Napi::CallbackInfo& info) {
  const char* fn = "batchNormBackward";
  Placement at(info, fn);
  FloatSpan x = at.arg(0, "x");
  BatchNormShape s = batchNormShapeOf(info, 1, fn);
  FloatSpan dy = at.arg(2, "dy"), gamma = at.optionalArg(3, "gamma");
  FloatSpan saveMean = at.arg(4, "saveMean"), saveInvStd = at.arg(5, "saveInvStd");
  bool batchStats = boolArg(info, 6, fn, "batchStats");
  FloatSpan dx = at.optionalArg(7, "dx"), dgamma = at.optionalArg(8, "dgamma");
  FloatSpan dbeta = at.optionalArg(9, "dbeta"), reluOut = at.optionalArg(10, "reluOut");
  if (at.onDevice()) {
    if (reluOut.data) throwRange(info.Env(), std::string(fn) + ": reluOut expects null for CUDA buffers (no fused CUDA kernel)");
    const AtrousBatchNormShape as = toAbi(s);
    throwIfFailed(info.Env(), cudaResult(at.cuda().batchNormBackward(&as, abiIn(x), abiIn(dy), abiIn(gamma),
                                                                     abiIn(saveMean), abiIn(saveInvStd), batchStats,
                                                                     abiOut(dx), abiOut(dgamma), abiOut(dbeta))));
  } else {
    throwIfFailed(info.Env(),
                  batchNormBackward(s, x, dy, gamma, saveMean, saveInvStd, batchStats, dx, dgamma, dbeta, reluOut));
  }
  return info.Env().Undefined();
}

// sgdStep(param, grad, momentumBuffer|null, lr, momentum, dampening, weightDecay, nesterov, firstStep)
Napi::Value SgdStep(const Napi::CallbackInfo& info) {
  const char* fn = "sgdStep";
  Placement at(info, fn);
  FloatSpan param = at.arg(0, "param"), grad = at.arg(1, "grad");
  FloatSpan buf = at.optionalArg(2, "momentumBuffer");
  SgdHyper h;
  h.lr = numberArg(info, 3, fn, "lr");
  h.momentum = numberArg(info, 4, fn, "momentum");
  h.dampening = numberArg(info, 5, fn, "dampening");
  h.weightDecay = numberArg(info, 6, fn, "weightDecay");
  h.nesterov = boolArg(info, 7, fn, "nesterov");
  bool firstStep = boolArg(info, 8, fn, "firstStep");
  if (at.onDevice()) {
    const AtrousSgd ah{h.lr, h.momentum, h.dampening, h.weightDecay, h.nesterov};
    throwIfFailed(info.Env(), cudaResult(at.cuda().sgdStep(abiOut(param), abiIn(grad), abiOut(buf), &ah, firstStep)));
  } else {
    throwIfFailed(info.Env(), sgdStep(param, grad, buf, h, firstStep));
  }
  return info.Env().Undefined();
}

// adamStep(param, grad, expAvg, expAvgSq, maxExpAvgSq|null, lr, beta1, beta2, eps, weightDecay, decoupled, step)
Napi::Value AdamStep(const Napi::CallbackInfo& info) {
  const char* fn = "adamStep";
  Placement at(info, fn);
  FloatSpan param = at.arg(0, "param"), grad = at.arg(1, "grad");
  FloatSpan m = at.arg(2, "expAvg"), v = at.arg(3, "expAvgSq");
  FloatSpan vmax = at.optionalArg(4, "maxExpAvgSq");
  AdamHyper h;
  h.lr = numberArg(info, 5, fn, "lr");
  h.beta1 = numberArg(info, 6, fn, "beta1");
  h.beta2 = numberArg(info, 7, fn, "beta2");
  h.eps = numberArg(info, 8, fn, "eps");
  h.weightDecay = numberArg(info, 9, fn, "weightDecay");
  h.decoupled = boolArg(info, 10, fn, "decoupled");
  h.step = intArg(info, 11, 1, kMaxStep, fn, "step");
  if (at.onDevice()) {
    const AtrousAdam ah{h.lr, h.beta1, h.beta2, h.eps, h.weightDecay, h.decoupled, h.step};
    throwIfFailed(info.Env(), cudaResult(at.cuda().adamStep(abiOut(param), abiIn(grad), abiOut(m), abiOut(v),
                                                            abiOut(vmax), &ah)));
  } else {
    throwIfFailed(info.Env(), adamStep(param, grad, m, v, vmax, h));
  }
  return info.Env().Undefined();
}

// convertToFloat32(bytes: Uint8Array, dtype: string, out: Float32Array)
Napi::Value ConvertToFloat32(const Napi::CallbackInfo& info) {
  const char* fn = "convertToFloat32";
  Napi::Uint8Array bytes = uint8Arg(info, 0, fn, "bytes");
  const std::string name = stringArg(info, 1, fn, "dtype");
  SourceDtype dtype;
  if (!parseSourceDtype(name, &dtype))
    throwRange(info.Env(), std::string(fn) + ": dtype expects one of F16, BF16, F64, I64, I32, I16, I8, U8, BOOL, but got " + name);
  FloatSpan out = floatArg(info, 2, fn, "out");
  throwIfFailed(info.Env(), convertToFloat32(bytes.Data(), static_cast<long long>(bytes.ByteLength()), dtype, out));
  return info.Env().Undefined();
}

// ---- weight normalisation over rows (CPU buffers; lib/ops/weight-norm.ts moves device tensors) ----

constexpr int64_t kMaxDim = 2147483647;

// rows and width as integers in [1, 2^31-1]; v must hold rows·width floats.
void rowsArgs(const Napi::CallbackInfo& info, size_t i, const char* fn, FloatSpan v, int64_t* rows, int64_t* width) {
  *rows = intArg(info, i, 1, kMaxDim, fn, "rows");
  *width = intArg(info, i + 1, 1, kMaxDim, fn, "width");
  expectLength(info.Env(), v.size, *rows * *width, fn, "v");  // < 2^62: no overflow
}

// rowNorms(v, rows, width, norms)
Napi::Value RowNorms(const Napi::CallbackInfo& info) {
  const char* fn = "rowNorms";
  FloatSpan v = floatArg(info, 0, fn, "v");
  int64_t rows = 0, width = 0;
  rowsArgs(info, 1, fn, v, &rows, &width);
  FloatSpan norms = floatArg(info, 3, fn, "norms");
  expectLength(info.Env(), norms.size, rows, fn, "norms");
  throwIfFailed(info.Env(), rowNorms(v, rows, width, norms));
  return info.Env().Undefined();
}

// weightNormForward(v, g, rows, width, w)
Napi::Value WeightNormForward(const Napi::CallbackInfo& info) {
  const char* fn = "weightNormForward";
  FloatSpan v = floatArg(info, 0, fn, "v"), g = floatArg(info, 1, fn, "g");
  int64_t rows = 0, width = 0;
  rowsArgs(info, 2, fn, v, &rows, &width);
  FloatSpan w = floatArg(info, 4, fn, "w");
  expectLength(info.Env(), g.size, rows, fn, "g");
  expectLength(info.Env(), w.size, v.size, fn, "w");
  throwIfFailed(info.Env(), weightNormForward(v, g, rows, width, w));
  return info.Env().Undefined();
}

// weightNormBackward(v, g, dw, rows, width, dv | null, dg | null)
Napi::Value WeightNormBackward(const Napi::CallbackInfo& info) {
  const char* fn = "weightNormBackward";
  FloatSpan v = floatArg(info, 0, fn, "v"), g = floatArg(info, 1, fn, "g"), dw = floatArg(info, 2, fn, "dw");
  int64_t rows = 0, width = 0;
  rowsArgs(info, 3, fn, v, &rows, &width);
  FloatSpan dv = optionalFloatArg(info, 5, fn, "dv"), dg = optionalFloatArg(info, 6, fn, "dg");
  expectLength(info.Env(), g.size, rows, fn, "g");
  expectLength(info.Env(), dw.size, v.size, fn, "dw");
  if (dv.data != nullptr) expectLength(info.Env(), dv.size, v.size, fn, "dv");
  if (dg.data != nullptr) expectLength(info.Env(), dg.size, rows, fn, "dg");
  throwIfFailed(info.Env(), weightNormBackward(v, g, dw, rows, width, dv, dg));
  return info.Env().Undefined();
}

}  // namespace

void registerNnBinding(Napi::Env env, Napi::Object exports) {
  exportFunctions(env, exports, {
      {"batchNormForward", BatchNormForward}, {"batchNormBackward", BatchNormBackward}, {"sgdStep", SgdStep},
      {"adamStep", AdamStep}, {"convertToFloat32", ConvertToFloat32}, {"rowNorms", RowNorms},
      {"weightNormForward", WeightNormForward}, {"weightNormBackward", WeightNormBackward},
  });
}

}  // namespace atrous::napi
