// The addon's entry: context-aware (NODE_API_MODULE), so it loads in worker_threads too.
#include "napi_util.h"
#include "../kernels/cpu/cpu_features.h"
#include "../kernels/cpu/host_allocator.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  // Once per load (worker threads load again: harmless). See host_allocator.h.
  atrous::keepFreedBlocksInHeap();
  // ATROUS_CPU naming an ISA this machine cannot run fails the load, naming what it has.
  atrous::napi::throwIfFailed(env, atrous::isaEnvironmentStatus());
  atrous::napi::registerBackendBinding(env, exports);
  atrous::napi::registerConvBinding(env, exports);
  atrous::napi::registerOpsBinding(env, exports);
  atrous::napi::registerNnBinding(env, exports);
  atrous::napi::registerDataBinding(env, exports);
  atrous::napi::registerCudaBinding(env, exports);
  atrous::napi::registerSequenceBinding(env, exports);
  atrous::napi::registerMpiBinding(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(atrous, Init)
