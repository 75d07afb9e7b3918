// The addon's entry point: a thread pool for the JavaScript environment that loads it
// (the main thread or a worker), then each domain's methods (bindings/).
#include <napi.h>

#include <algorithm>
#include <cstdlib>
#include <thread>

#include "bindings/exports.h"
#include "promise_worker.h"

namespace convcore {
namespace {

// CONVCORE_NUM_THREADS (1..1024) if set, else the machine's hardware threads.
int defaultThreadCount() {
  if (const char* text = std::getenv("CONVCORE_NUM_THREADS")) {
    const int n = std::atoi(text);
    if (n >= 1 && n <= 1024) return n;
  }
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

Napi::Object init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new AddonState{newShared<ThreadPool>(defaultThreadCount())});
  exportConvolution(env, exports);
  exportLayers(env, exports);
  exportOptimisers(env, exports);
  exportImage(env, exports);
  exportElementwise(env, exports);
  exportChannelNorm(env, exports);
  exportRuntime(env, exports);
  return exports;
}

}  // namespace
}  // namespace convcore

// NODE_API_MODULE names its registration after an unqualified function.
static Napi::Object initModule(Napi::Env env, Napi::Object exports) { return convcore::init(env, exports); }
NODE_API_MODULE(convcore, initModule)
