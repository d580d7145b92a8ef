// DeviceBuffer: float32 memory on the CUDA device, owned by a JS object (freed when it is
// collected; V8 is told its size so that large buffers hasten collection). The bindings that have
// CUDA kernels take a DeviceBuffer wherever they take a Float32Array (see Placement in napi_util.h).
// JS: new DeviceBuffer(length), .length, .upload(f32), .download(f32), .copyFrom(buffer), .release()
// (frees the memory now, into the stream-ordered pool; the buffer then has length 0, so any later
// use fails its length check instead of touching freed memory).
#pragma once
#include <napi.h>

#include "../kernels/status.h"

namespace atrous::napi {

class DeviceBuffer : public Napi::ObjectWrap<DeviceBuffer> {
 public:
  static void registerClass(Napi::Env env, Napi::Object exports);
  // The buffer behind v, or null when v is not a DeviceBuffer (type-tagged, so no other object passes).
  static DeviceBuffer* from(const Napi::Value& v);

  explicit DeviceBuffer(const Napi::CallbackInfo& info);
  void Finalize(Napi::Env env) override;

  FloatSpan span() const { return FloatSpan{data_, length_}; }

 private:
  Napi::Value length(const Napi::CallbackInfo& info);
  Napi::Value upload(const Napi::CallbackInfo& info);
  Napi::Value download(const Napi::CallbackInfo& info);
  Napi::Value copyFrom(const Napi::CallbackInfo& info);
  Napi::Value release(const Napi::CallbackInfo& info);
  void freeMemory(Napi::Env env);

  float* data_ = nullptr;
  long long length_ = 0;
};

}  // namespace atrous::napi
