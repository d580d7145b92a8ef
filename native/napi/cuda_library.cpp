#include "cuda_library.h"

#include <mutex>

#if defined(_WIN32)
#include <windows.h>
#else
#include <dlfcn.h>
#endif

namespace atrous::napi {
namespace {

// The one seam over the platform's shared-library loader: dlopen on POSIX, LoadLibrary on Windows.
// Returns null with *why set when the library cannot be loaded.
void* openLibrary(const std::string& path, std::string* why) {
#if defined(_WIN32)
  HMODULE h = LoadLibraryA(path.c_str());
  if (h == nullptr) *why = "LoadLibrary error " + std::to_string(GetLastError());
  return reinterpret_cast<void*>(h);
#else
  // RTLD_LOCAL: the library's static cudart stays private to it.
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (h == nullptr) {
    const char* e = dlerror();
    *why = e ? e : "unknown dlopen error";
  }
  return h;
#endif
}

void* librarySymbol(void* handle, const char* name) {
#if defined(_WIN32)
  return reinterpret_cast<void*>(GetProcAddress(reinterpret_cast<HMODULE>(handle), name));
#else
  return dlsym(handle, name);
#endif
}

void closeLibrary(void* handle) {
#if defined(_WIN32)
  FreeLibrary(reinterpret_cast<HMODULE>(handle));
#else
  dlclose(handle);
#endif
}

std::mutex loadMutex;
CudaState state{false, "libatrous_cuda has not been loaded", "", ""};
const AtrousCudaApi* api = nullptr;
bool attempted = false;

CudaState tryLoad(const std::string& path, const AtrousCudaApi** out) {
  CudaState s{false, "", "", path};
  std::string why;
  void* handle = openLibrary(path, &why);
  if (handle == nullptr) {
    s.reason = "cannot load " + path + " (" + why + ")";
    return s;
  }
  auto entry = reinterpret_cast<AtrousCudaApiFn>(librarySymbol(handle, "atrous_cuda_api"));
  const AtrousCudaApi* table = entry ? entry() : nullptr;
  if (table == nullptr) {
    s.reason = path + " has no atrous_cuda_api table: not a libatrous_cuda library";
  } else if (table->abiVersion != ATROUS_CUDA_ABI_VERSION || table->structSize != sizeof(AtrousCudaApi)) {
    s.reason = path + " is from another version of atrous (ABI " + std::to_string(table->abiVersion) + ", " +
               std::to_string(table->structSize) + " bytes; this addon needs ABI " +
               std::to_string(ATROUS_CUDA_ABI_VERSION) + ", " + std::to_string(sizeof(AtrousCudaApi)) +
               " bytes): rebuild it with `npm run build:cuda`";
  } else if (table->probe() != 0) {
    s.reason = table->lastError();
  } else {
    s.usable = true;
    s.device = table->deviceName();
    *out = table;
    return s;  // stays loaded for the life of the process
  }
  closeLibrary(handle);
  return s;
}

}  // namespace

const CudaState& loadCudaLibrary(const std::string& path) {
  std::lock_guard<std::mutex> lock(loadMutex);
  if (!attempted) {
    attempted = true;
    const AtrousCudaApi* table = nullptr;
    state = tryLoad(path, &table);
    api = table;
  }
  return state;
}

const CudaState& cudaState() {
  std::lock_guard<std::mutex> lock(loadMutex);
  return state;
}

const AtrousCudaApi* cudaApi() {
  std::lock_guard<std::mutex> lock(loadMutex);
  return api;
}

Status cudaResult(int code) {
  if (code == 0) return Status::ok();
  const AtrousCudaApi* table = cudaApi();
  return Status::error(table ? table->lastError() : "CUDA call failed");
}

AtrousConvGeometry toAbi(const ConvGeometry& g) {
  return AtrousConvGeometry{g.batch,    g.inChannels, g.inH,       g.inW,      g.outChannels, g.kernelH,
                            g.kernelW,  g.strideH,    g.strideW,   g.padTop,   g.padBottom,   g.padLeft,
                            g.padRight, g.dilationH,  g.dilationW, g.groups};
}

}  // namespace atrous::napi
