// Unpacking JavaScript arguments for the kernels. The TypeScript layer has already
// validated everything with friendly messages; these checks exist so that no call from
// JavaScript, however wrong, can make the kernels read or write out of bounds.
#pragma once

#include <napi.h>

#include <cstdint>

#include "kernels/conv_params.h"

namespace convcore {

// params: a Float64Array of kConvParamCount integers, in the order conv_params.h gives.
VolumeParams readConvParams(const Napi::Value& value);

// A Float32Array of exactly `length` elements, or nullptr when `value` is null or
// undefined and `optional` is true. `name` appears in the error message.
float* readFloatBuffer(const Napi::Value& value, int64_t length, const char* name,
                       bool optional = false);

}  // namespace convcore
