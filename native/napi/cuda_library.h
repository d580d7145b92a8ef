// libatrous_cuda, found at run time: dlopen()s the library the JS side points at, checks its ABI
// table, probes the device, and wraps each entry so the bindings call it like a C++ kernel (a
// Status naming the op). The addon never links CUDA: without the library, or without a driver,
// cudaApi() is null and cudaState() says why.
#pragma once
#include <string>

#include "../kernels/conv_geometry.h"
#include "../kernels/cpu/batchnorm.h"
#include "../kernels/cpu/index_span.h"
#include "../kernels/cpu/pool.h"
#include "../kernels/cuda/atrous_cuda_api.h"
#include "../kernels/status.h"

namespace atrous::napi {

struct CudaState {
  bool usable = false;
  std::string reason;  // why not, when !usable
  std::string device;  // the device's name, when usable
  std::string path;    // the library that was tried
};

// Loads the library at `path` once per process; later calls return the first answer (the process
// holds one CUDA context whichever worker asks).
const CudaState& loadCudaLibrary(const std::string& path);
const CudaState& cudaState();  // the answer so far ("not loaded" before loadCudaLibrary)
// The usable table, or null.
const AtrousCudaApi* cudaApi();

// An entry's return code as a Status carrying the library's message.
Status cudaResult(int code);

AtrousConvGeometry toAbi(const ConvGeometry& g);
inline AtrousIn abiIn(ConstFloatSpan s) { return AtrousIn{s.data, s.size}; }
inline AtrousOut abiOut(FloatSpan s) { return AtrousOut{s.data, s.size}; }
inline AtrousIntIn abiIn(ConstInt32Span s) { return AtrousIntIn{s.data, s.size}; }
inline AtrousIntOut abiOut(Int32Span s) { return AtrousIntOut{s.data, s.size}; }
inline AtrousNchw toAbi(const Nchw& s) { return AtrousNchw{s.n, s.c, s.h, s.w}; }
inline AtrousPoolWindow toAbi(const PoolWindow& p) {
  return AtrousPoolWindow{p.kernelH, p.kernelW, p.strideH, p.strideW, p.padH, p.padW};
}
inline AtrousBatchNormShape toAbi(const BatchNormShape& s) { return AtrousBatchNormShape{s.batch, s.channels, s.spatial}; }

}  // namespace atrous::napi
