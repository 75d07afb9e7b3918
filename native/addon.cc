// The N-API boundary: unpack arguments, re-check buffer sizes, call a kernel. No
// validation of meaning happens here (that is lib/validate.ts); only memory safety.
#include <napi.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <vector>
#include <memory>
#include <thread>

#include "kernels/conv2d.h"
#include "kernels/conv_volume.h"
#include "kernels/cpu_features.h"
#include "kernels/image.h"
#include "kernels/matmul.h"
#include "kernels/pointwise.h"
#include "kernels/pool2d.h"
#include "elementwise_args.h"
#include "malloc_cache.h"
#include "napi_args.h"
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

// Buffers of one forward call, checked against the geometry.
struct ForwardArgs {
  VolumeParams p;
  const float* input;
  const float* weight;
  const float* bias;
  float* output;
};

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

MatmulParams readMatmulParams(const Napi::Value& value) {
  const MatmulFields f = readBlock<MatmulFields>(value);
  for (int64_t flag : {f.transA, f.transB, f.accumulate}) {
    if (flag != 0 && flag != 1) throw Napi::RangeError::New(value.Env(), "convcore native: matmul flags must be 0 or 1");
  }
  const MatmulParams p{f.m, f.n, f.k, f.transA == 1, f.transB == 1, f.accumulate == 1};
  if (const char* problem = checkMatmulParams(p)) {
    throw Napi::RangeError::New(value.Env(), std::string("convcore native: ") + problem);
  }
  return p;
}

PoolParams readPoolParams(const Napi::Value& value) {
  const PoolFields f = readBlock<PoolFields>(value);
  const PoolParams p{f.planes, f.inHeight, f.inWidth, f.kernelHeight, f.kernelWidth, f.strideH, f.strideW,
                     f.padTop, f.padLeft, f.outHeight, f.outWidth, f.countIncludePad != 0};
  if (const char* problem = checkPoolParams(p)) {
    throw Napi::RangeError::New(value.Env(), std::string("convcore native: ") + problem);
  }
  return p;
}

Activation readActivation(const Napi::Value& value) {
  if (!value.IsNumber()) throw Napi::TypeError::New(value.Env(), "convcore native: expected an activation number");
  const double kind = value.As<Napi::Number>().DoubleValue();
  if (kind != 0 && kind != 1 && kind != 2) throw Napi::RangeError::New(value.Env(), "convcore native: activation must be 0, 1 or 2");
  return static_cast<Activation>(static_cast<int>(kind));
}

class ConvcoreAddon : public Napi::Addon<ConvcoreAddon> {
 public:
  ConvcoreAddon(Napi::Env env, Napi::Object exports)
      : pool_(newShared<ThreadPool>(defaultThreadCount())) {
    DefineAddon(exports,
                {
                    InstanceMethod("convForward", &ConvcoreAddon::Forward),
                    InstanceMethod("convBackward", &ConvcoreAddon::Backward),
                    InstanceMethod("convForwardAsync", &ConvcoreAddon::ForwardAsync),
                    InstanceMethod("convBackwardAsync", &ConvcoreAddon::BackwardAsync),
                    InstanceMethod("matmul", &ConvcoreAddon::Matmul),
                    InstanceMethod("maxPool2d", &ConvcoreAddon::MaxPool2d),
                    InstanceMethod("maxPool2dBackward", &ConvcoreAddon::MaxPool2dBackward),
                    InstanceMethod("avgPool2d", &ConvcoreAddon::AvgPool2d),
                    InstanceMethod("avgPool2dBackward", &ConvcoreAddon::AvgPool2dBackward),
                    InstanceMethod("activation", &ConvcoreAddon::ActivationForward),
                    InstanceMethod("activationBackward", &ConvcoreAddon::ActivationBackward),
                    InstanceMethod("sgdStep", &ConvcoreAddon::SgdStep),
                    InstanceMethod("adamStep", &ConvcoreAddon::AdamStep),
                    InstanceMethod("planesFromPixels", &ConvcoreAddon::PlanesFromPixels),
                    InstanceMethod("pixelsFromPlanes", &ConvcoreAddon::PixelsFromPlanes),
                    InstanceMethod("magnitude", &ConvcoreAddon::Magnitude),
                    InstanceMethod("restoreAlpha", &ConvcoreAddon::RestoreAlpha),
                    InstanceMethod("filter8", &ConvcoreAddon::Filter8),
                    InstanceMethod("filterBorder", &ConvcoreAddon::FilterBorder),
                    InstanceMethod("elementwiseBinary", &ConvcoreAddon::ElementwiseBinary),
                    InstanceMethod("elementwiseBinaryBackward", &ConvcoreAddon::ElementwiseBinaryBackward),
                    InstanceMethod("elementwiseUnary", &ConvcoreAddon::ElementwiseUnary),
                    InstanceMethod("elementwiseUnaryBackward", &ConvcoreAddon::ElementwiseUnaryBackward),
                    InstanceMethod("reduce", &ConvcoreAddon::Reduce),
                    InstanceMethod("elementwiseWhere", &ConvcoreAddon::ElementwiseWhere),
                    InstanceMethod("elementwiseWhereBackward", &ConvcoreAddon::ElementwiseWhereBackward),
                    InstanceMethod("channelMoments", &ConvcoreAddon::ChannelMoments),
                    InstanceMethod("channelGradSums", &ConvcoreAddon::ChannelGradSums),
                    InstanceMethod("channelAffine", &ConvcoreAddon::ChannelAffine),
                    InstanceMethod("setNumThreads", &ConvcoreAddon::SetNumThreads),
                    InstanceMethod("getNumThreads", &ConvcoreAddon::GetNumThreads),
                    InstanceMethod("isa", &ConvcoreAddon::Isa),
                    InstanceValue("paramBlocks", paramBlockFields(env), napi_enumerable),
                    InstanceMethod("setMallocCacheLimit", &ConvcoreAddon::SetMallocCacheLimit),
                    InstanceMethod("releaseMallocCache", &ConvcoreAddon::ReleaseMallocCache),
                    InstanceMethod("alignmentShift", &ConvcoreAddon::AlignmentShift),
                    InstanceMethod("fmaPeak", &ConvcoreAddon::FmaPeak),
                    InstanceMethod("parallelCopy", &ConvcoreAddon::ParallelCopy),
                });
  }

 private:
  // (params, input, weight, bias|null, output)
  Napi::Value Forward(const Napi::CallbackInfo& info) {
    runForward(*pool_, readForwardArgs(info));
    return info.Env().Undefined();
  }

  // (params, input|null, weight|null, gradOutput, gradInput|null, gradWeight|null, gradBias|null)
  Napi::Value Backward(const Napi::CallbackInfo& info) {
    runBackward(*pool_, readBackwardArgs(info));
    return info.Env().Undefined();
  }

  // (params, input, weight, bias|null, output): the job computes on snapshots (see
  // promise_worker.h) and the output is copied back on completion.
  Napi::Value ForwardAsync(const Napi::CallbackInfo& info) {
    const ForwardArgs args = readForwardArgs(info);  // checks every buffer's size
    const VolumeParams p = args.p;
    auto input = snapshot(args.input, p.inputSize());
    auto weight = snapshot(args.weight, p.weightSize());
    auto bias = snapshot(args.bias, p.plane.outChannels);
    auto output = FloatsPool::take(static_cast<size_t>(p.outputSize()));
    auto* worker = new PromiseWorker(info.Env(), pool_, [p, input, weight, bias, output](ThreadPool& pool) {
      convForward(pool, p, input->data(), weight->data(), dataOrNull(*bias), output->data());
    });
    worker->deliver(info[4], "output", output);
    return queue(worker);
  }

  // (params, input|null, weight|null, gradOutput, gradInput|null, gradWeight|null,
  //  gradBias|null), likewise on snapshots.
  Napi::Value BackwardAsync(const Napi::CallbackInfo& info) {
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
    auto* worker = new PromiseWorker(info.Env(), pool_,
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

  static Napi::Value queue(PromiseWorker* worker) {
    Napi::Promise promise = worker->promise();
    worker->Queue();
    return promise;
  }

  // (params, a, b, bias|null, c)
  Napi::Value Matmul(const Napi::CallbackInfo& info) {
    const MatmulParams p = readMatmulParams(info[0]);
    const float* a = readFloatBuffer(info[1], p.m * p.k, "a");
    const float* b = readFloatBuffer(info[2], p.k * p.n, "b");
    const float* bias = readFloatBuffer(info[3], p.n, "bias", /*optional=*/true);
    float* c = readFloatBuffer(info[4], p.m * p.n, "c");
    matmul(*pool_, p, a, b, bias, c);
    return info.Env().Undefined();
  }

  // (params, input, output, indices)
  Napi::Value MaxPool2d(const Napi::CallbackInfo& info) {
    const PoolParams p = readPoolParams(info[0]);
    const float* input = readFloatBuffer(info[1], p.inputSize(), "input");
    float* output = readFloatBuffer(info[2], p.outputSize(), "output");
    int32_t* indices = readInt32Buffer(info[3], p.outputSize(), "indices");
    maxPool2dForward(*pool_, p, input, output, indices);
    return info.Env().Undefined();
  }

  // (params, gradOutput, indices, gradInput)
  Napi::Value MaxPool2dBackward(const Napi::CallbackInfo& info) {
    const PoolParams p = readPoolParams(info[0]);
    const float* gradOutput = readFloatBuffer(info[1], p.outputSize(), "gradOutput");
    const int32_t* indices = readInt32Buffer(info[2], p.outputSize(), "indices");
    float* gradInput = readFloatBuffer(info[3], p.inputSize(), "gradInput");
    maxPool2dBackward(*pool_, p, gradOutput, indices, gradInput);
    return info.Env().Undefined();
  }

  // (params, input, output)
  Napi::Value AvgPool2d(const Napi::CallbackInfo& info) {
    const PoolParams p = readPoolParams(info[0]);
    const float* input = readFloatBuffer(info[1], p.inputSize(), "input");
    float* output = readFloatBuffer(info[2], p.outputSize(), "output");
    avgPool2dForward(*pool_, p, input, output);
    return info.Env().Undefined();
  }

  // (params, gradOutput, gradInput)
  Napi::Value AvgPool2dBackward(const Napi::CallbackInfo& info) {
    const PoolParams p = readPoolParams(info[0]);
    const float* gradOutput = readFloatBuffer(info[1], p.outputSize(), "gradOutput");
    float* gradInput = readFloatBuffer(info[2], p.inputSize(), "gradInput");
    avgPool2dBackward(*pool_, p, gradOutput, gradInput);
    return info.Env().Undefined();
  }

  // (kind, x, y)
  Napi::Value ActivationForward(const Napi::CallbackInfo& info) {
    const Activation kind = readActivation(info[0]);
    const int64_t n = floatLength(info[1], "x");
    const float* x = readFloatBuffer(info[1], n, "x");
    float* y = readFloatBuffer(info[2], n, "y");
    activationForward(*pool_, kind, x, y, n);
    return info.Env().Undefined();
  }

  // (kind, gradOutput, output, gradInput)
  Napi::Value ActivationBackward(const Napi::CallbackInfo& info) {
    const Activation kind = readActivation(info[0]);
    const int64_t n = floatLength(info[1], "gradOutput");
    const float* g = readFloatBuffer(info[1], n, "gradOutput");
    const float* y = readFloatBuffer(info[2], n, "output");
    float* dx = readFloatBuffer(info[3], n, "gradInput");
    activationBackward(*pool_, kind, g, y, dx, n);
    return info.Env().Undefined();
  }

  // (sgd block, weight, grad, momentumBuffer|null)
  Napi::Value SgdStep(const Napi::CallbackInfo& info) {
    const SgdFields h = readBlock<SgdFields>(info[0]);
    const SgdParams p{static_cast<float>(h.lr), static_cast<float>(h.momentum), static_cast<float>(h.dampening),
                      static_cast<float>(h.weightDecay), h.nesterov != 0, h.maximize != 0, h.firstStep != 0};
    const int64_t n = floatLength(info[1], "weight");
    float* weight = readFloatBuffer(info[1], n, "weight");
    const float* grad = readFloatBuffer(info[2], n, "grad");
    float* buffer = readFloatBuffer(info[3], n, "momentumBuffer", /*optional=*/true);
    sgdStep(*pool_, p, weight, grad, buffer, n);
    return info.Env().Undefined();
  }

  // (adam block, weight, grad, expAvg, expAvgSq)
  Napi::Value AdamStep(const Napi::CallbackInfo& info) {
    const AdamFields h = readBlock<AdamFields>(info[0]);
    const AdamParams p{static_cast<float>(h.lr), static_cast<float>(h.beta1), static_cast<float>(h.beta2),
                       static_cast<float>(h.eps), static_cast<float>(h.weightDecay), h.decoupled != 0, h.maximize != 0,
                       static_cast<float>(h.stepSize), static_cast<float>(h.correction2)};
    const int64_t n = floatLength(info[1], "weight");
    float* weight = readFloatBuffer(info[1], n, "weight");
    const float* grad = readFloatBuffer(info[2], n, "grad");
    float* m = readFloatBuffer(info[3], n, "expAvg");
    float* v = readFloatBuffer(info[4], n, "expAvgSq");
    adamStep(*pool_, p, weight, grad, m, v, n);
    return info.Env().Undefined();
  }

  // (planesFromPixels block, pixels Uint8Array, planes (may be empty when colour is 0), alpha|null)
  Napi::Value PlanesFromPixels(const Napi::CallbackInfo& info) {
    const PlanesFromPixelsFields f = readBlock<PlanesFromPixelsFields>(info[0]);
    const int64_t pixels = f.pixels, channels = f.channels, colour = f.colour, alphaChannel = f.alphaChannel;
    if (pixels < 0 || pixels > (int64_t(1) << 40) || channels < 1 || channels > 4 || colour < 0 || colour > channels ||
        alphaChannel < -1 || alphaChannel >= channels) {
      throw Napi::RangeError::New(info.Env(), "convcore native: bad image params");
    }
    const uint8_t* src = readByteBuffer(info[1], pixels * channels, "pixels");
    float* planes = readFloatBuffer(info[2], pixels * colour, "planes");
    uint8_t* alpha = readByteBuffer(info[3], pixels, "alpha", /*optional=*/true);
    if (alpha != nullptr && alphaChannel < 0) throw Napi::RangeError::New(info.Env(), "convcore native: no alpha channel to extract");
    planesFromPixels(*pool_, src, pixels, static_cast<int>(channels), static_cast<int>(colour), planes, alpha,
                     static_cast<int>(alphaChannel));
    return info.Env().Undefined();
  }

  // (pixelsFromPlanes block, planes, alpha|null, pixels Uint8Array)
  Napi::Value PixelsFromPlanes(const Napi::CallbackInfo& info) {
    const PixelsFromPlanesFields h = readBlock<PixelsFromPlanesFields>(info[0]);
    const int64_t pixels = h.pixels, colour = h.colour;
    if (pixels < 0 || pixels > (int64_t(1) << 40) || colour < 1 || colour > 4) {
      throw Napi::RangeError::New(info.Env(), "convcore native: bad image params");
    }
    const float* planes = readFloatBuffer(info[1], pixels * colour, "planes");
    const uint8_t* alpha = readByteBuffer(info[2], pixels, "alpha", /*optional=*/true);
    uint8_t* dst = readByteBuffer(info[3], pixels * (colour + (alpha != nullptr ? 1 : 0)), "pixels");
    pixelsFromPlanes(*pool_, planes, pixels, static_cast<int>(colour), alpha,
                     PixelMapping{h.abs != 0, static_cast<float>(h.offset), h.round != 0}, dst);
    return info.Env().Undefined();
  }

  // (filter8 block, weights, rowMap, colMap, src bytes, dst bytes)
  Napi::Value Filter8(const Napi::CallbackInfo& info) {
    const Filter8Fields h = readBlock<Filter8Fields>(info[0]);
    const Filter8Params p{h.height, h.rowElements, h.channels, h.kernelHeight, h.kernelWidth, h.padTop,
                          h.padLeftPixels, h.abs != 0, static_cast<float>(h.offset)};
    if (const char* problem = checkFilter8Params(p)) throw Napi::RangeError::New(info.Env(), std::string("convcore native: ") + problem);
    const float* weights = readFloatBuffer(info[1], p.kernelHeight * p.kernelWidth, "weights");
    const int64_t rows = p.height + p.kernelHeight - 1, cols = p.rowElements + (p.kernelWidth - 1) * p.channels;
    const int32_t* rowMap = readInt32Buffer(info[2], rows, "rowMap");
    const int32_t* colMap = readInt32Buffer(info[3], cols, "colMap");
    // The maps come from JavaScript: every entry must name a row or element (or −1).
    for (int64_t i = 0; i < rows; ++i)
      if (rowMap[i] < -1 || rowMap[i] >= p.height) throw Napi::RangeError::New(info.Env(), "convcore native: rowMap out of range");
    for (int64_t i = 0; i < cols; ++i)
      if (colMap[i] < -1 || colMap[i] >= p.rowElements) throw Napi::RangeError::New(info.Env(), "convcore native: colMap out of range");
    const uint8_t* src = readByteBuffer(info[4], p.height * p.rowElements, "src");
    uint8_t* dst = readByteBuffer(info[5], p.height * p.rowElements, "dst");
    filter8(*pool_, p, weights, rowMap, colMap, src, dst);
    return info.Env().Undefined();
  }

  // (restoreAlpha block, source bytes, destination bytes)
  Napi::Value RestoreAlpha(const Napi::CallbackInfo& info) {
    const RestoreAlphaFields f = readBlock<RestoreAlphaFields>(info[0]);
    if (f.pixels < 0 || f.pixels > (int64_t(1) << 40) || f.channels < 2 || f.channels > 4) {
      throw Napi::RangeError::New(info.Env(), "convcore native: bad alpha params");
    }
    const uint8_t* src = readByteBuffer(info[1], f.pixels * f.channels, "source");
    uint8_t* dst = readByteBuffer(info[2], f.pixels * f.channels, "destination");
    restoreAlpha(*pool_, src, dst, f.pixels, static_cast<int>(f.channels));
    return info.Env().Undefined();
  }

  // (gx, gy, out)
  Napi::Value Magnitude(const Napi::CallbackInfo& info) {
    const int64_t n = floatLength(info[0], "gx");
    const float* gx = readFloatBuffer(info[0], n, "gx");
    const float* gy = readFloatBuffer(info[1], n, "gy");
    float* out = readFloatBuffer(info[2], n, "out");
    magnitude(*pool_, gx, gy, out, n);
    return info.Env().Undefined();
  }

  // (filterBorder block, weight, rowMap, colMap, input, output)
  Napi::Value FilterBorder(const Napi::CallbackInfo& info) {
    const FilterBorderFields f = readBlock<FilterBorderFields>(info[0]);
    const BorderParams p{f.planes, f.height, f.width, f.kernelHeight, f.kernelWidth, f.padTop, f.padLeft};
    constexpr int64_t kLimit = int64_t(1) << 31;
    if (p.planes < 1 || p.height < 1 || p.width < 1 || p.kernelHeight < 1 || p.kernelWidth < 1 ||
        p.height >= kLimit || p.width >= kLimit || p.kernelHeight > p.height + kLimit / 4 ||
        p.padTop < 0 || p.padTop >= p.kernelHeight || p.padLeft < 0 || p.padLeft >= p.kernelWidth ||
        p.planes * p.height * p.width >= (int64_t(1) << 40) || p.kernelHeight * p.kernelWidth >= kLimit) {
      throw Napi::RangeError::New(info.Env(), "convcore native: bad border params");
    }
    const float* weight = readFloatBuffer(info[1], p.planes * p.kernelHeight * p.kernelWidth, "weight");
    const int32_t* rowMap = readInt32Buffer(info[2], p.height + p.kernelHeight - 1, "rowMap");
    const int32_t* colMap = readInt32Buffer(info[3], p.width + p.kernelWidth - 1, "colMap");
    // The maps come from JavaScript: every entry must name a row or column (or −1).
    for (int64_t i = 0; i < p.height + p.kernelHeight - 1; ++i)
      if (rowMap[i] < -1 || rowMap[i] >= p.height) throw Napi::RangeError::New(info.Env(), "convcore native: rowMap out of range");
    for (int64_t i = 0; i < p.width + p.kernelWidth - 1; ++i)
      if (colMap[i] < -1 || colMap[i] >= p.width) throw Napi::RangeError::New(info.Env(), "convcore native: colMap out of range");
    const float* input = readFloatBuffer(info[4], p.planes * p.height * p.width, "input");
    float* output = readFloatBuffer(info[5], p.planes * p.height * p.width, "output");
    filterBorder(*pool_, p, weight, rowMap, colMap, input, output);
    return info.Env().Undefined();
  }

  // ---- element-wise ops: one object of named fields each (elementwise_args.h) ----------

  static Napi::Object callObject(const Napi::CallbackInfo& info) {
    if (!info[0].IsObject()) throw Napi::TypeError::New(info.Env(), "convcore native: expected a call object");
    return info[0].As<Napi::Object>();
  }

  // { op, layout, x, y, out }: out = x op y, broadcast.
  Napi::Value ElementwiseBinary(const Napi::CallbackInfo& info) {
    const Napi::Object call = callObject(info);
    const BinaryOp op = readBinaryOp(call);
    const BroadcastLayout l = readBroadcastLayout(call);
    const int64_t count = layoutCount(l.rank, l.sizes);
    if (count == 0) return info.Env().Undefined();
    const float* x = readField(call, "x", stridedExtent(l.rank, l.sizes, l.xStrides));
    const float* y = readField(call, "y", stridedExtent(l.rank, l.sizes, l.yStrides));
    float* out = readField(call, "out", count);
    elementwiseBinary(*pool_, op, l, x, y, out);
    return info.Env().Undefined();
  }

  // { op, layout, gradOutput, x, y, gradX?, gradY? }: the gradients at the broadcast shape.
  Napi::Value ElementwiseBinaryBackward(const Napi::CallbackInfo& info) {
    const Napi::Object call = callObject(info);
    const BinaryOp op = readBinaryOp(call);
    const BroadcastLayout l = readBroadcastLayout(call);
    const int64_t count = layoutCount(l.rank, l.sizes);
    if (count == 0) return info.Env().Undefined();
    const float* g = readField(call, "gradOutput", count);
    const float* x = readField(call, "x", stridedExtent(l.rank, l.sizes, l.xStrides));
    const float* y = readField(call, "y", stridedExtent(l.rank, l.sizes, l.yStrides));
    float* gx = readField(call, "gradX", count, true);
    float* gy = readField(call, "gradY", count, true);
    elementwiseBinaryBackward(*pool_, op, l, g, x, y, gx, gy);
    return info.Env().Undefined();
  }

  // { op, a?, b?, x, out }
  Napi::Value ElementwiseUnary(const Napi::CallbackInfo& info) {
    const Napi::Object call = callObject(info);
    const UnaryParams u = readUnaryParams(call);
    const int64_t n = floatLength(call.Get("x"), "x");
    const float* x = readField(call, "x", n);
    float* out = readField(call, "out", n);
    elementwiseUnary(*pool_, u, x, n, out);
    return info.Env().Undefined();
  }

  // { op, a?, b?, gradOutput, x, output, gradInput }
  Napi::Value ElementwiseUnaryBackward(const Napi::CallbackInfo& info) {
    const Napi::Object call = callObject(info);
    const UnaryParams u = readUnaryParams(call);
    const int64_t n = floatLength(call.Get("gradOutput"), "gradOutput");
    const float* g = readField(call, "gradOutput", n);
    const float* x = readField(call, "x", n);
    const float* y = readField(call, "output", n);
    float* gx = readField(call, "gradInput", n);
    elementwiseUnaryBackward(*pool_, u, g, x, y, n, gx);
    return info.Env().Undefined();
  }

  // { op, sizes, reduced, scale, x, out }
  Napi::Value Reduce(const Napi::CallbackInfo& info) {
    const Napi::Object call = callObject(info);
    const ReduceLayout l = readReduceLayout(call);
    const float* x = readField(call, "x", layoutCount(l.rank, l.sizes));
    float* out = readField(call, "out", reducedCount(l));
    reduceElements(*pool_, l, x, out);
    return info.Env().Undefined();
  }

  // { layout (with cStrides), condition, x, y, out }
  Napi::Value ElementwiseWhere(const Napi::CallbackInfo& info) {
    const Napi::Object call = callObject(info);
    const BroadcastLayout l = readBroadcastLayout(call);
    const int64_t count = layoutCount(l.rank, l.sizes);
    if (count == 0) return info.Env().Undefined();
    const float* c = readField(call, "condition", stridedExtent(l.rank, l.sizes, l.cStrides));
    const float* x = readField(call, "x", stridedExtent(l.rank, l.sizes, l.xStrides));
    const float* y = readField(call, "y", stridedExtent(l.rank, l.sizes, l.yStrides));
    float* out = readField(call, "out", count);
    elementwiseWhere(*pool_, l, c, x, y, out);
    return info.Env().Undefined();
  }

  // { layout (with cStrides), condition, gradOutput, gradX?, gradY? }
  Napi::Value ElementwiseWhereBackward(const Napi::CallbackInfo& info) {
    const Napi::Object call = callObject(info);
    const BroadcastLayout l = readBroadcastLayout(call);
    const int64_t count = layoutCount(l.rank, l.sizes);
    if (count == 0) return info.Env().Undefined();
    const float* c = readField(call, "condition", stridedExtent(l.rank, l.sizes, l.cStrides));
    const float* g = readField(call, "gradOutput", count);
    float* gx = readField(call, "gradX", count, true);
    float* gy = readField(call, "gradY", count, true);
    elementwiseWhereBackward(*pool_, l, c, g, gx, gy);
    return info.Env().Undefined();
  }

  // ---- per-channel statistics and affine maps (kernels/channel_norm.h) -----------------

  // { layout, x, mean, variance }
  Napi::Value ChannelMoments(const Napi::CallbackInfo& info) {
    const Napi::Object call = callObject(info);
    const ChannelLayout l = readChannelLayout(call);
    const float* x = readField(call, "x", channelLayoutCount(l));
    float* mean = readField(call, "mean", l.channels);
    float* variance = readField(call, "variance", l.channels);
    channelMoments(*pool_, l, x, mean, variance);
    return info.Env().Undefined();
  }

  // { layout, gradOutput, x, mean, sumG, sumGX }
  Napi::Value ChannelGradSums(const Napi::CallbackInfo& info) {
    const Napi::Object call = callObject(info);
    const ChannelLayout l = readChannelLayout(call);
    const float* g = readField(call, "gradOutput", channelLayoutCount(l));
    const float* x = readField(call, "x", channelLayoutCount(l));
    const float* mean = readField(call, "mean", l.channels);
    float* sumG = readField(call, "sumG", l.channels);
    float* sumGX = readField(call, "sumGX", l.channels);
    channelGradSums(*pool_, l, g, x, mean, sumG, sumGX);
    return info.Env().Undefined();
  }

  // { layout, u?, a?, v?, b?, m?, d, out }: out = a[c]·u + b[c]·(v − m[c]) + d[c].
  Napi::Value ChannelAffine(const Napi::CallbackInfo& info) {
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
    channelAffine(*pool_, l, t, out);
    return info.Env().Undefined();
  }

  Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
    const Napi::Env env = info.Env();
    if (!info[0].IsNumber()) throw Napi::TypeError::New(env, "convcore native: threads");
    const double n = info[0].As<Napi::Number>().DoubleValue();
    if (!(n >= 1 && n <= 1024) || n != static_cast<int>(n)) {
      throw Napi::RangeError::New(env, "convcore native: threads must be in 1..1024");
    }
    pool_->resize(static_cast<int>(n));
    return env.Undefined();
  }

  Napi::Value GetNumThreads(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), pool_->size());
  }

  Napi::Value Isa(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), isaName(activeIsa()));
  }

  // (bytes) → whether the C library's allocator took the limit (malloc_cache.h).
  Napi::Value SetMallocCacheLimit(const Napi::CallbackInfo& info) {
    const Napi::Env env = info.Env();
    if (!info[0].IsNumber()) throw Napi::TypeError::New(env, "convcore native: cache limit bytes");
    const double bytes = info[0].As<Napi::Number>().DoubleValue();
    if (!(bytes >= 0 && bytes <= 9007199254740991.0) || bytes != static_cast<double>(static_cast<uint64_t>(bytes))) {
      throw Napi::RangeError::New(env, "convcore native: cache limit must be a non-negative integer");
    }
    return Napi::Boolean::New(env, setMallocCacheLimit(static_cast<size_t>(bytes)));
  }

  Napi::Value ReleaseMallocCache(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), releaseMallocCache());
  }

  // (arrayBuffer) → the bytes from its start to the next 64-byte boundary (a cache line,
  // a zmm): where lib/alloc.ts starts a result's view.
  Napi::Value AlignmentShift(const Napi::CallbackInfo& info) {
    if (!info[0].IsArrayBuffer()) throw Napi::TypeError::New(info.Env(), "convcore native: expected an ArrayBuffer");
    const auto address = reinterpret_cast<uintptr_t>(info[0].As<Napi::ArrayBuffer>().Data());
    return Napi::Number::New(info.Env(), static_cast<double>((64 - address % 64) % 64));
  }

  // (seconds) → GFLOP/s of independent FMA chains on every pool thread at once: the
  // benchmark's measured peak.
  // (seconds, isa?): the FMA peak of the active level's vector, or of the named level
  // ('generic', 'avx2', 'avx512', 'neon') where the CPU has it.
  Napi::Value FmaPeak(const Napi::CallbackInfo& info) {
    const double seconds = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0.2;
    if (!(seconds > 0 && seconds <= 10)) {
      throw Napi::RangeError::New(info.Env(), "convcore native: seconds must be in (0, 10]");
    }
    convcore::Isa isa = activeIsa();
    if (info.Length() > 1 && info[1].IsString()) {
      const std::string name = info[1].As<Napi::String>().Utf8Value();
      if (!convcore::isaFromName(name.c_str(), &isa) || !convcore::cpuHas(isa)) {
        throw Napi::RangeError::New(info.Env(), "convcore native: no such ISA on this CPU: " + name);
      }
    }
    const int threads = pool_->size();
    std::vector<double> gigaflops(threads, 0.0);
    const auto start = std::chrono::steady_clock::now();
    pool_->parallelFor(threads, 1, [&](int64_t first, int64_t last) {
      for (int64_t i = first; i < last; ++i) gigaflops[i] = fmaPeakGflops(seconds, isa) * seconds;
    });
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double total = 0;
    for (double g : gigaflops) total += g;
    return Napi::Number::New(info.Env(), total / wall);
  }

  // (src, dst) Float32Arrays of one length: copied by every pool thread, a slice each;
  // the benchmark's measure of memory bandwidth.
  Napi::Value ParallelCopy(const Napi::CallbackInfo& info) {
    const int64_t length = info[0].IsTypedArray() ? info[0].As<Napi::TypedArray>().ElementLength() : 0;
    const float* src = readFloatBuffer(info[0], length, "src");
    float* dst = readFloatBuffer(info[1], length, "dst");
    const int64_t threads = pool_->size();
    pool_->parallelFor(threads, 1, [&](int64_t first, int64_t last) {
      for (int64_t i = first; i < last; ++i) {
        const int64_t begin = i * length / threads, end = (i + 1) * length / threads;
        std::memcpy(dst + begin, src + begin, static_cast<size_t>(end - begin) * sizeof(float));
      }
    });
    return info.Env().Undefined();
  }

  std::shared_ptr<ThreadPool> pool_;
};

}  // namespace
}  // namespace convcore

using convcore::ConvcoreAddon;
NODE_API_ADDON(ConvcoreAddon)
