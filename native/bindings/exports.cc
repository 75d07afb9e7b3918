#include "exports.h"

namespace convcore {

ThreadPool& threadPool(const Napi::Env& env) { return *sharedThreadPool(env); }

std::shared_ptr<ThreadPool> sharedThreadPool(const Napi::Env& env) {
  return env.GetInstanceData<AddonState>()->pool;
}

void defineMethods(Napi::Env env, Napi::Object exports, std::initializer_list<NamedMethod> methods) {
  for (const NamedMethod& method : methods) {
    exports.DefineProperty(Napi::PropertyDescriptor::Value(
        method.name, Napi::Function::New(env, method.call, method.name), napi_enumerable));
  }
}

}  // namespace convcore
