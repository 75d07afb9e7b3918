// What every domain file of the N-API layer shares: the environment's thread pool, and
// a way to put named functions on the exports. Each domain (bindings/*.cc) unpacks its
// arguments with napi_args.h, re-checks every buffer's size and calls its kernels; no
// validation of meaning happens here (that is lib/validate.ts), only memory safety.
#pragma once

#include <napi.h>

#include <initializer_list>
#include <memory>

#include "../kernels/thread_pool.h"

namespace convcore {

// One per JavaScript environment (the main thread and each worker thread): the addon's
// state, kept as the environment's instance data and deleted with it.
struct AddonState {
  std::shared_ptr<ThreadPool> pool;
};

// The environment's pool (for a call that runs now), or a share of it (for an async job
// that may outlive a setNumThreads).
ThreadPool& threadPool(const Napi::Env& env);
std::shared_ptr<ThreadPool> sharedThreadPool(const Napi::Env& env);

struct NamedMethod {
  const char* name;
  Napi::Value (*call)(const Napi::CallbackInfo&);
};

void defineMethods(Napi::Env env, Napi::Object exports, std::initializer_list<NamedMethod> methods);

// Each domain's methods (one file each).
void exportConvolution(Napi::Env env, Napi::Object exports);    // bindings/convolution.cc
void exportLayers(Napi::Env env, Napi::Object exports);         // bindings/layers.cc
void exportOptimisers(Napi::Env env, Napi::Object exports);     // bindings/optimisers.cc
void exportImage(Napi::Env env, Napi::Object exports);          // bindings/image.cc
void exportElementwise(Napi::Env env, Napi::Object exports);    // bindings/elementwise.cc
void exportChannelNorm(Napi::Env env, Napi::Object exports);    // bindings/channel_norm.cc
void exportRuntime(Napi::Env env, Napi::Object exports);        // bindings/runtime.cc

}  // namespace convcore
