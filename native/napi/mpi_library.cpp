#include "mpi_library.h"

#include <dlfcn.h>

#include <mutex>

namespace atrous::napi {
namespace {

std::mutex loadMutex;
MpiState state{false, "libmpi has not been loaded", "", ""};
MpiApi table{};
bool loaded = false;
bool attempted = false;

template <typename Fn>
bool resolve(void* handle, const char* name, Fn* out, std::string* missing) {
  *out = reinterpret_cast<Fn>(dlsym(handle, name));
  if (*out == nullptr && missing->empty()) *missing = name;
  return *out != nullptr;
}

MpiState tryLoad(const std::string& path) {
  MpiState s{false, "", path, ""};
  // RTLD_GLOBAL: Open MPI dlopen()s its own components, which expect libmpi's symbols global.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    s.reason = "cannot load " + path + " (" + (why ? why : "unknown dlopen error") + ")";
    return s;
  }
  if (dlsym(handle, "ompi_mpi_comm_world") == nullptr) {
    s.reason = path + " is not Open MPI (no ompi_mpi_comm_world): atrous's mpi backend targets Open MPI's ABI " +
               "(MPICH-family libraries use integer handles)";
    dlclose(handle);
    return s;
  }
  std::string missing;
  MpiApi t{};
  resolve(handle, "MPI_Init_thread", &t.initThread, &missing);
  resolve(handle, "MPI_Initialized", &t.initialized, &missing);
  resolve(handle, "MPI_Finalized", &t.finalized, &missing);
  resolve(handle, "MPI_Finalize", &t.finalize, &missing);
  resolve(handle, "MPI_Abort", &t.abort, &missing);
  resolve(handle, "MPI_Comm_rank", &t.commRank, &missing);
  resolve(handle, "MPI_Comm_size", &t.commSize, &missing);
  resolve(handle, "MPI_Allreduce", &t.allreduce, &missing);
  resolve(handle, "MPI_Bcast", &t.bcast, &missing);
  resolve(handle, "MPI_Barrier", &t.barrier, &missing);
  resolve(handle, "MPI_Error_string", &t.errorString, &missing);
  // The predefined handles are the globals' addresses (Open MPI's OMPI_PREDEFINED_GLOBAL).
  resolve(handle, "ompi_mpi_comm_world", &t.commWorld, &missing);
  resolve(handle, "ompi_mpi_float", &t.floatType, &missing);
  resolve(handle, "ompi_mpi_double", &t.doubleType, &missing);
  resolve(handle, "ompi_mpi_op_sum", &t.sumOp, &missing);
  resolve(handle, "ompi_mpi_op_max", &t.maxOp, &missing);
  t.inPlace = reinterpret_cast<void*>(1);
  using VersionFn = int (*)(char*, int*);
  VersionFn version = reinterpret_cast<VersionFn>(dlsym(handle, "MPI_Get_library_version"));
  if (!missing.empty()) {
    s.reason = path + " lacks " + missing + ": not an Open MPI library atrous can use";
    dlclose(handle);
    return s;
  }
  if (version != nullptr) {
    char text[8192] = {0};  // MPI_MAX_LIBRARY_VERSION_STRING is 256 in Open MPI; room to spare
    int length = 0;
    if (version(text, &length) == 0) s.version.assign(text, length > 0 && length < 8192 ? static_cast<size_t>(length) : 0);
    while (!s.version.empty() && (s.version.back() == '\n' || s.version.back() == '\0')) s.version.pop_back();
  }
  table = t;
  loaded = true;
  s.usable = true;
  return s;  // stays loaded for the life of the process
}

}  // namespace

const MpiState& loadMpiLibrary(const std::string& path) {
  std::lock_guard<std::mutex> lock(loadMutex);
  if (!attempted) {
    attempted = true;
    state = tryLoad(path);
  }
  return state;
}

const MpiApi* mpiApi() {
  std::lock_guard<std::mutex> lock(loadMutex);
  return loaded ? &table : nullptr;
}

std::string mpiErrorText(int code) {
  const MpiApi* api = mpiApi();
  if (api != nullptr) {
    char text[1024] = {0};  // MPI_MAX_ERROR_STRING is 256 in Open MPI
    int length = 0;
    if (api->errorString(code, text, &length) == 0 && length > 0 && length < 1024) return std::string(text, length);
  }
  return "MPI error " + std::to_string(code);
}

}  // namespace atrous::napi
