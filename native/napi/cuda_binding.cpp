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
  if (info.Length() < 1 || !info[0].IsString())
    throwType(info.Env(), "cudaLoad: path expects a string (the path of libatrous_cuda)");
  return stateObject(info.Env(), loadCudaLibrary(info[0].As<Napi::String>().Utf8Value()));
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
  exports.Set("cudaLoad", Napi::Function::New(env, CudaLoad, "cudaLoad"));
  exports.Set("cudaState", Napi::Function::New(env, CudaState_, "cudaState"));
  exports.Set("cudaSynchronize", Napi::Function::New(env, CudaSynchronize, "cudaSynchronize"));
  exports.Set("cudaSetTf32", Napi::Function::New(env, CudaSetTf32, "cudaSetTf32"));
  exports.Set("cudaTf32", Napi::Function::New(env, CudaTf32, "cudaTf32"));
  DeviceBuffer::registerClass(env, exports);
}

}  // namespace atrous::napi
