// backend(), setNumThreads(): what the CPU kernels run on.
#include "../kernels/cpu/cpu_features.h"
#include "../kernels/cpu/thread_pool.h"
#include "napi_util.h"

namespace atrous::napi {
namespace {

Napi::Value Backend(const Napi::CallbackInfo& info) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("cpu", isaName(activeIsa()));
  o.Set("threads", numThreads());
  return o;
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  int64_t n = intArg(info, 0, 1, 1024, "setNumThreads", "n");
  throwIfFailed(info.Env(), setNumThreads(static_cast<int>(n)));
  return info.Env().Undefined();
}

}  // namespace

void registerBackendBinding(Napi::Env env, Napi::Object exports) {
  exportFunctions(env, exports, {
      {"backend", Backend}, {"setNumThreads", SetNumThreads},
  });
}

}  // namespace atrous::napi
