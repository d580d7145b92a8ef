#include "napi_util.h"

#include <cmath>

#include "cuda_library.h"
#include "device_buffer.h"

namespace atrous::napi {
namespace {

std::string where(const char* fn, const char* arg) { return std::string(fn) + ": " + arg; }

Napi::Value argAt(const Napi::CallbackInfo& info, size_t i) {
  return i < info.Length() ? info[i] : info.Env().Undefined();
}

const char* typeOf(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsTypedArray()) return "another typed array";
  if (DeviceBuffer::from(v) != nullptr) return "a DeviceBuffer (CUDA memory; this op runs on the CPU only)";
  if (v.IsArray()) return "an array";
  if (v.IsNumber()) return "a number";
  if (v.IsString()) return "a string";
  if (v.IsBoolean()) return "a boolean";
  return "an object";
}

}  // namespace

void throwType(Napi::Env env, const std::string& message) { throw Napi::TypeError::New(env, message); }
void throwRange(Napi::Env env, const std::string& message) { throw Napi::RangeError::New(env, message); }

void throwIfFailed(Napi::Env env, const Status& s) {
  if (!s.isOk()) throwRange(env, s.message());
}

FloatSpan floatArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg) {
  Napi::Value v = argAt(info, i);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throwType(info.Env(), where(fn, arg) + " expects a Float32Array, but got " + typeOf(v));
  auto a = v.As<Napi::Float32Array>();
  return FloatSpan{a.Data(), static_cast<long long>(a.ElementLength())};
}

FloatSpan optionalFloatArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg) {
  Napi::Value v = argAt(info, i);
  if (v.IsNull() || v.IsUndefined()) return FloatSpan{};
  return floatArg(info, i, fn, arg);
}

IntSpan int32Arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg) {
  Napi::Value v = argAt(info, i);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throwType(info.Env(), where(fn, arg) + " expects an Int32Array, but got " + typeOf(v));
  auto a = v.As<Napi::Int32Array>();
  return IntSpan{a.Data(), static_cast<long long>(a.ElementLength())};
}

std::vector<int64_t> shapeArg(const Napi::CallbackInfo& info, size_t i, size_t rank, const char* fn,
                              const char* arg) {
  Napi::Value v = argAt(info, i);
  if (!v.IsArray()) throwType(info.Env(), where(fn, arg) + " expects an array of " + std::to_string(rank) +
                                              " integers, but got " + typeOf(v));
  auto a = v.As<Napi::Array>();
  if (a.Length() != rank)
    throwRange(info.Env(), where(fn, arg) + " expects " + std::to_string(rank) + " dims, but got " +
                               std::to_string(a.Length()));
  std::vector<int64_t> dims(rank);
  for (uint32_t k = 0; k < rank; ++k) {
    Napi::Value d = a.Get(k);
    double x = d.IsNumber() ? d.As<Napi::Number>().DoubleValue() : NAN;
    if (!(x >= 0 && x <= 2147483647.0 && std::floor(x) == x))
      throwRange(info.Env(), where(fn, arg) + "[" + std::to_string(k) +
                                 "] expects an integer in 0..2^31-1, but got " + d.ToString().Utf8Value());
    dims[k] = static_cast<int64_t>(x);
  }
  return dims;
}

int64_t intArg(const Napi::CallbackInfo& info, size_t i, int64_t lo, int64_t hi, const char* fn, const char* arg) {
  Napi::Value v = argAt(info, i);
  double x = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!(x >= static_cast<double>(lo) && x <= static_cast<double>(hi) && std::floor(x) == x))
    throwRange(info.Env(), where(fn, arg) + " expects an integer in " + std::to_string(lo) + ".." +
                               std::to_string(hi) + ", but got " + v.ToString().Utf8Value());
  return static_cast<int64_t>(x);
}

double numberArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg) {
  Napi::Value v = argAt(info, i);
  if (!v.IsNumber()) throwType(info.Env(), where(fn, arg) + " expects a number, but got " + typeOf(v));
  return v.As<Napi::Number>().DoubleValue();
}

bool boolArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg) {
  Napi::Value v = argAt(info, i);
  if (!v.IsBoolean()) throwType(info.Env(), where(fn, arg) + " expects a boolean, but got " + typeOf(v));
  return v.As<Napi::Boolean>().Value();
}

Napi::Object objectArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg) {
  Napi::Value v = argAt(info, i);
  if (!v.IsObject() || v.IsArray() || v.IsTypedArray())
    throwType(info.Env(), where(fn, arg) + " expects an object, but got " + typeOf(v));
  return v.As<Napi::Object>();
}

int64_t intField(Napi::Env env, const Napi::Object& obj, const char* key, int64_t lo, int64_t hi, const char* fn) {
  Napi::Value v = obj.Get(key);
  double x = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!(x >= static_cast<double>(lo) && x <= static_cast<double>(hi) && std::floor(x) == x))
    throwRange(env, std::string(fn) + ": " + key + " expects an integer in " + std::to_string(lo) + ".." +
                        std::to_string(hi) + ", but got " + v.ToString().Utf8Value());
  return static_cast<int64_t>(x);
}

void expectLength(Napi::Env env, long long got, long long expected, const char* fn, const char* arg) {
  if (got != expected)
    throwRange(env, where(fn, arg) + " expects " + std::to_string(expected) + " elements, but got " +
                        std::to_string(got));
}

void Placement::place(const char* name, bool device) {
  if (first_ == nullptr) {
    first_ = name;
    onDevice_ = device;
  } else if (device != onDevice_) {
    const char* here = device ? "on the CUDA device (a DeviceBuffer)" : "in host memory (a typed array)";
    const char* there = onDevice_ ? "on the CUDA device" : "in host memory";
    throwType(info_.Env(), where(fn_, name) + " is " + here + ", but " + first_ + " is " + there +
                               ": every array of one call must be on the same device");
  }
}

IntSpan Placement::ints(size_t i, const char* name) {
  Napi::Value v = argAt(info_, i);
  DeviceBuffer* d = DeviceBuffer::from(v);
  place(name, d != nullptr);
  if (d != nullptr) return IntSpan{reinterpret_cast<int32_t*>(d->span().data), d->span().size};
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throwType(info_.Env(), where(fn_, name) + " expects an Int32Array or a DeviceBuffer, but got " + typeOf(v));
  auto a = v.As<Napi::Int32Array>();
  return IntSpan{a.Data(), static_cast<long long>(a.ElementLength())};
}

FloatSpan Placement::arg(size_t i, const char* name) {
  Napi::Value v = argAt(info_, i);
  DeviceBuffer* d = DeviceBuffer::from(v);
  place(name, d != nullptr);
  if (d != nullptr) return d->span();
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throwType(info_.Env(), where(fn_, name) + " expects a Float32Array or a DeviceBuffer, but got " + typeOf(v));
  auto a = v.As<Napi::Float32Array>();
  return FloatSpan{a.Data(), static_cast<long long>(a.ElementLength())};
}

FloatSpan Placement::optionalArg(size_t i, const char* name) {
  Napi::Value v = argAt(info_, i);
  if (v.IsNull() || v.IsUndefined()) return FloatSpan{};
  return arg(i, name);
}

const AtrousCudaApi& requireCuda(Napi::Env env, const char* fn) {
  const AtrousCudaApi* api = cudaApi();
  if (api == nullptr) throwRange(env, std::string(fn) + ": CUDA is not available (" + cudaState().reason + ")");
  return *api;
}

}  // namespace atrous::napi
