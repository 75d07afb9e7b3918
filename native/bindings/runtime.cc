// The addon's settings and facts: thread count, instruction-set level, the parameter
// blocks' field names, the C library's allocator cache, result alignment.
#include <cstdint>

#include "../kernels/cpu_features.h"
#include "../malloc_cache.h"
#include "../param_blocks.h"
#include "exports.h"

namespace convcore {
namespace {

// (threads: an integer in 1..1024)
Napi::Value setNumThreads(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  if (!info[0].IsNumber()) throw Napi::TypeError::New(env, "convcore native: threads");
  const double n = info[0].As<Napi::Number>().DoubleValue();
  if (!(n >= 1 && n <= 1024) || n != static_cast<int>(n)) {
    throw Napi::RangeError::New(env, "convcore native: threads must be in 1..1024");
  }
  threadPool(env).resize(static_cast<int>(n));
  return env.Undefined();
}

Napi::Value getNumThreads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), threadPool(info.Env()).size());
}

Napi::Value isa(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), isaName(activeIsa()));
}

// Whether the core runs 512-bit FMAs as two halves (cpu_features.h): the dispatch table
// then keeps the GEMM paths on AVX2.
Napi::Value splitsAvx512(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), cpuSplitsAvx512());
}

// (bytes) → whether the C library's allocator took the limit (malloc_cache.h).
Napi::Value setMallocCacheLimitCall(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  if (!info[0].IsNumber()) throw Napi::TypeError::New(env, "convcore native: cache limit bytes");
  const double bytes = info[0].As<Napi::Number>().DoubleValue();
  if (!(bytes >= 0 && bytes <= 9007199254740991.0) || bytes != static_cast<double>(static_cast<uint64_t>(bytes))) {
    throw Napi::RangeError::New(env, "convcore native: cache limit must be a non-negative integer");
  }
  return Napi::Boolean::New(env, setMallocCacheLimit(static_cast<size_t>(bytes)));
}

Napi::Value releaseMallocCacheCall(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), releaseMallocCache());
}

// (arrayBuffer) → the bytes from its start to the next 64-byte boundary (a cache line,
// a zmm): where lib/alloc.ts starts a result's view.
Napi::Value alignmentShift(const Napi::CallbackInfo& info) {
  if (!info[0].IsArrayBuffer()) throw Napi::TypeError::New(info.Env(), "convcore native: expected an ArrayBuffer");
  const auto address = reinterpret_cast<uintptr_t>(info[0].As<Napi::ArrayBuffer>().Data());
  return Napi::Number::New(info.Env(), static_cast<double>((64 - address % 64) % 64));
}

}  // namespace

void exportRuntime(Napi::Env env, Napi::Object exports) {
  defineMethods(env, exports, {
      {"setNumThreads", setNumThreads},
      {"getNumThreads", getNumThreads},
      {"isa", isa},
      {"splitsAvx512", splitsAvx512},
      {"setMallocCacheLimit", setMallocCacheLimitCall},
      {"releaseMallocCache", releaseMallocCacheCall},
      {"alignmentShift", alignmentShift},
  });
  exports.DefineProperty(Napi::PropertyDescriptor::Value("paramBlocks", paramBlockFields(env), napi_enumerable));
}

}  // namespace convcore
