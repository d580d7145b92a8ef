// causalConvStream: argument checks and zero-copy views, then straight into conv/causal_stream.
#include "../kernels/cpu/conv/causal_stream.h"
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

}  // namespace

void registerStreamBinding(Napi::Env env, Napi::Object exports) {
  exports.Set("causalConvStream", Napi::Function::New(env, CausalConvStream, "causalConvStream"));
}

}  // namespace atrous::napi
