// gatherImageBatch and argmaxRows: argument checks and zero-copy views, then straight into the image_batch and argmax_rows kernels.
#include "../kernels/cpu/argmax_rows.h"
#include "../kernels/cpu/image_batch.h"
#include "napi_util.h"

namespace atrous::napi {
namespace {

// gatherImageBatch(src: Uint8Array, imageShape [count, H, W], indices: Int32Array, scale, shift, pad,
//                  crops: Int32Array | null, out: Float32Array)
Napi::Value GatherImageBatch(const Napi::CallbackInfo& info) {
  const char* fn = "gatherImageBatch";
  Napi::Uint8Array src = uint8Arg(info, 0, fn, "src");
  auto shape = shapeArg(info, 1, 3, fn, "imageShape");
  IntSpan indices = int32Arg(info, 2, fn, "indices");
  ImageBatchSpec spec;
  spec.count = shape[0];
  spec.height = shape[1];
  spec.width = shape[2];
  spec.scale = static_cast<float>(numberArg(info, 3, fn, "scale"));
  spec.shift = static_cast<float>(numberArg(info, 4, fn, "shift"));
  spec.pad = intArg(info, 5, 0, 1 << 20, fn, "pad");
  IntSpan crops = optionalInt32Arg(info, 6, fn, "crops");
  FloatSpan out = floatArg(info, 7, fn, "out");
  throwIfFailed(info.Env(), gatherImageBatch(spec, src.Data(), static_cast<long long>(src.ByteLength()), indices.data,
                                             indices.size, crops.data, crops.size, out));
  return info.Env().Undefined();
}

// argmaxRows(x: Float32Array, rows, cols, out: Int32Array)
Napi::Value ArgmaxRows(const Napi::CallbackInfo& info) {
  const char* fn = "argmaxRows";
  FloatSpan x = floatArg(info, 0, fn, "x");
  int64_t rows = intArg(info, 1, 0, 2147483647, fn, "rows");
  int64_t cols = intArg(info, 2, 1, 2147483647, fn, "cols");
  IntSpan out = int32Arg(info, 3, fn, "out");
  throwIfFailed(info.Env(), argmaxRows(x, rows, cols, out.data, out.size));
  return info.Env().Undefined();
}

}  // namespace

void registerDataBinding(Napi::Env env, Napi::Object exports) {
  exportFunctions(env, exports, {
      {"gatherImageBatch", GatherImageBatch}, {"argmaxRows", ArgmaxRows},
  });
}

}  // namespace atrous::napi
