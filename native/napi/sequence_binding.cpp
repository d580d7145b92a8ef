// The sequence models' kernels: causalConvStream (conv/causal_stream) and the embedding lookup and its
// gradient (embedding). Argument checks and zero-copy views, then straight into the kernels.
#include "../kernels/cpu/conv/causal_stream.h"
#include "../kernels/cpu/embedding.h"
#include "napi_util.h"

namespace atrous::napi {
namespace {

// causalConvStream(shape { batch, inChannels, outChannels, kernel, dilation, groups, steps },
//                  x, weight, bias | null, history, head, out)
Napi::Value CausalConvStream(const Napi::CallbackInfo& info) {
  const char* fn = "causalConvStream";
  Napi::Object shape = objectArg(info, 0, fn, "shape");
  const Napi::Env env = info.Env();
  const int64_t big = 2147483647;
  CausalStreamShape s{intField(env, shape, "batch", 1, big, fn),  intField(env, shape, "inChannels", 1, big, fn),
                      intField(env, shape, "outChannels", 1, big, fn), intField(env, shape, "kernel", 1, big, fn),
                      intField(env, shape, "dilation", 1, big, fn), intField(env, shape, "groups", 1, big, fn),
                      intField(env, shape, "steps", 1, big, fn)};
  FloatSpan x = floatArg(info, 1, fn, "x");
  FloatSpan weight = floatArg(info, 2, fn, "weight");
  FloatSpan bias = optionalFloatArg(info, 3, fn, "bias");
  FloatSpan history = floatArg(info, 4, fn, "history");
  const int64_t head = intArg(info, 5, 0, big, fn, "head");
  FloatSpan out = floatArg(info, 6, fn, "out");
  throwIfFailed(env, causalConvStream(s, x, weight, bias, history, head, out));
  return env.Undefined();
}

// embeddingForward(indices: Int32Array, weight, vocab, dim, out)
Napi::Value EmbeddingForward(const Napi::CallbackInfo& info) {
  const char* fn = "embeddingForward";
  IntSpan indices = int32Arg(info, 0, fn, "indices");
  FloatSpan weight = floatArg(info, 1, fn, "weight");
  const int64_t vocab = intArg(info, 2, 1, 2147483647, fn, "vocab");
  const int64_t dim = intArg(info, 3, 1, 2147483647, fn, "dim");
  FloatSpan out = floatArg(info, 4, fn, "out");
  throwIfFailed(info.Env(), embeddingForward(indices, weight, vocab, dim, out));
  return info.Env().Undefined();
}

// embeddingBackward(indices: Int32Array, gradOut, vocab, dim, paddingIdx (-1: none), gradWeight)
Napi::Value EmbeddingBackward(const Napi::CallbackInfo& info) {
  const char* fn = "embeddingBackward";
  IntSpan indices = int32Arg(info, 0, fn, "indices");
  FloatSpan gradOut = floatArg(info, 1, fn, "gradOut");
  const int64_t vocab = intArg(info, 2, 1, 2147483647, fn, "vocab");
  const int64_t dim = intArg(info, 3, 1, 2147483647, fn, "dim");
  const int64_t paddingIdx = intArg(info, 4, -1, 2147483647, fn, "paddingIdx");
  FloatSpan gradWeight = floatArg(info, 5, fn, "gradWeight");
  throwIfFailed(info.Env(), embeddingBackward(indices, gradOut, vocab, dim, paddingIdx, gradWeight));
  return info.Env().Undefined();
}

}  // namespace

void registerSequenceBinding(Napi::Env env, Napi::Object exports) {
  exportFunctions(env, exports, {
      {"causalConvStream", CausalConvStream}, {"embeddingForward", EmbeddingForward},
      {"embeddingBackward", EmbeddingBackward},
  });
}

}  // namespace atrous::napi
