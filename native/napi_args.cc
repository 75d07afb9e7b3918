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

// The values of a Float64Array of exactly `count` elements.
const double* float64Values(const Napi::Value& value, int count, const char* what, const char* kind) {
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (!typedArrayInfo(value, &type, &length, &data) || type != napi_float64_array ||
      length != static_cast<size_t>(count)) {
    throw Napi::TypeError::New(value.Env(), std::string("convcore native: expected ") + what +
                                                " to be a Float64Array of " + std::to_string(count) + " " + kind);
  }
  return static_cast<const double*>(data);
}

// The data of a typed array of `type` with exactly `length` elements (`unit` names them
// in the message), or nullptr for an optional null/undefined one.
void* typedBuffer(const Napi::Value& value, int64_t length, const char* name, bool optional,
                  napi_typedarray_type type, const char* typeName, const char* unit) {
  const Napi::Env env = value.Env();
  if (optional && (value.IsNull() || value.IsUndefined())) return nullptr;
  napi_typedarray_type actualType;
  size_t actual = 0;
  void* data = nullptr;
  if (!typedArrayInfo(value, &actualType, &actual, &data) || actualType != type) {
    throw Napi::TypeError::New(env, std::string("convcore native: expected ") + name + " to be " + typeName);
  }
  if (static_cast<int64_t>(actual) != length) {
    throw Napi::RangeError::New(env, std::string("convcore native: expected ") + name + " to have " +
                                         std::to_string(length) + " " + unit + ", but it has " +
                                         std::to_string(actual));
  }
  return data;
}

}  // namespace

void readIntegers(const Napi::Value& value, int count, const char* what, int64_t* out) {
  const Napi::Env env = value.Env();
  const double* raw = float64Values(value, count, what, "integers");
  for (int i = 0; i < count; ++i) {
    const double v = raw[i];
    if (!std::isfinite(v) || v != std::floor(v) || std::fabs(v) > 9.0e15) {
      throw Napi::RangeError::New(env, std::string("convcore native: expected ") + what + "[" +
                                           std::to_string(i) + "] to be an integer, but got " +
                                           std::to_string(v));
    }
    out[i] = static_cast<int64_t>(v);
  }
}

void readNumbers(const Napi::Value& value, int count, const char* what, double* out) {
  const Napi::Env env = value.Env();
  const double* raw = float64Values(value, count, what, "numbers");
  for (int i = 0; i < count; ++i) {
    if (!std::isfinite(raw[i])) {
      throw Napi::RangeError::New(env, std::string("convcore native: expected ") + what + "[" +
                                           std::to_string(i) + "] to be finite");
    }
    out[i] = raw[i];
  }
}

int64_t floatLength(const Napi::Value& value, const char* name) {
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (!typedArrayInfo(value, &type, &length, &data) || type != napi_float32_array) {
    throw Napi::TypeError::New(value.Env(), std::string("convcore native: expected ") + name + " to be a Float32Array");
  }
  return static_cast<int64_t>(length);
}

VolumeParams readConvParams(const Napi::Value& value) {
  const Napi::Env env = value.Env();
  int64_t fields[kConvParamCount];
  readIntegers(value, kConvParamCount, "params", fields);
  const int64_t* f = fields;
  VolumeParams p{};
  p.plane = ConvParams{f[0], f[1], f[3], f[4], f[5], f[7], f[8], f[10], f[11],
                       f[13], f[14], f[16], f[17], f[19], f[20], f[21]};
  p.inDepth = f[2];
  p.kernelDepth = f[6];
  p.outDepth = f[9];
  p.strideD = f[12];
  p.padFront = f[15];
  p.dilationD = f[18];
  if (const char* problem = checkVolumeParams(p)) {
    throw Napi::RangeError::New(env, std::string("convcore native: ") + problem);
  }
  return p;
}

float* readFloatBuffer(const Napi::Value& value, int64_t length, const char* name,
                       bool optional) {
  return static_cast<float*>(typedBuffer(value, length, name, optional, napi_float32_array, "a Float32Array", "elements"));
}

uint8_t* readByteBuffer(const Napi::Value& value, int64_t length, const char* name, bool optional) {
  return static_cast<uint8_t*>(typedBuffer(value, length, name, optional, napi_uint8_array, "a Uint8Array", "bytes"));
}

int32_t* readInt32Buffer(const Napi::Value& value, int64_t length, const char* name) {
  return static_cast<int32_t*>(typedBuffer(value, length, name, false, napi_int32_array, "an Int32Array", "elements"));
}

}  // namespace convcore
