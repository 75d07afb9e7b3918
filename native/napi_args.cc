#include "napi_args.h"

#include <cmath>
#include <string>

namespace convcore {

ConvParams readConvParams(const Napi::Value& value) {
  const Napi::Env env = value.Env();
  if (!value.IsTypedArray() ||
      value.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
      value.As<Napi::TypedArray>().ElementLength() != kConvParamCount) {
    throw Napi::TypeError::New(
        env, "convcore native: expected params to be a Float64Array of 16 integers");
  }
  const double* raw = value.As<Napi::Float64Array>().Data();
  int64_t fields[kConvParamCount];
  for (int i = 0; i < kConvParamCount; ++i) {
    const double v = raw[i];
    if (!std::isfinite(v) || v != std::floor(v) || std::fabs(v) > 9.0e15) {
      throw Napi::RangeError::New(
          env, "convcore native: expected params[" + std::to_string(i) +
                   "] to be an integer, but got " + std::to_string(v));
    }
    fields[i] = static_cast<int64_t>(v);
  }
  ConvParams p{fields[0],  fields[1],  fields[2],  fields[3],  fields[4],  fields[5],
               fields[6],  fields[7],  fields[8],  fields[9],  fields[10], fields[11],
               fields[12], fields[13], fields[14], fields[15]};
  if (const char* problem = checkConvParams(p)) {
    throw Napi::RangeError::New(env, std::string("convcore native: ") + problem);
  }
  return p;
}

float* readFloatBuffer(const Napi::Value& value, int64_t length, const char* name,
                       bool optional) {
  const Napi::Env env = value.Env();
  if (optional && (value.IsNull() || value.IsUndefined())) return nullptr;
  if (!value.IsTypedArray() ||
      value.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(
        env, std::string("convcore native: expected ") + name + " to be a Float32Array");
  }
  auto array = value.As<Napi::Float32Array>();
  if (static_cast<int64_t>(array.ElementLength()) != length) {
    throw Napi::RangeError::New(env, std::string("convcore native: expected ") + name +
                                         " to have " + std::to_string(length) +
                                         " elements, but it has " +
                                         std::to_string(array.ElementLength()));
  }
  return array.Data();
}

}  // namespace convcore
