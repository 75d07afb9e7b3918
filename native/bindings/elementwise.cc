// Element-wise ops, reductions and where: one object of named fields per call
// (elementwise_args.h reads it and checks every buffer against the layout).
#include "../elementwise_args.h"
#include "../napi_args.h"
#include "exports.h"

namespace convcore {

namespace {

// { op, layout, x, y, out }: out = x op y, broadcast.
Napi::Value binary(const Napi::CallbackInfo& info) {
  const Napi::Object call = callObject(info);
  const BinaryOp op = readBinaryOp(call);
  const BroadcastLayout l = readBroadcastLayout(call);
  const int64_t count = layoutCount(l.rank, l.sizes);
  if (count == 0) return info.Env().Undefined();
  const float* x = readField(call, "x", stridedExtent(l.rank, l.sizes, l.xStrides));
  const float* y = readField(call, "y", stridedExtent(l.rank, l.sizes, l.yStrides));
  float* out = readField(call, "out", count);
  elementwiseBinary(threadPool(info.Env()), op, l, x, y, out);
  return info.Env().Undefined();
}

// { op, layout, gradOutput, x, y, gradX?, gradY? }: the gradients at the broadcast shape.
Napi::Value binaryBackward(const Napi::CallbackInfo& info) {
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
  elementwiseBinaryBackward(threadPool(info.Env()), op, l, g, x, y, gx, gy);
  return info.Env().Undefined();
}

// { op, a?, b?, x, out }
Napi::Value unary(const Napi::CallbackInfo& info) {
  const Napi::Object call = callObject(info);
  const UnaryParams u = readUnaryParams(call);
  const int64_t n = floatLength(call.Get("x"), "x");
  const float* x = readField(call, "x", n);
  float* out = readField(call, "out", n);
  elementwiseUnary(threadPool(info.Env()), u, x, n, out);
  return info.Env().Undefined();
}

// { op, a?, b?, gradOutput, x, output, gradInput }
Napi::Value unaryBackward(const Napi::CallbackInfo& info) {
  const Napi::Object call = callObject(info);
  const UnaryParams u = readUnaryParams(call);
  const int64_t n = floatLength(call.Get("gradOutput"), "gradOutput");
  const float* g = readField(call, "gradOutput", n);
  const float* x = readField(call, "x", n);
  const float* y = readField(call, "output", n);
  float* gx = readField(call, "gradInput", n);
  elementwiseUnaryBackward(threadPool(info.Env()), u, g, x, y, n, gx);
  return info.Env().Undefined();
}

// { op, sizes, reduced, scale, x, out }
Napi::Value reduce(const Napi::CallbackInfo& info) {
  const Napi::Object call = callObject(info);
  const ReduceLayout l = readReduceLayout(call);
  const float* x = readField(call, "x", layoutCount(l.rank, l.sizes));
  float* out = readField(call, "out", reducedCount(l));
  reduceElements(threadPool(info.Env()), l, x, out);
  return info.Env().Undefined();
}

// { op: 'argmax' | 'argmin', layout (argReduceLayout), x, out }
Napi::Value argReduce(const Napi::CallbackInfo& info) {
  const Napi::Object call = callObject(info);
  const ArgReduceLayout l = readArgReduceLayout(call);
  const float* x = readField(call, "x", l.outer * l.length * l.inner);
  float* out = readField(call, "out", l.outer * l.inner);
  argReduceElements(threadPool(info.Env()), l, x, out);
  return info.Env().Undefined();
}

// { layout (with cStrides), condition, x, y, out }
Napi::Value where(const Napi::CallbackInfo& info) {
  const Napi::Object call = callObject(info);
  const BroadcastLayout l = readBroadcastLayout(call);
  const int64_t count = layoutCount(l.rank, l.sizes);
  if (count == 0) return info.Env().Undefined();
  const float* c = readField(call, "condition", stridedExtent(l.rank, l.sizes, l.cStrides));
  const float* x = readField(call, "x", stridedExtent(l.rank, l.sizes, l.xStrides));
  const float* y = readField(call, "y", stridedExtent(l.rank, l.sizes, l.yStrides));
  float* out = readField(call, "out", count);
  elementwiseWhere(threadPool(info.Env()), l, c, x, y, out);
  return info.Env().Undefined();
}

// { layout (with cStrides), condition, gradOutput, gradX?, gradY? }
Napi::Value whereBackward(const Napi::CallbackInfo& info) {
  const Napi::Object call = callObject(info);
  const BroadcastLayout l = readBroadcastLayout(call);
  const int64_t count = layoutCount(l.rank, l.sizes);
  if (count == 0) return info.Env().Undefined();
  const float* c = readField(call, "condition", stridedExtent(l.rank, l.sizes, l.cStrides));
  const float* g = readField(call, "gradOutput", count);
  float* gx = readField(call, "gradX", count, true);
  float* gy = readField(call, "gradY", count, true);
  elementwiseWhereBackward(threadPool(info.Env()), l, c, g, gx, gy);
  return info.Env().Undefined();
}

}  // namespace

void exportElementwise(Napi::Env env, Napi::Object exports) {
  defineMethods(env, exports, {
      {"elementwiseBinary", binary},
      {"elementwiseBinaryBackward", binaryBackward},
      {"elementwiseUnary", unary},
      {"elementwiseUnaryBackward", unaryBackward},
      {"reduce", reduce},
      {"argReduce", argReduce},
      {"elementwiseWhere", where},
      {"elementwiseWhereBackward", whereBackward},
  });
}

}  // namespace convcore
