#include "napi_args.h"

#include <cmath>
#include <string>

namespace convcore {

namespace {

// One napi_get_typedarray_info call (node-addon-api's accessors make one each):
// the element type, length and data pointer, or false for anything but a typed array.
// (napi_get_typedarray_info answers napi_invalid_arg, without throwing, for anything
// that is not a typed array, so no separate napi_is_typedarray call is needed.)
bool typedArrayInfo(const Napi::Value& value, napi_typedarray_type* type, size_t* length,
                    void** data) {
  return napi_get_typedarray_info(value.Env(), value, type, length, data, nullptr, nullptr) == napi_ok;
}

}  // namespace

ConvParams readConvParams(const Napi::Value& value) {
  const Napi::Env env = value.Env();
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (!typedArrayInfo(value, &type, &length, &data) || type != napi_float64_array ||
      length != kConvParamCount) {
    throw Napi::TypeError::New(
        env, "convcore native: expected params to be a Float64Array of 16 integers");
  }
  const double* raw = static_cast<const double*>(data);
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
  napi_typedarray_type type;
  size_t actual = 0;
  void* data = nullptr;
  if (!typedArrayInfo(value, &type, &actual, &data) || type != napi_float32_array) {
    throw Napi::TypeError::New(
        env, std::string("convcore native: expected ") + name + " to be a Float32Array");
  }
  if (static_cast<int64_t>(actual) != length) {
    throw Napi::RangeError::New(env, std::string("convcore native: expected ") + name +
                                         " to have " + std::to_string(length) +
                                         " elements, but it has " + std::to_string(actual));
  }
  return static_cast<float*>(data);
}

}  // namespace convcore
