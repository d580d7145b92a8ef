// Argument plumbing for the N-API glue: zero-copy views of typed arrays, shape arrays, and errors
// that name the function and the argument. No math lives here or anywhere in native/napi/.
#pragma once
#include <napi.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "../kernels/cpu/index_span.h"
#include "../kernels/cuda/atrous_cuda_api.h"
#include "../kernels/status.h"

namespace atrous::napi {

// info[i], or undefined past the last argument.
Napi::Value argAt(const Napi::CallbackInfo& info, size_t i);
// True for null and undefined: an optional argument left out.
bool isAbsent(const Napi::Value& v);

// Throws a JS TypeError/RangeError (as a C++ exception caught by node-addon-api).
[[noreturn]] void throwType(Napi::Env env, const std::string& message);
[[noreturn]] void throwRange(Napi::Env env, const std::string& message);
// Throws a RangeError with the kernel's message when the status failed.
void throwIfFailed(Napi::Env env, const Status& s);

// info[i] as a Float32Array view (no copy). fn and arg name the call in errors.
FloatSpan floatArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg);
// Same, but null/undefined give an empty span.
FloatSpan optionalFloatArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg);
// info[i] as an Int32Array view.
using IntSpan = Int32Span;  // the kernels' own span type, so views pass straight through
IntSpan int32Arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg);
// Same, or an empty span for null/undefined.
IntSpan optionalInt32Arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg);
// info[i] as a Uint8Array (raw bytes) and as a Float64Array.
Napi::Uint8Array uint8Arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg);
Napi::Float64Array float64Arg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg);
// info[i] as an array of exactly `rank` non-negative integers (< 2^31).
std::vector<int64_t> shapeArg(const Napi::CallbackInfo& info, size_t i, size_t rank, const char* fn, const char* arg);
// info[i] as an integer in [lo, hi].
int64_t intArg(const Napi::CallbackInfo& info, size_t i, int64_t lo, int64_t hi, const char* fn, const char* arg);
double numberArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg);
std::string stringArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg);
bool boolArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg);
// v as an integer in [lo, hi]; otherwise a RangeError "<what> expects an integer in lo..hi, but got v"
// (a bound of 2^31-1 or 2^53-1 printed so).
int64_t integerIn(Napi::Env env, const Napi::Value& v, int64_t lo, int64_t hi, const std::string& what);
// The elements of array a as integers in [lo, hi]; element k's error names "<what>[k]".
std::vector<int64_t> integerElements(Napi::Env env, const Napi::Array& a, int64_t lo, int64_t hi, const std::string& what);
// obj[key] as an integer in [lo, hi].
int64_t intField(Napi::Env env, const Napi::Object& obj, const char* key, int64_t lo, int64_t hi, const char* fn);
Napi::Object objectArg(const Napi::CallbackInfo& info, size_t i, const char* fn, const char* arg);
// Throws unless span.size == expected.
void expectLength(Napi::Env env, long long got, long long expected, const char* fn, const char* arg);

// The loaded CUDA table, or a thrown RangeError naming fn and why CUDA is not available.
const AtrousCudaApi& requireCuda(Napi::Env env, const char* fn);

// Where the float arrays of one call live, for the bindings that have CUDA kernels: each argument
// is a Float32Array (host) or a DeviceBuffer (CUDA), and all of them in the same place; a mix
// throws, naming the two arguments. The first argument decides.
class Placement {
 public:
  Placement(const Napi::CallbackInfo& info, const char* fn) : info_(info), fn_(fn) {}
  FloatSpan arg(size_t i, const char* name);
  FloatSpan optionalArg(size_t i, const char* name);  // null/undefined: an empty span
  // An Int32Array, or a DeviceBuffer holding int32 values (its 4-byte elements): indices, targets.
  IntSpan ints(size_t i, const char* name);
  bool onDevice() const { return onDevice_; }
  // The CUDA table for a call on the device (loaded, since a DeviceBuffer exists).
  const AtrousCudaApi& cuda() const { return requireCuda(info_.Env(), fn_); }

 private:
  const Napi::CallbackInfo& info_;
  const char* fn_;
  const char* first_ = nullptr;
  bool onDevice_ = false;
  void place(const char* name, bool device);
};

// One exported function: its JS name and its callback.
struct ExportedFunction {
  const char* name;
  Napi::Value (*fn)(const Napi::CallbackInfo&);
};
// exports[name] = a JS function of that name, for each.
void exportFunctions(Napi::Env env, Napi::Object exports, std::initializer_list<ExportedFunction> functions);

// Registration hooks, one per binding file.
void registerBackendBinding(Napi::Env env, Napi::Object exports);
void registerConvBinding(Napi::Env env, Napi::Object exports);
void registerOpsBinding(Napi::Env env, Napi::Object exports);
void registerNnBinding(Napi::Env env, Napi::Object exports);
void registerDataBinding(Napi::Env env, Napi::Object exports);
void registerCudaBinding(Napi::Env env, Napi::Object exports);
void registerSequenceBinding(Napi::Env env, Napi::Object exports);
void registerMpiBinding(Napi::Env env, Napi::Object exports);

}  // namespace atrous::napi
