#include "cuda_library.h"

#include <dlfcn.h>

#include <mutex>

namespace atrous::napi {
namespace {

std::mutex loadMutex;
CudaState state{false, "libatrous_cuda has not been loaded", "", ""};
const AtrousCudaApi* api = nullptr;
bool attempted = false;

CudaState tryLoad(const std::string& path, const AtrousCudaApi** out) {
  CudaState s{false, "", "", path};
  // RTLD_LOCAL: the library's static cudart stays private to it.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    s.reason = "cannot load " + path + " (" + (why ? why : "unknown dlopen error") + ")";
    return s;
  }
  auto entry = reinterpret_cast<AtrousCudaApiFn>(dlsym(handle, "atrous_cuda_api"));
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
  dlclose(handle);
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
