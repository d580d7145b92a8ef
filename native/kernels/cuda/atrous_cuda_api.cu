// The C table of atrous_cuda_api.h over the C++ kernels: converts plain C arguments to spans and
// geometry, and each Status to a return code plus a per-thread message. No math here.
#include "atrous_cuda_api.h"

#include <cuda_runtime.h>

#include <string>

#include "batchnorm.h"
#include "conv.h"
#include "cuda_memory.h"
#include "elementwise.h"
#include "../cpu/loss.h"
#include "loss.h"
#include "optim_update.h"
#include "pool.h"
#include "random.h"
#include "sgemm.h"
#include "transpose.h"

namespace atrous::cuda {
namespace {

thread_local std::string lastErrorMessage;

int report(const Status& s) {
  if (s.isOk()) return 0;
  lastErrorMessage = s.message();
  return 1;
}

ConstFloatSpan in(AtrousIn s) { return ConstFloatSpan(s.data, s.size); }
FloatSpan out(AtrousOut s) { return FloatSpan{s.data, s.size}; }
ConstInt32Span in(AtrousIntIn s) { return ConstInt32Span(s.data, s.size); }
Int32Span out(AtrousIntOut s) { return Int32Span{s.data, s.size}; }

// A null struct argument is the caller's bug, reported like any other bad argument.
Status nullArgument(const char* op, const char* arg) { return Status::error(std::string(op) + ": " + arg + " is null"); }
Nchw nchw(const AtrousNchw& s) { return Nchw{s.n, s.c, s.h, s.w}; }
PoolWindow window(const AtrousPoolWindow& p) {
  PoolWindow w;
  w.kernelH = p.kernelH, w.kernelW = p.kernelW, w.strideH = p.strideH, w.strideW = p.strideW;
  w.padH = p.padH, w.padW = p.padW;
  return w;
}
BatchNormShape bnShape(const AtrousBatchNormShape& s) { return BatchNormShape{s.batch, s.channels, s.spatial}; }

static_assert(sizeof(AtrousConvGeometry) == sizeof(ConvGeometry), "AtrousConvGeometry mirrors ConvGeometry");

ConvGeometry geometry(const AtrousConvGeometry* c) {
  ConvGeometry g;
  g.batch = c->batch, g.inChannels = c->inChannels, g.inH = c->inH, g.inW = c->inW;
  g.outChannels = c->outChannels, g.kernelH = c->kernelH, g.kernelW = c->kernelW;
  g.strideH = c->strideH, g.strideW = c->strideW;
  g.padTop = c->padTop, g.padBottom = c->padBottom, g.padLeft = c->padLeft, g.padRight = c->padRight;
  g.dilationH = c->dilationH, g.dilationW = c->dilationW;
  g.groups = c->groups;
  return g;
}

// A float64 result computed on the device, brought back: one small synchronous copy. The slot is
// allocated once per thread and kept (cudaMalloc/cudaFree would synchronise on every loss or sum).
template <class Body>
int hostDouble(const char* op, double* result, Body body) {
  if (result == nullptr) return report(nullArgument(op, "result"));
  thread_local double* slot = nullptr;
  if (slot == nullptr) {
    if (int rc = report(deviceAllocate(sizeof(double), reinterpret_cast<void**>(&slot)))) return rc;
  }
  Status s = body(slot);
  if (s.isOk()) s = copyToHost(result, slot, sizeof(double));
  return report(s);
}

const char* lastError() { return lastErrorMessage.c_str(); }

int probe() {
  const CudaAvailability& a = cudaAvailability();
  return a.usable ? 0 : report(Status::error(a.reason));
}

const char* deviceName() { return cudaAvailability().device.c_str(); }

// Tensors come and go every step (freed when JS collects them): stream-ordered allocation from the
// pool that keeps its memory (cuda_status.cu), on the default stream the kernels use, so neither
// call waits for the device as cudaMalloc/cudaFree do.
int allocate(size_t bytes, void** p) {
  if (p == nullptr) return report(Status::error("allocate: out is null"));
  *p = nullptr;
  if (bytes == 0) return 0;
  return report(checkCuda(cudaMallocAsync(p, bytes, nullptr), "allocate", "cudaMallocAsync"));
}
int release(void* p) {
  if (p == nullptr) return 0;
  return report(checkCuda(cudaFreeAsync(p, nullptr), "release", "cudaFreeAsync"));
}
int toDevice(void* dst, const void* src, size_t bytes) { return report(copyToDevice(dst, src, bytes)); }
int toHost(void* dst, const void* src, size_t bytes) { return report(copyToHost(dst, src, bytes)); }
int onDevice(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return 0;
  return report(checkCuda(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice), "copyOnDevice", "cudaMemcpy"));
}
int synchronize() { return report(deviceSynchronize()); }

int gemm(int transA, int transB, int64_t m, int64_t n, int64_t k, float alpha, AtrousIn a, int64_t lda, AtrousIn b,
         int64_t ldb, float beta, AtrousOut c, int64_t ldc) {
  return report(sgemm(transA != 0, transB != 0, m, n, k, alpha, in(a), lda, in(b), ldb, beta, out(c), ldc));
}

int forward(const AtrousConvGeometry* g, AtrousIn x, AtrousIn w, AtrousIn bias, AtrousOut y) {
  if (g == nullptr) return report(Status::error("convForward: geometry is null"));
  return report(convForward(geometry(g), in(x), in(w), in(bias), out(y)));
}
int backwardData(const AtrousConvGeometry* g, AtrousIn dy, AtrousIn w, AtrousOut dx) {
  if (g == nullptr) return report(Status::error("convBackwardData: geometry is null"));
  return report(convBackwardData(geometry(g), in(dy), in(w), out(dx)));
}
int backwardWeight(const AtrousConvGeometry* g, AtrousIn x, AtrousIn dy, AtrousOut dw) {
  if (g == nullptr) return report(Status::error("convBackwardWeight: geometry is null"));
  return report(convBackwardWeight(geometry(g), in(x), in(dy), out(dw)));
}
int backwardBias(const AtrousConvGeometry* g, AtrousIn dy, AtrousOut db) {
  if (g == nullptr) return report(Status::error("convBackwardBias: geometry is null"));
  return report(convBackwardBias(geometry(g), in(dy), out(db)));
}

int addOp(AtrousIn a, AtrousIn b, AtrousOut o) { return report(add(in(a), in(b), out(o))); }
int mulOp(AtrousIn a, AtrousIn b, AtrousOut o) { return report(mul(in(a), in(b), out(o))); }
int axpbyOp(AtrousIn a, float alpha, AtrousIn b, float beta, AtrousOut o) {
  return report(axpby(in(a), alpha, in(b), beta, out(o)));
}
int reluOp(AtrousIn x, AtrousOut o) { return report(relu(in(x), out(o))); }
int reluBackwardOp(AtrousIn x, AtrousIn dy, AtrousOut dx) { return report(reluBackward(in(x), in(dy), out(dx))); }
int fillOp(AtrousOut o, float value) { return report(fill(out(o), value)); }

int sumOp(AtrousIn x, double* result) {
  return hostDouble("sum", result, [&](double* d) { return sum(in(x), d); });
}
int sumSquaresOp(AtrousIn x, double* result) {
  return hostDouble("sumSquares", result, [&](double* d) { return cuda::sumSquares(in(x), d); });
}
int subOp(AtrousIn a, AtrousIn b, AtrousOut o) { return report(sub(in(a), in(b), out(o))); }
int scaleShiftOp(AtrousIn a, float alpha, float beta, AtrousOut o) {
  return report(cuda::scaleShift(in(a), alpha, beta, out(o)));
}
int addChannelBiasOp(AtrousIn a, AtrousIn bias, int64_t channels, int64_t inner, AtrousOut o) {
  return report(cuda::addChannelBias(in(a), in(bias), channels, inner, out(o)));
}

int maxPoolForwardOp(const AtrousNchw* x, const AtrousPoolWindow* p, AtrousIn xData, AtrousOut y, AtrousIntOut argmax) {
  if (x == nullptr || p == nullptr) return report(nullArgument("maxPool2dForward", "shape or window"));
  return report(cuda::maxPool2dForward(nchw(*x), window(*p), in(xData), out(y), out(argmax)));
}
int maxPoolBackwardOp(const AtrousNchw* x, const AtrousNchw* y, AtrousIn dy, AtrousIntIn argmax, AtrousOut dx) {
  if (x == nullptr || y == nullptr) return report(nullArgument("maxPool2dBackward", "shape"));
  return report(cuda::maxPool2dBackward(nchw(*x), nchw(*y), in(dy), in(argmax), out(dx)));
}
int avgPoolForwardOp(const AtrousNchw* x, const AtrousPoolWindow* p, AtrousIn xData, AtrousOut y) {
  if (x == nullptr || p == nullptr) return report(nullArgument("avgPool2dForward", "shape or window"));
  return report(cuda::avgPool2dForward(nchw(*x), window(*p), in(xData), out(y)));
}
int avgPoolBackwardOp(const AtrousNchw* x, const AtrousPoolWindow* p, AtrousIn dy, AtrousOut dx) {
  if (x == nullptr || p == nullptr) return report(nullArgument("avgPool2dBackward", "shape or window"));
  return report(cuda::avgPool2dBackward(nchw(*x), window(*p), in(dy), out(dx)));
}
int adaptiveForwardOp(const AtrousNchw* x, int64_t outH, int64_t outW, AtrousIn xData, AtrousOut y) {
  if (x == nullptr) return report(nullArgument("adaptiveAvgPool2dForward", "shape"));
  return report(cuda::adaptiveAvgPool2dForward(nchw(*x), outH, outW, in(xData), out(y)));
}
int adaptiveBackwardOp(const AtrousNchw* x, int64_t outH, int64_t outW, AtrousIn dy, AtrousOut dx) {
  if (x == nullptr) return report(nullArgument("adaptiveAvgPool2dBackward", "shape"));
  return report(cuda::adaptiveAvgPool2dBackward(nchw(*x), outH, outW, in(dy), out(dx)));
}

int crossEntropyForwardOp(int64_t n, int64_t c, AtrousIn logits, AtrousIntIn targets, AtrousOut probs, double* loss) {
  // The shape checks first, so bad arguments are named before the result slot is allocated.
  if (int rc = report(validateCrossEntropy("crossEntropyForward (cuda)", n, c, targets.size))) return rc;
  return hostDouble("crossEntropyForward", loss,
                    [&](double* d) { return cuda::crossEntropyForward(n, c, in(logits), in(targets), out(probs), d); });
}
int crossEntropyBackwardOp(int64_t n, int64_t c, AtrousIn probs, AtrousIntIn targets, float scale, AtrousOut dlogits) {
  return report(cuda::crossEntropyBackward(n, c, in(probs), in(targets), scale, out(dlogits)));
}

int batchNormTrainOp(const AtrousBatchNormShape* s, AtrousIn x, AtrousIn gamma, AtrousIn beta, double eps,
                     double factor, AtrousOut rm, AtrousOut rv, AtrousOut y, AtrousOut saveMean, AtrousOut saveInvStd) {
  if (s == nullptr) return report(nullArgument("batchNormForward", "shape"));
  return report(cuda::batchNormForwardTrain(bnShape(*s), in(x), in(gamma), in(beta), eps, factor, out(rm), out(rv), out(y),
                                      out(saveMean), out(saveInvStd)));
}
int batchNormEvalOp(const AtrousBatchNormShape* s, AtrousIn x, AtrousIn gamma, AtrousIn beta, double eps, AtrousIn rm,
                    AtrousIn rv, AtrousOut y, AtrousOut saveMean, AtrousOut saveInvStd) {
  if (s == nullptr) return report(nullArgument("batchNormForward", "shape"));
  return report(cuda::batchNormForwardEval(bnShape(*s), in(x), in(gamma), in(beta), eps, in(rm), in(rv), out(y),
                                     out(saveMean), out(saveInvStd)));
}
int batchNormBackwardOp(const AtrousBatchNormShape* s, AtrousIn x, AtrousIn dy, AtrousIn gamma, AtrousIn saveMean,
                        AtrousIn saveInvStd, int batchStats, AtrousOut dx, AtrousOut dgamma, AtrousOut dbeta) {
  if (s == nullptr) return report(nullArgument("batchNormBackward", "shape"));
  return report(cuda::batchNormBackward(bnShape(*s), in(x), in(dy), in(gamma), in(saveMean), in(saveInvStd),
                                  batchStats != 0, out(dx), out(dgamma), out(dbeta)));
}

int sgdStepOp(AtrousOut param, AtrousIn grad, AtrousOut momentumBuffer, const AtrousSgd* h, int firstStep) {
  if (h == nullptr) return report(nullArgument("sgdStep", "hyperparameters"));
  SgdHyper hyper;
  hyper.lr = h->lr, hyper.momentum = h->momentum, hyper.dampening = h->dampening;
  hyper.weightDecay = h->weightDecay, hyper.nesterov = h->nesterov != 0;
  return report(cuda::sgdStep(out(param), in(grad), out(momentumBuffer), hyper, firstStep != 0));
}
int adamStepOp(AtrousOut param, AtrousIn grad, AtrousOut expAvg, AtrousOut expAvgSq, AtrousOut maxExpAvgSq,
               const AtrousAdam* h) {
  if (h == nullptr) return report(nullArgument("adamStep", "hyperparameters"));
  AdamHyper hyper;
  hyper.lr = h->lr, hyper.beta1 = h->beta1, hyper.beta2 = h->beta2, hyper.eps = h->eps;
  hyper.weightDecay = h->weightDecay, hyper.decoupled = h->decoupled != 0, hyper.step = h->step;
  return report(cuda::adamStep(out(param), in(grad), out(expAvg), out(expAvgSq), out(maxExpAvgSq), hyper));
}

int dropoutOp(AtrousIn x, double keep, uint64_t seed, uint64_t offset, AtrousOut mask, AtrousOut o) {
  return report(cuda::dropout(in(x), keep, seed, offset, out(mask), out(o)));
}
int fillUniformOp(AtrousOut o, double lo, double hi, uint64_t seed, uint64_t offset) {
  return report(cuda::fillUniform(out(o), lo, hi, seed, offset));
}
int fillNormalOp(AtrousOut o, double mean, double stddev, uint64_t seed, uint64_t offset) {
  return report(cuda::fillNormal(out(o), mean, stddev, seed, offset));
}

// Assigned by name, not positionally: a field out of order could not slip through.
AtrousCudaApi makeApi() {
  AtrousCudaApi t{};
  t.abiVersion = ATROUS_CUDA_ABI_VERSION;
  t.structSize = sizeof(AtrousCudaApi);
  t.lastError = lastError;
  t.probe = probe;
  t.deviceName = deviceName;
  t.allocate = allocate;
  t.release = release;
  t.copyToDevice = toDevice;
  t.copyToHost = toHost;
  t.copyOnDevice = onDevice;
  t.synchronize = synchronize;
  t.sgemm = gemm;
  t.convForward = forward;
  t.convBackwardData = backwardData;
  t.convBackwardWeight = backwardWeight;
  t.convBackwardBias = backwardBias;
  t.add = addOp;
  t.mul = mulOp;
  t.axpby = axpbyOp;
  t.relu = reluOp;
  t.reluBackward = reluBackwardOp;
  t.fill = fillOp;
  t.sum = sumOp;
  t.sub = subOp;
  t.scaleShift = scaleShiftOp;
  t.addChannelBias = addChannelBiasOp;
  t.sumSquares = sumSquaresOp;
  t.maxPool2dForward = maxPoolForwardOp;
  t.maxPool2dBackward = maxPoolBackwardOp;
  t.avgPool2dForward = avgPoolForwardOp;
  t.avgPool2dBackward = avgPoolBackwardOp;
  t.adaptiveAvgPool2dForward = adaptiveForwardOp;
  t.adaptiveAvgPool2dBackward = adaptiveBackwardOp;
  t.crossEntropyForward = crossEntropyForwardOp;
  t.crossEntropyBackward = crossEntropyBackwardOp;
  t.batchNormForwardTrain = batchNormTrainOp;
  t.batchNormForwardEval = batchNormEvalOp;
  t.batchNormBackward = batchNormBackwardOp;
  t.sgdStep = sgdStepOp;
  t.adamStep = adamStepOp;
  t.dropout = dropoutOp;
  t.fillUniform = fillUniformOp;
  t.fillNormal = fillNormalOp;
  t.setTf32 = [](int on) { setSgemmTf32(on != 0); };
  t.tf32 = []() { return sgemmTf32() ? 1 : 0; };
  t.transposeBatched = [](AtrousIn x, int64_t batch, int64_t rows, int64_t cols, AtrousOut o) {
    return report(cuda::transposeBatched(in(x), batch, rows, cols, out(o)));
  };
  return t;
}

const AtrousCudaApi kApi = makeApi();

}  // namespace
}  // namespace atrous::cuda

extern "C" const AtrousCudaApi* atrous_cuda_api(void) { return &atrous::cuda::kApi; }
