#include "elementwise_args.h"

#include <string>

#include "napi_args.h"

namespace convcore {

Napi::Object callObject(const Napi::CallbackInfo& info) {
  if (!info[0].IsObject()) throw Napi::TypeError::New(info.Env(), "convcore native: expected a call object");
  return info[0].As<Napi::Object>();
}

namespace {

std::string readOpName(const Napi::Object& call) {
  const Napi::Value op = call.Get("op");
  if (!op.IsString()) throw Napi::TypeError::New(call.Env(), "convcore native: op must be a string");
  return op.As<Napi::String>().Utf8Value();
}

// A Float64Array field's length (1..8), checked before it is read.
int layoutRank(const Napi::Object& call, const Napi::Object& from, const char* name) {
  const Napi::Value value = from.Get(name);
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    throw Napi::TypeError::New(call.Env(), std::string("convcore native: ") + name + " must be a Float64Array");
  }
  const size_t length = value.As<Napi::TypedArray>().ElementLength();
  if (length < 1 || length > kMaxLayoutRank) {
    throw Napi::RangeError::New(call.Env(), std::string("convcore native: ") + name + " must have 1..8 elements");
  }
  return static_cast<int>(length);
}

void throwIf(const Napi::Env& env, const char* problem) {
  if (problem != nullptr) throw Napi::RangeError::New(env, std::string("convcore native: ") + problem);
}

}  // namespace

BinaryOp readBinaryOp(const Napi::Object& call) {
  const std::string op = readOpName(call);
  if (op == "add") return BinaryOp::kAdd;
  if (op == "sub") return BinaryOp::kSub;
  if (op == "mul") return BinaryOp::kMul;
  if (op == "div") return BinaryOp::kDiv;
  if (op == "maximum") return BinaryOp::kMaximum;
  if (op == "minimum") return BinaryOp::kMinimum;
  throw Napi::RangeError::New(call.Env(), "convcore native: unknown binary op " + op);
}

UnaryParams readUnaryParams(const Napi::Object& call) {
  const std::string op = readOpName(call);
  UnaryParams u{UnaryOp::kNeg, 0.0f, 0.0f};
  if (op == "neg") u.op = UnaryOp::kNeg;
  else if (op == "square") u.op = UnaryOp::kSquare;
  else if (op == "pow") u.op = UnaryOp::kPow;
  else if (op == "exp") u.op = UnaryOp::kExp;
  else if (op == "log") u.op = UnaryOp::kLog;
  else if (op == "sqrt") u.op = UnaryOp::kSqrt;
  else if (op == "rsqrt") u.op = UnaryOp::kRsqrt;
  else if (op == "abs") u.op = UnaryOp::kAbs;
  else if (op == "clamp") u.op = UnaryOp::kClamp;
  else if (op == "leakyRelu") u.op = UnaryOp::kLeakyRelu;
  else if (op == "silu") u.op = UnaryOp::kSilu;
  else if (op == "gelu") u.op = UnaryOp::kGelu;
  else if (op == "geluTanh") u.op = UnaryOp::kGeluTanh;
  else if (op == "hardswish") u.op = UnaryOp::kHardswish;
  else if (op == "hardtanh") u.op = UnaryOp::kHardtanh;
  else throw Napi::RangeError::New(call.Env(), "convcore native: unknown unary op " + op);
  const auto scalar = [&](const char* name) {
    const Napi::Value v = call.Get(name);
    if (v.IsUndefined()) return 0.0f;
    if (!v.IsNumber()) throw Napi::TypeError::New(call.Env(), std::string("convcore native: ") + name + " must be a number");
    return static_cast<float>(v.As<Napi::Number>().DoubleValue());
  };
  u.a = scalar("a");
  u.b = scalar("b");
  return u;
}

BroadcastLayout readBroadcastLayout(const Napi::Object& call) {
  const Napi::Value value = call.Get("layout");
  if (!value.IsObject()) throw Napi::TypeError::New(call.Env(), "convcore native: layout must be an object");
  const Napi::Object layout = value.As<Napi::Object>();
  BroadcastLayout l{};
  l.rank = layoutRank(call, layout, "sizes");
  if (layoutRank(call, layout, "xStrides") != l.rank || layoutRank(call, layout, "yStrides") != l.rank) {
    throw Napi::RangeError::New(call.Env(), "convcore native: layout arrays must have one length");
  }
  readIntegers(layout.Get("sizes"), l.rank, "layout.sizes", l.sizes);
  readIntegers(layout.Get("xStrides"), l.rank, "layout.xStrides", l.xStrides);
  readIntegers(layout.Get("yStrides"), l.rank, "layout.yStrides", l.yStrides);
  if (!layout.Get("cStrides").IsUndefined()) {  // where's condition
    if (layoutRank(call, layout, "cStrides") != l.rank) {
      throw Napi::RangeError::New(call.Env(), "convcore native: layout arrays must have one length");
    }
    readIntegers(layout.Get("cStrides"), l.rank, "layout.cStrides", l.cStrides);
  }
  throwIf(call.Env(), checkBroadcastLayout(l));
  return l;
}

ReduceLayout readReduceLayout(const Napi::Object& call) {
  const std::string op = readOpName(call);
  ReduceLayout l{};
  if (op == "sum") l.op = ReduceOp::kSum;
  else if (op == "max") l.op = ReduceOp::kMax;
  else if (op == "min") l.op = ReduceOp::kMin;
  else throw Napi::RangeError::New(call.Env(), "convcore native: unknown reduction " + op);
  l.rank = layoutRank(call, call, "sizes");
  if (layoutRank(call, call, "reduced") != l.rank) {
    throw Napi::RangeError::New(call.Env(), "convcore native: reduced must have one flag per size");
  }
  readIntegers(call.Get("sizes"), l.rank, "sizes", l.sizes);
  int64_t flags[kMaxLayoutRank];
  readIntegers(call.Get("reduced"), l.rank, "reduced", flags);
  for (int d = 0; d < l.rank; ++d) l.reduced[d] = flags[d] != 0;
  const Napi::Value scale = call.Get("scale");
  if (!scale.IsNumber()) throw Napi::TypeError::New(call.Env(), "convcore native: scale must be a number");
  l.scale = scale.As<Napi::Number>().DoubleValue();
  throwIf(call.Env(), checkReduceLayout(l));
  return l;
}

ArgReduceLayout readArgReduceLayout(const Napi::Object& call) {
  const std::string op = readOpName(call);
  if (op != "argmax" && op != "argmin") {
    throw Napi::RangeError::New(call.Env(), "convcore native: unknown argument reduction " + op);
  }
  const ArgReduceLayoutFields f = readBlock<ArgReduceLayoutFields>(call.Get("layout"));
  const ArgReduceLayout l{f.outer, f.length, f.inner, op == "argmax"};
  throwIf(call.Env(), checkArgReduceLayout(l));
  return l;
}

ChannelLayout readChannelLayout(const Napi::Object& call) {
  const ChannelLayoutFields f = readBlock<ChannelLayoutFields>(call.Get("layout"));
  const ChannelLayout l{f.outer, f.channels, f.inner};
  throwIf(call.Env(), checkChannelLayout(l));
  return l;
}

float* readField(const Napi::Object& call, const char* name, int64_t length, bool optional) {
  return readFloatBuffer(call.Get(name), length, name, optional);
}

}  // namespace convcore
