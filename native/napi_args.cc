#include "napi_args.h"

#include <algorithm>
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

// A finite integer small enough for int64 index arithmetic.
bool isInteger(double v) { return std::isfinite(v) && v == std::floor(v) && std::fabs(v) <= 9.0e15; }

Napi::RangeError notAnInteger(const Napi::Env& env, const std::string& name, double v) {
  return Napi::RangeError::New(env, "convcore native: expected " + name + " to be an integer, but got " + std::to_string(v));
}

}  // namespace

void readIntegers(const Napi::Value& value, int count, const char* what, int64_t* out) {
  const double* raw = float64Values(value, count, what, "integers");
  for (int i = 0; i < count; ++i) {
    if (!isInteger(raw[i])) throw notAnInteger(value.Env(), std::string(what) + "[" + std::to_string(i) + "]", raw[i]);
    out[i] = static_cast<int64_t>(raw[i]);
  }
}

void readFields(const Napi::Value& value, int count, const char* block, const char* const* names,
                const bool* integer, double* out) {
  const bool integers = std::all_of(integer, integer + count, [](bool b) { return b; });
  const double* raw = float64Values(value, count, block, integers ? "integers" : "numbers");
  for (int i = 0; i < count; ++i) {
    const std::string name = std::string(block) + "." + names[i];
    if (integer[i] && !isInteger(raw[i])) throw notAnInteger(value.Env(), name, raw[i]);
    if (!std::isfinite(raw[i])) throw Napi::RangeError::New(value.Env(), "convcore native: expected " + name + " to be finite");
    out[i] = raw[i];
  }
}

Napi::Object paramBlockFields(Napi::Env env) {
  Napi::Object blocks = Napi::Object::New(env);
  forEachParamBlock([&](auto block) {
    using Block = decltype(block);
    Napi::Array names = Napi::Array::New(env, Block::kCount);
    for (int i = 0; i < Block::kCount; ++i) names.Set(static_cast<uint32_t>(i), Block::kFields[i]);
    blocks.Set(Block::kName, names);
  });
  return blocks;
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
  const ConvFields f = readBlock<ConvFields>(value);
  VolumeParams p{};
  ConvParams& q = p.plane;
  q.batch = f.batch;
  q.inChannels = f.inChannels;
  q.inHeight = f.inHeight;
  q.inWidth = f.inWidth;
  q.outChannels = f.outChannels;
  q.kernelHeight = f.kernelHeight;
  q.kernelWidth = f.kernelWidth;
  q.outHeight = f.outHeight;
  q.outWidth = f.outWidth;
  q.strideH = f.strideH;
  q.strideW = f.strideW;
  q.padTop = f.padTop;
  q.padLeft = f.padLeft;
  q.dilationH = f.dilationH;
  q.dilationW = f.dilationW;
  q.groups = f.groups;
  p.inDepth = f.inDepth;
  p.kernelDepth = f.kernelDepth;
  p.outDepth = f.outDepth;
  p.strideD = f.strideD;
  p.padFront = f.padFront;
  p.dilationD = f.dilationD;
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
