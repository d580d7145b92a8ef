#include "napi_util.h"

#include <cmath>

#include "cuda_library.h"
#include "device_buffer.h"

namespace atrous::napi {
namespace {

std::string where(const char* fn, const char* arg) { return std::string(fn) + ": " + arg; }

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

// v as a typed array of the given kind, else a TypeError "<what> expects <expected>, but got ...".
template <class Array>
Array typedArray(Napi::Env env, const Napi::Value& v, napi_typedarray_type type, const std::string& what,
                 const char* expected) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
    throwType(env, what + " expects " + expected + ", but got " + typeOf(v));
  return v.As<Array>();
}

FloatSpan floatView(Napi::Env env, const Napi::Value& v, const std::string& what, const char* expected) {
  auto a = typedArray<Napi::Float32Array>(env, v, napi_float32_array, what, expected);
  return FloatSpan{a.Data(), static_cast<long long>(a.ElementLength())};
}

IntSpan int32View(Napi::Env env, const Napi::Value& v, const std::string& what, const char* expected) {
  auto a = typedArray<Napi::Int32Array>(env, v, napi_int32_array, what, expected);
  return IntSpan{a.Data(), static_cast<long long>(a.ElementLength())};
}

// A bound as the messages print it: 2^31-1 (a dim, an int32) and 2^53-1 (a JS safe integer) by name.
std::string boundText(int64_t b) {
  if (b == 2147483647) return "2^31-1";
  if (b == 9007199254740991) return "2^53-1";
  return std::to_string(b);
}

}  // namespace

Napi::Value argAt(const Napi::CallbackInfo& info, size_t i) {
  return i < info.Length() ? info[i] : info.Env().Undefined();
}

bool isAbsent(const Napi::Value& v) { return v.IsNull() || v.IsUndefined(); }

void throwType(Napi::Env env, const std::string& message) { throw Napi::TypeError::New(env, message); }
void throwRange(Napi::Env env, const std::string& message) { throw Napi::RangeError::New(env, message); }

void throwIfFailed(Napi::Env env, const Status& s) {
  if (!s.isOk()) throwRange(env, s.message());
}

FloatSpan floatArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg) {
  return floatView(info.Env(), argAt(info, i), where(fn, arg), "a Float32Array");
}

FloatSpan optionalFloatArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg) {
  return isAbsent(argAt(info, i)) ? FloatSpan{} : floatArg(info, i, fn, arg);
}

IntSpan int32Arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg) {
  return int32View(info.Env(), argAt(info, i), where(fn, arg), "an Int32Array");
}

IntSpan optionalInt32Arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg) {
  return isAbsent(argAt(info, i)) ? IntSpan{} : int32Arg(info, i, fn, arg);
}

Napi::Uint8Array uint8Arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg) {
  return typedArray<Napi::Uint8Array>(info.Env(), argAt(info, i), napi_uint8_array, where(fn, arg), "a Uint8Array");
}

Napi::Float64Array float64Arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg) {
  return typedArray<Napi::Float64Array>(info.Env(), argAt(info, i), napi_float64_array, where(fn, arg),
                                        "a Float64Array");
}

int64_t integerIn(Napi::Env env, const Napi::Value& v, int64_t lo, int64_t hi, const std::string& what) {
  const double x = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!(x >= static_cast<double>(lo) && x <= static_cast<double>(hi) && std::floor(x) == x))
    throwRange(env, what + " expects an integer in " + boundText(lo) + ".." + boundText(hi) + ", but got " +
                        v.ToString().Utf8Value());
  return static_cast<int64_t>(x);
}

std::vector<int64_t> integerElements(Napi::Env env, const Napi::Array& a, int64_t lo, int64_t hi,
                                     const std::string& what) {
  std::vector<int64_t> out(a.Length());
  for (uint32_t k = 0; k < a.Length(); ++k) out[k] = integerIn(env, a.Get(k), lo, hi, what + "[" + std::to_string(k) + "]");
  return out;
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
  return integerElements(info.Env(), a, 0, 2147483647, where(fn, arg));
}

int64_t intArg(const Napi::CallbackInfo& info, size_t i, int64_t lo, int64_t hi, const char* fn, const char* arg) {
  return integerIn(info.Env(), argAt(info, i), lo, hi, where(fn, arg));
}

double numberArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg) {
  Napi::Value v = argAt(info, i);
  if (!v.IsNumber()) throwType(info.Env(), where(fn, arg) + " expects a number, but got " + typeOf(v));
  return v.As<Napi::Number>().DoubleValue();
}

std::string stringArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg) {
  Napi::Value v = argAt(info, i);
  if (!v.IsString()) throwType(info.Env(), where(fn, arg) + " expects a string, but got " + typeOf(v));
  return v.As<Napi::String>().Utf8Value();
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
  return integerIn(env, obj.Get(key), lo, hi, where(fn, key));
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
  return int32View(info_.Env(), v, where(fn_, name), "an Int32Array or a DeviceBuffer");
}

FloatSpan Placement::arg(size_t i, const char* name) {
  Napi::Value v = argAt(info_, i);
  DeviceBuffer* d = DeviceBuffer::from(v);
  place(name, d != nullptr);
  if (d != nullptr) return d->span();
  return floatView(info_.Env(), v, where(fn_, name), "a Float32Array or a DeviceBuffer");
}

FloatSpan Placement::optionalArg(size_t i, const char* name) {
  return isAbsent(argAt(info_, i)) ? FloatSpan{} : arg(i, name);
}

void exportFunctions(Napi::Env env, Napi::Object exports, std::initializer_list<ExportedFunction> functions) {
  for (const ExportedFunction& f : functions) exports.Set(f.name, Napi::Function::New(env, f.fn, f.name));
}

const AtrousCudaApi& requireCuda(Napi::Env env, const char* fn) {
  const AtrousCudaApi* api = cudaApi();
  if (api == nullptr) throwRange(env, std::string(fn) + ": CUDA is not available (" + cudaState().reason + ")");
  return *api;
}

}  // namespace atrous::napi
