// Per-channel statistics and affine maps (the normalisation layers' kernels), each
// called with one object of named fields over a layout [outer, channels, inner].
#include "../elementwise_args.h"
#include "../napi_args.h"
#include "exports.h"

namespace convcore {

namespace {

// { layout, x, mean, variance }
Napi::Value moments(const Napi::CallbackInfo& info) {
  const Napi::Object call = callObject(info);
  const ChannelLayout l = readChannelLayout(call);
  const float* x = readField(call, "x", channelLayoutCount(l));
  float* mean = readField(call, "mean", l.channels);
  float* variance = readField(call, "variance", l.channels);
  channelMoments(threadPool(info.Env()), l, x, mean, variance);
  return info.Env().Undefined();
}

// { layout, gradOutput, x, mean, sumG, sumGX }
Napi::Value gradSums(const Napi::CallbackInfo& info) {
  const Napi::Object call = callObject(info);
  const ChannelLayout l = readChannelLayout(call);
  const float* g = readField(call, "gradOutput", channelLayoutCount(l));
  const float* x = readField(call, "x", channelLayoutCount(l));
  const float* mean = readField(call, "mean", l.channels);
  float* sumG = readField(call, "sumG", l.channels);
  float* sumGX = readField(call, "sumGX", l.channels);
  channelGradSums(threadPool(info.Env()), l, g, x, mean, sumG, sumGX);
  return info.Env().Undefined();
}

// { layout, u?, a?, v?, b?, m?, d, out }: out = a[c]·u + b[c]·(v − m[c]) + d[c].
Napi::Value affine(const Napi::CallbackInfo& info) {
  const Napi::Object call = callObject(info);
  const ChannelLayout l = readChannelLayout(call);
  const int64_t count = channelLayoutCount(l);
  const auto given = [&](const char* name) { return !call.Get(name).IsUndefined() && !call.Get(name).IsNull(); };
  const bool hasU = given("u"), hasV = given("v");
  if (!hasU && !hasV) throw Napi::TypeError::New(info.Env(), "convcore native: u or v is required");
  ChannelAffineTerms t{};
  t.u = readField(call, "u", count, !hasU);
  t.a = readField(call, "a", l.channels, !hasU);
  t.v = readField(call, "v", count, !hasV);
  t.b = readField(call, "b", l.channels, !hasV);
  t.m = readField(call, "m", l.channels, !hasV);
  if (count == 0) return info.Env().Undefined();
  t.d = readField(call, "d", l.channels);
  float* out = readField(call, "out", count);
  channelAffine(threadPool(info.Env()), l, t, out);
  return info.Env().Undefined();
}

}  // namespace

void exportChannelNorm(Napi::Env env, Napi::Object exports) {
  defineMethods(env, exports, {
      {"channelMoments", moments},
      {"channelGradSums", gradSums},
      {"channelAffine", affine},
  });
}

}  // namespace convcore
