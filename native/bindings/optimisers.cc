// The optimisers' fused update steps, in place on the parameter and its state.
#include "../kernels/pointwise.h"
#include "../napi_args.h"
#include "exports.h"

namespace convcore {
namespace {

// (sgd block, weight, grad, momentumBuffer|null)
Napi::Value sgd(const Napi::CallbackInfo& info) {
  const SgdFields h = readBlock<SgdFields>(info[0]);
  const SgdParams p{static_cast<float>(h.lr), static_cast<float>(h.momentum), static_cast<float>(h.dampening),
                    static_cast<float>(h.weightDecay), h.nesterov != 0, h.maximize != 0, h.firstStep != 0};
  const int64_t n = floatLength(info[1], "weight");
  float* weight = readFloatBuffer(info[1], n, "weight");
  const float* grad = readFloatBuffer(info[2], n, "grad");
  float* buffer = readFloatBuffer(info[3], n, "momentumBuffer", /*optional=*/true);
  sgdStep(threadPool(info.Env()), p, weight, grad, buffer, n);
  return info.Env().Undefined();
}

// (adam block, weight, grad, expAvg, expAvgSq)
Napi::Value adam(const Napi::CallbackInfo& info) {
  const AdamFields h = readBlock<AdamFields>(info[0]);
  const AdamParams p{static_cast<float>(h.lr), static_cast<float>(h.beta1), static_cast<float>(h.beta2),
                     static_cast<float>(h.eps), static_cast<float>(h.weightDecay), h.decoupled != 0, h.maximize != 0,
                     static_cast<float>(h.stepSize), static_cast<float>(h.correction2)};
  const int64_t n = floatLength(info[1], "weight");
  float* weight = readFloatBuffer(info[1], n, "weight");
  const float* grad = readFloatBuffer(info[2], n, "grad");
  float* m = readFloatBuffer(info[3], n, "expAvg");
  float* v = readFloatBuffer(info[4], n, "expAvgSq");
  adamStep(threadPool(info.Env()), p, weight, grad, m, v, n);
  return info.Env().Undefined();
}

}  // namespace

void exportOptimisers(Napi::Env env, Napi::Object exports) {
  defineMethods(env, exports, {
      {"sgdStep", sgd},
      {"adamStep", adam},
  });
}

}  // namespace convcore
