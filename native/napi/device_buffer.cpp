#include "device_buffer.h"

#include "cuda_library.h"
#include "napi_util.h"

namespace atrous::napi {
namespace {

// Marks the JS objects made by this class (napi_type_tag: two random 64-bit words).
constexpr napi_type_tag kDeviceBufferTag = {0x6a1f3c9e2b7d4e15ull, 0x9c04d8b1a3e56f27ull};
constexpr int64_t kMaxLength = 2147483647;  // one tensor's elements, as on the host

}  // namespace

void DeviceBuffer::registerClass(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "DeviceBuffer",
                                    {InstanceAccessor<&DeviceBuffer::length>("length"),
                                     InstanceMethod<&DeviceBuffer::upload>("upload"),
                                     InstanceMethod<&DeviceBuffer::download>("download"),
                                     InstanceMethod<&DeviceBuffer::copyFrom>("copyFrom"),
                                     InstanceMethod<&DeviceBuffer::release>("release")});
  exports.Set("DeviceBuffer", ctor);
}

DeviceBuffer* DeviceBuffer::from(const Napi::Value& v) {
  if (!v.IsObject() || v.IsArray() || v.IsTypedArray()) return nullptr;
  Napi::Object o = v.As<Napi::Object>();
  if (!o.CheckTypeTag(&kDeviceBufferTag)) return nullptr;
  return Napi::ObjectWrap<DeviceBuffer>::Unwrap(o);
}

// new DeviceBuffer(length): uninitialized device memory for `length` floats.
DeviceBuffer::DeviceBuffer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<DeviceBuffer>(info) {
  const char* fn = "DeviceBuffer";
  const AtrousCudaApi& api = requireCuda(info.Env(), fn);
  const int64_t n = intArg(info, 0, 0, kMaxLength, fn, "length");
  void* p = nullptr;
  throwIfFailed(info.Env(), cudaResult(api.allocate(static_cast<size_t>(n) * sizeof(float), &p)));
  data_ = static_cast<float*>(p);
  length_ = n;
  info.This().As<Napi::Object>().TypeTag(&kDeviceBufferTag);
  Napi::MemoryManagement::AdjustExternalMemory(info.Env(), n * static_cast<int64_t>(sizeof(float)));
}

void DeviceBuffer::Finalize(Napi::Env env) { freeMemory(env); }

void DeviceBuffer::freeMemory(Napi::Env env) {
  if (data_ == nullptr) return;
  if (const AtrousCudaApi* api = cudaApi()) api->release(data_);  // nothing to report to at this point
  Napi::MemoryManagement::AdjustExternalMemory(env, -length_ * static_cast<int64_t>(sizeof(float)));
  data_ = nullptr;
  length_ = 0;
}

// release(): frees the memory now (autograd knows the tensor is dead); idempotent.
Napi::Value DeviceBuffer::release(const Napi::CallbackInfo& info) {
  freeMemory(info.Env());
  return info.Env().Undefined();
}

Napi::Value DeviceBuffer::length(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(length_));
}

// upload(src: Float32Array of the same length): host to device.
Napi::Value DeviceBuffer::upload(const Napi::CallbackInfo& info) {
  const char* fn = "DeviceBuffer.upload";
  FloatSpan src = floatArg(info, 0, fn, "src");
  expectLength(info.Env(), src.size, length_, fn, "src");
  throwIfFailed(info.Env(), cudaResult(requireCuda(info.Env(), fn).copyToDevice(data_, src.data, length_ * sizeof(float))));
  return info.Env().Undefined();
}

// download(dst: Float32Array of the same length): device to host, after the queued kernels finish.
Napi::Value DeviceBuffer::download(const Napi::CallbackInfo& info) {
  const char* fn = "DeviceBuffer.download";
  FloatSpan dst = floatArg(info, 0, fn, "dst");
  expectLength(info.Env(), dst.size, length_, fn, "dst");
  throwIfFailed(info.Env(), cudaResult(requireCuda(info.Env(), fn).copyToHost(dst.data, data_, length_ * sizeof(float))));
  return info.Env().Undefined();
}

// copyFrom(src: DeviceBuffer of the same length): device to device.
Napi::Value DeviceBuffer::copyFrom(const Napi::CallbackInfo& info) {
  const char* fn = "DeviceBuffer.copyFrom";
  DeviceBuffer* src = from(argAt(info, 0));
  if (src == nullptr) throwType(info.Env(), std::string(fn) + ": src expects a DeviceBuffer");
  expectLength(info.Env(), src->length_, length_, fn, "src");
  throwIfFailed(info.Env(),
                cudaResult(requireCuda(info.Env(), fn).copyOnDevice(data_, src->data_, length_ * sizeof(float))));
  return info.Env().Undefined();
}

}  // namespace atrous::napi
