// cudaLoad(path), cudaState(), cudaSynchronize() and the DeviceBuffer class: the JS side finds
// libatrous_cuda and asks once whether CUDA is usable; the answer (and its reason) is cached.
#include "cuda_library.h"
#include "device_buffer.h"
#include "napi_util.h"

namespace atrous::napi {
namespace {

Napi::Object stateObject(Napi::Env env, const CudaState& s) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("usable", s.usable);
  if (!s.usable) o.Set("reason", s.reason);
  if (s.usable) o.Set("device", s.device);
  if (!s.path.empty()) o.Set("path", s.path);
  return o;
}

// cudaLoad(path): dlopen()s libatrous_cuda at path and probes the device, once per process.
Napi::Value CudaLoad(const Napi::CallbackInfo& info) {
  return stateObject(info.Env(), loadCudaLibrary(stringArg(info, 0, "cudaLoad", "path")));
}

Napi::Value CudaState_(const Napi::CallbackInfo& info) { return stateObject(info.Env(), cudaState()); }

// Waits for the queued kernels; reports an asynchronous kernel failure.
Napi::Value CudaSynchronize(const Napi::CallbackInfo& info) {
  throwIfFailed(info.Env(), cudaResult(requireCuda(info.Env(), "cudaSynchronize").synchronize()));
  return info.Env().Undefined();
}

// cudaSetTf32(on): TF32 tensor cores for SGEMM and the convolutions (off by default).
Napi::Value CudaSetTf32(const Napi::CallbackInfo& info) {
  const bool on = boolArg(info, 0, "cudaSetTf32", "on");
  requireCuda(info.Env(), "cudaSetTf32").setTf32(on ? 1 : 0);
  return info.Env().Undefined();
}

Napi::Value CudaTf32(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), requireCuda(info.Env(), "cudaTf32").tf32() != 0);
}

}  // namespace

void registerCudaBinding(Napi::Env env, Napi::Object exports) {
  exportFunctions(env, exports, {
      {"cudaLoad", CudaLoad}, {"cudaState", CudaState_}, {"cudaSynchronize", CudaSynchronize},
      {"cudaSetTf32", CudaSetTf32}, {"cudaTf32", CudaTf32},
  });
  DeviceBuffer::registerClass(env, exports);
}

}  // namespace atrous::napi
