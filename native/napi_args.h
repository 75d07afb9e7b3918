// Unpacking JavaScript arguments for the kernels. The TypeScript layer has already
// validated everything with friendly messages; these checks exist so that no call from
// JavaScript, however wrong, can make the kernels read or write out of bounds.
#pragma once

#include <napi.h>

#include <cstdint>

#include "kernels/conv_params.h"
#include "param_blocks.h"

namespace convcore {

// A Float64Array of exactly `count` integers (|v| < 9e15) copied into `out`; `what`
// names it in the error message.
void readIntegers(const Napi::Value& value, int count, const char* what, int64_t* out);

// A Float64Array of exactly `count` values into `out`, each finite, and an integer
// (|v| < 9e15) where integer[i]; errors name the block and the field.
void readFields(const Napi::Value& value, int count, const char* block, const char* const* names,
                const bool* integer, double* out);

// A parameter block (param_blocks.h) from the Float64Array JavaScript packed by its names.
template <typename Block>
Block readBlock(const Napi::Value& value) {
  double values[Block::kCount];
  readFields(value, Block::kCount, Block::kName, Block::kFields, Block::kInteger, values);
  return Block::from(values);
}

// The conv block as the kernels' geometry, checked for consistency.
VolumeParams readConvParams(const Napi::Value& value);

// The length of a Float32Array (for element-wise kernels that take any length).
int64_t floatLength(const Napi::Value& value, const char* name);

// A Uint8Array (or Buffer) of exactly `length` bytes, or nullptr when `value` is null
// or undefined and `optional` is true.
uint8_t* readByteBuffer(const Napi::Value& value, int64_t length, const char* name, bool optional = false);

// An Int32Array of exactly `length` elements.
int32_t* readInt32Buffer(const Napi::Value& value, int64_t length, const char* name);

// A Float32Array of exactly `length` elements, or nullptr when `value` is null or
// undefined and `optional` is true. `name` appears in the error message.
float* readFloatBuffer(const Napi::Value& value, int64_t length, const char* name,
                       bool optional = false);

}  // namespace convcore
