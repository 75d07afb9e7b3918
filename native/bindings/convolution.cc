// Convolutions of any rank, forward and backward, now or as a Promise (on snapshots:
// promise_worker.h). The geometry arrives as the conv parameter block (param_blocks.h).
#include "../kernels/conv2d.h"
#include "../kernels/conv_volume.h"
#include "../napi_args.h"
#include "../promise_worker.h"
#include "exports.h"

namespace convcore {
namespace {

// Buffers of one forward call, checked against the geometry.
struct ForwardArgs {
  VolumeParams p;
  const float* input;
  const float* weight;
  const float* bias;
  float* output;
};

// (params, input, weight, bias|null, output)
ForwardArgs readForwardArgs(const Napi::CallbackInfo& info) {
  ForwardArgs a{};
  a.p = readConvParams(info[0]);
  a.input = readFloatBuffer(info[1], a.p.inputSize(), "input");
  a.weight = readFloatBuffer(info[2], a.p.weightSize(), "weight");
  a.bias = readFloatBuffer(info[3], a.p.plane.outChannels, "bias", /*optional=*/true);
  a.output = readFloatBuffer(info[4], a.p.outputSize(), "output");
  return a;
}

// Buffers of one backward call; each gradient output may be null (not wanted).
struct BackwardArgs {
  VolumeParams p;
  const float* input;
  const float* weight;
  const float* gradOutput;
  float* gradInput;
  float* gradWeight;
  float* gradBias;
};

// (params, input|null, weight|null, gradOutput, gradInput|null, gradWeight|null, gradBias|null)
BackwardArgs readBackwardArgs(const Napi::CallbackInfo& info) {
  BackwardArgs a{};
  a.p = readConvParams(info[0]);
  a.gradOutput = readFloatBuffer(info[3], a.p.outputSize(), "gradOutput");
  a.gradInput = readFloatBuffer(info[4], a.p.inputSize(), "gradInput", true);
  a.gradWeight = readFloatBuffer(info[5], a.p.weightSize(), "gradWeight", true);
  a.gradBias = readFloatBuffer(info[6], a.p.plane.outChannels, "gradBias", true);
  // input is needed only for gradWeight, weight only for gradInput.
  a.input = readFloatBuffer(info[1], a.p.inputSize(), "input", a.gradWeight == nullptr);
  a.weight = readFloatBuffer(info[2], a.p.weightSize(), "weight", a.gradInput == nullptr);
  return a;
}

void runForward(ThreadPool& pool, const ForwardArgs& a) {
  convForward(pool, a.p, a.input, a.weight, a.bias, a.output);
}

void runBackward(ThreadPool& pool, const BackwardArgs& a) {
  if (a.gradInput) convBackwardData(pool, a.p, a.gradOutput, a.weight, a.gradInput);
  if (a.gradWeight) convBackwardWeight(pool, a.p, a.input, a.gradOutput, a.gradWeight);
  if (a.gradBias) convBackwardBias(pool, a.p, a.gradOutput, a.gradBias);
}

Napi::Value queue(PromiseWorker* worker) {
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

Napi::Value forward(const Napi::CallbackInfo& info) {
  runForward(threadPool(info.Env()), readForwardArgs(info));
  return info.Env().Undefined();
}

Napi::Value backward(const Napi::CallbackInfo& info) {
  runBackward(threadPool(info.Env()), readBackwardArgs(info));
  return info.Env().Undefined();
}

// As forward; the job computes on snapshots and the output is copied back on completion.
Napi::Value forwardAsync(const Napi::CallbackInfo& info) {
  const ForwardArgs args = readForwardArgs(info);  // checks every buffer's size
  const VolumeParams p = args.p;
  auto input = snapshot(args.input, p.inputSize());
  auto weight = snapshot(args.weight, p.weightSize());
  auto bias = snapshot(args.bias, p.plane.outChannels);
  auto output = FloatsPool::take(static_cast<size_t>(p.outputSize()));
  auto* worker = new PromiseWorker(info.Env(), sharedThreadPool(info.Env()), [p, input, weight, bias, output](ThreadPool& pool) {
    convForward(pool, p, input->data(), weight->data(), dataOrNull(*bias), output->data());
  });
  worker->deliver(info[4], "output", output);
  return queue(worker);
}

// As backward, likewise on snapshots.
Napi::Value backwardAsync(const Napi::CallbackInfo& info) {
  const BackwardArgs args = readBackwardArgs(info);  // checks every buffer's size
  const VolumeParams p = args.p;
  auto input = snapshot(args.input, p.inputSize());
  auto weight = snapshot(args.weight, p.weightSize());
  auto gradOutput = snapshot(args.gradOutput, p.outputSize());
  auto absentOr = [](bool wanted, int64_t n) {
    return wanted ? FloatsPool::take(static_cast<size_t>(n)) : newShared<Floats>();
  };
  auto gradInput = absentOr(args.gradInput != nullptr, p.inputSize());
  auto gradWeight = absentOr(args.gradWeight != nullptr, p.weightSize());
  auto gradBias = absentOr(args.gradBias != nullptr, p.plane.outChannels);
  auto* worker = new PromiseWorker(info.Env(), sharedThreadPool(info.Env()),
                                   [p, input, weight, gradOutput, gradInput, gradWeight, gradBias](ThreadPool& pool) {
    BackwardArgs a{p, dataOrNull(*input), dataOrNull(*weight), gradOutput->data(),
                   dataOrNull(*gradInput), dataOrNull(*gradWeight), dataOrNull(*gradBias)};
    runBackward(pool, a);
  });
  if (args.gradInput) worker->deliver(info[4], "gradInput", gradInput);
  if (args.gradWeight) worker->deliver(info[5], "gradWeight", gradWeight);
  if (args.gradBias) worker->deliver(info[6], "gradBias", gradBias);
  return queue(worker);
}

}  // namespace

void exportConvolution(Napi::Env env, Napi::Object exports) {
  defineMethods(env, exports, {
      {"convForward", forward},
      {"convBackward", backward},
      {"convForwardAsync", forwardAsync},
      {"convBackwardAsync", backwardAsync},
  });
}

}  // namespace convcore
