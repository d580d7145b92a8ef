// The C table of atrous_cuda_api.h over the C++ kernels: converts plain C arguments to spans and
// geometry, and each Status to a return code plus a per-thread message. No math here.
#include "atrous_cuda_api.h"

#include <cuda_runtime.h>

#include <string>

#include "conv.h"
#include "cuda_memory.h"
#include "elementwise.h"
#include "sgemm.h"

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

const char* lastError() { return lastErrorMessage.c_str(); }

int probe() {
  const CudaAvailability& a = cudaAvailability();
  return a.usable ? 0 : report(Status::error(a.reason));
}

const char* deviceName() { return cudaAvailability().device.c_str(); }

int allocate(size_t bytes, void** p) {
  if (p == nullptr) return report(Status::error("allocate: out is null"));
  return report(deviceAllocate(bytes, p));
}
int release(void* p) { return report(deviceFree(p)); }
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

// The sum lands in a device double, then comes back: one small synchronous copy.
int sumOp(AtrousIn x, double* result) {
  if (result == nullptr) return report(Status::error("sum: result is null"));
  double* deviceResult = nullptr;
  Status s = deviceAllocate(sizeof(double), reinterpret_cast<void**>(&deviceResult));
  if (s.isOk()) s = sum(in(x), deviceResult);
  if (s.isOk()) s = copyToHost(result, deviceResult, sizeof(double));
  const Status freed = deviceFree(deviceResult);
  return report(s.isOk() ? freed : s);
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
  return t;
}

const AtrousCudaApi kApi = makeApi();

}  // namespace
}  // namespace atrous::cuda

extern "C" const AtrousCudaApi* atrous_cuda_api(void) { return &atrous::cuda::kApi; }
