// The dense, pooling and activation layers' kernels.
#include <string>

#include "../kernels/matmul.h"
#include "../kernels/pointwise.h"
#include "../kernels/pool2d.h"
#include "../napi_args.h"
#include "exports.h"

namespace convcore {
namespace {

Napi::RangeError kernelRefused(const Napi::Env& env, const char* problem) {
  return Napi::RangeError::New(env, std::string("convcore native: ") + problem);
}

MatmulParams readMatmulParams(const Napi::Value& value) {
  const MatmulFields f = readBlock<MatmulFields>(value);
  for (int64_t flag : {f.transA, f.transB, f.accumulate}) {
    if (flag != 0 && flag != 1) throw Napi::RangeError::New(value.Env(), "convcore native: matmul flags must be 0 or 1");
  }
  const MatmulParams p{f.m, f.n, f.k, f.transA == 1, f.transB == 1, f.accumulate == 1};
  if (const char* problem = checkMatmulParams(p)) throw kernelRefused(value.Env(), problem);
  return p;
}

PoolParams readPoolParams(const Napi::Value& value) {
  const PoolFields f = readBlock<PoolFields>(value);
  const PoolParams p{f.planes, f.inHeight, f.inWidth, f.kernelHeight, f.kernelWidth, f.strideH, f.strideW,
                     f.padTop, f.padLeft, f.outHeight, f.outWidth, f.countIncludePad != 0};
  if (const char* problem = checkPoolParams(p)) throw kernelRefused(value.Env(), problem);
  return p;
}

Activation readActivation(const Napi::Value& value) {
  if (!value.IsNumber()) throw Napi::TypeError::New(value.Env(), "convcore native: expected an activation number");
  const double kind = value.As<Napi::Number>().DoubleValue();
  if (kind != 0 && kind != 1 && kind != 2) throw Napi::RangeError::New(value.Env(), "convcore native: activation must be 0, 1 or 2");
  return static_cast<Activation>(static_cast<int>(kind));
}

// (params, a, b, bias|null, c)
Napi::Value matmulCall(const Napi::CallbackInfo& info) {
  const MatmulParams p = readMatmulParams(info[0]);
  const float* a = readFloatBuffer(info[1], p.m * p.k, "a");
  const float* b = readFloatBuffer(info[2], p.k * p.n, "b");
  const float* bias = readFloatBuffer(info[3], p.n, "bias", /*optional=*/true);
  float* c = readFloatBuffer(info[4], p.m * p.n, "c");
  matmul(threadPool(info.Env()), p, a, b, bias, c);
  return info.Env().Undefined();
}

// (params, input, output, indices)
Napi::Value maxPool(const Napi::CallbackInfo& info) {
  const PoolParams p = readPoolParams(info[0]);
  const float* input = readFloatBuffer(info[1], p.inputSize(), "input");
  float* output = readFloatBuffer(info[2], p.outputSize(), "output");
  int32_t* indices = readInt32Buffer(info[3], p.outputSize(), "indices");
  maxPool2dForward(threadPool(info.Env()), p, input, output, indices);
  return info.Env().Undefined();
}

// (params, gradOutput, indices, gradInput)
Napi::Value maxPoolBackward(const Napi::CallbackInfo& info) {
  const PoolParams p = readPoolParams(info[0]);
  const float* gradOutput = readFloatBuffer(info[1], p.outputSize(), "gradOutput");
  const int32_t* indices = readInt32Buffer(info[2], p.outputSize(), "indices");
  float* gradInput = readFloatBuffer(info[3], p.inputSize(), "gradInput");
  maxPool2dBackward(threadPool(info.Env()), p, gradOutput, indices, gradInput);
  return info.Env().Undefined();
}

// (params, input, output)
Napi::Value avgPool(const Napi::CallbackInfo& info) {
  const PoolParams p = readPoolParams(info[0]);
  const float* input = readFloatBuffer(info[1], p.inputSize(), "input");
  float* output = readFloatBuffer(info[2], p.outputSize(), "output");
  avgPool2dForward(threadPool(info.Env()), p, input, output);
  return info.Env().Undefined();
}

// (params, gradOutput, gradInput)
Napi::Value avgPoolBackward(const Napi::CallbackInfo& info) {
  const PoolParams p = readPoolParams(info[0]);
  const float* gradOutput = readFloatBuffer(info[1], p.outputSize(), "gradOutput");
  float* gradInput = readFloatBuffer(info[2], p.inputSize(), "gradInput");
  avgPool2dBackward(threadPool(info.Env()), p, gradOutput, gradInput);
  return info.Env().Undefined();
}

// (kind, x, y)
Napi::Value activation(const Napi::CallbackInfo& info) {
  const Activation kind = readActivation(info[0]);
  const int64_t n = floatLength(info[1], "x");
  const float* x = readFloatBuffer(info[1], n, "x");
  float* y = readFloatBuffer(info[2], n, "y");
  activationForward(threadPool(info.Env()), kind, x, y, n);
  return info.Env().Undefined();
}

// (kind, gradOutput, output, gradInput)
Napi::Value activationGradient(const Napi::CallbackInfo& info) {
  const Activation kind = readActivation(info[0]);
  const int64_t n = floatLength(info[1], "gradOutput");
  const float* g = readFloatBuffer(info[1], n, "gradOutput");
  const float* y = readFloatBuffer(info[2], n, "output");
  float* dx = readFloatBuffer(info[3], n, "gradInput");
  activationBackward(threadPool(info.Env()), kind, g, y, dx, n);
  return info.Env().Undefined();
}

}  // namespace

void exportLayers(Napi::Env env, Napi::Object exports) {
  defineMethods(env, exports, {
      {"matmul", matmulCall},
      {"maxPool2d", maxPool},
      {"maxPool2dBackward", maxPoolBackward},
      {"avgPool2d", avgPool},
      {"avgPool2dBackward", avgPoolBackward},
      {"activation", activation},
      {"activationBackward", activationGradient},
  });
}

}  // namespace convcore
