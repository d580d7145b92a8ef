// mpiLoad(path), mpiInit(), mpiFinalize(), mpiAbort(code) and the collectives, each submitted to the
// communication thread (mpi_comm_thread.h) and returning a job id that mpiWait(id) settles:
// mpiAllreduceSumAsync(Float32Array), mpiAllreduceMaxAsync(Float64Array) (the size checks),
// mpiBroadcastAsync(Float32Array, root), mpiBarrierAsync(). One process group per process, driven
// from the main JS thread. A submitted array is held by a reference until mpiWait releases it.
#include <map>
#include <memory>

#include "mpi_comm_thread.h"
#include "mpi_library.h"
#include "napi_util.h"

namespace atrous::napi {
namespace {

struct ProcessGroup {
  int rank = 0;
  int size = 1;
  int threadLevel = 0;
  std::unique_ptr<MpiCommThread> comm;
  std::map<uint64_t, Napi::Reference<Napi::Value>> held;  // the arrays of jobs not yet waited
};
// Heap-held and never destroyed at exit: a process that ends without mpiFinalize (or after
// mpiAbort) must not join a thread that may sit in a collective with a dead peer.
ProcessGroup* group = nullptr;
bool finalized = false;

ProcessGroup& requireGroup(Napi::Env env, const char* fn) {
  if (group == nullptr)
    throwRange(env, std::string(fn) + ": the MPI process group is not initialized (call initProcessGroup first)");
  return *group;
}

void throwIfMpiFailed(Napi::Env env, const char* fn, int code) {
  if (code != 0) throwRange(env, std::string(fn) + ": " + mpiErrorText(code));
}

Napi::Value MpiLoad(const Napi::CallbackInfo& info) {
  const MpiState& s = loadMpiLibrary(stringArg(info, 0, "mpiLoad", "path"));  // the path or soname of libmpi
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("usable", s.usable);
  if (!s.usable) o.Set("reason", s.reason);
  if (s.usable) o.Set("version", s.version);
  o.Set("path", s.path);
  return o;
}

// MPI_Init_thread(SERIALIZED), then the communication thread. MPI allows one init per process.
Napi::Value MpiInit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const MpiApi* api = mpiApi();
  if (api == nullptr) throwRange(env, "mpiInit: libmpi is not loaded (call mpiLoad first)");
  if (group != nullptr) throwRange(env, "mpiInit: the MPI process group is already initialized");
  int flag = 0;
  throwIfMpiFailed(env, "mpiInit", api->finalized(&flag));
  if (flag != 0 || finalized)
    throwRange(env, "mpiInit: MPI was finalized in this process and cannot be initialized again (an MPI rule)");
  throwIfMpiFailed(env, "mpiInit", api->initialized(&flag));
  if (flag != 0) throwRange(env, "mpiInit: MPI is already initialized in this process by another library");
  int provided = 0;
  throwIfMpiFailed(env, "mpiInit", api->initThread(nullptr, nullptr, kMpiThreadSerialized, &provided));
  if (provided < kMpiThreadSerialized) {
    api->finalize();
    finalized = true;
    throwRange(env, "mpiInit: this MPI provides thread level " + std::to_string(provided) +
                        " but atrous's communication thread needs MPI_THREAD_SERIALIZED (2)");
  }
  auto g = std::make_unique<ProcessGroup>();
  throwIfMpiFailed(env, "mpiInit", api->commRank(api->commWorld, &g->rank));
  throwIfMpiFailed(env, "mpiInit", api->commSize(api->commWorld, &g->size));
  g->threadLevel = provided;
  g->comm = std::make_unique<MpiCommThread>(*api);
  group = g.release();
  Napi::Object o = Napi::Object::New(env);
  o.Set("rank", group->rank);
  o.Set("size", group->size);
  o.Set("threadLevel", group->threadLevel);
  return o;
}

// Finishes the queued collectives, stops the thread, MPI_Finalize.
Napi::Value MpiFinalize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ProcessGroup& g = requireGroup(env, "mpiFinalize");
  g.comm.reset();  // joins after the queue drains
  g.held.clear();
  delete group;
  group = nullptr;
  finalized = true;
  throwIfMpiFailed(env, "mpiFinalize", mpiApi()->finalize());
  return env.Undefined();
}

// MPI_Abort(MPI_COMM_WORLD, code): ends every rank (mpirun kills the job); does not return.
Napi::Value MpiAbort(const Napi::CallbackInfo& info) {
  const int code = static_cast<int>(intArg(info, 0, 0, 255, "mpiAbort", "code"));
  requireGroup(info.Env(), "mpiAbort");
  mpiApi()->abort(mpiApi()->commWorld, code);
  return info.Env().Undefined();
}

Napi::Value submit(const Napi::CallbackInfo& info, const MpiJob& job, Napi::Value keep) {
  ProcessGroup& g = *group;
  const uint64_t id = g.comm->submit(job);
  if (!keep.IsUndefined()) g.held.emplace(id, Napi::Persistent(keep));
  return Napi::Number::New(info.Env(), static_cast<double>(id));
}

Napi::Value MpiAllreduceSumAsync(const Napi::CallbackInfo& info) {
  requireGroup(info.Env(), "mpiAllreduceSumAsync");
  FloatSpan data = floatArg(info, 0, "mpiAllreduceSumAsync", "data");
  return submit(info, {MpiJob::Kind::kAllreduceSumFloat, data.data, data.size, 0}, info[0]);
}

Napi::Value MpiAllreduceMaxAsync(const Napi::CallbackInfo& info) {
  requireGroup(info.Env(), "mpiAllreduceMaxAsync");
  Napi::Float64Array a = float64Arg(info, 0, "mpiAllreduceMaxAsync", "data");
  return submit(info, {MpiJob::Kind::kAllreduceMaxDouble, a.Data(), static_cast<int64_t>(a.ElementLength()), 0}, info[0]);
}

Napi::Value MpiBroadcastAsync(const Napi::CallbackInfo& info) {
  ProcessGroup& g = requireGroup(info.Env(), "mpiBroadcastAsync");
  FloatSpan data = floatArg(info, 0, "mpiBroadcastAsync", "data");
  const int root = static_cast<int>(intArg(info, 1, 0, g.size - 1, "mpiBroadcastAsync", "root"));
  return submit(info, {MpiJob::Kind::kBroadcastFloat, data.data, data.size, root}, info[0]);
}

Napi::Value MpiBarrierAsync(const Napi::CallbackInfo& info) {
  requireGroup(info.Env(), "mpiBarrierAsync");
  return submit(info, {MpiJob::Kind::kBarrier, nullptr, 0, 0}, info.Env().Undefined());
}

// Blocks the calling thread until job id has run; throws MPI's message when it failed.
Napi::Value MpiWait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ProcessGroup& g = requireGroup(env, "mpiWait");
  const auto id = static_cast<uint64_t>(intArg(info, 0, 1, int64_t{1} << 52, "mpiWait", "id"));
  const int code = g.comm->wait(id);
  g.held.erase(id);
  throwIfMpiFailed(env, "mpiWait", code);
  return env.Undefined();
}

}  // namespace

void registerMpiBinding(Napi::Env env, Napi::Object exports) {
  exportFunctions(env, exports, {
      {"mpiLoad", MpiLoad}, {"mpiInit", MpiInit}, {"mpiFinalize", MpiFinalize}, {"mpiAbort", MpiAbort},
      {"mpiAllreduceSumAsync", MpiAllreduceSumAsync}, {"mpiAllreduceMaxAsync", MpiAllreduceMaxAsync},
      {"mpiBroadcastAsync", MpiBroadcastAsync}, {"mpiBarrierAsync", MpiBarrierAsync}, {"mpiWait", MpiWait},
  });
}

}  // namespace atrous::napi
