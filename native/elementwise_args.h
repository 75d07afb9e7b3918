// Element-wise and per-channel calls arrive as one object with named fields (not positional arguments):
// reading it, and checking every buffer against the layout, lives here.
#pragma once

#include <napi.h>

#include "kernels/channel_norm.h"
#include "kernels/elementwise.h"

namespace convcore {

// The call's single argument: the object of named fields.
Napi::Object callObject(const Napi::CallbackInfo& info);

BinaryOp readBinaryOp(const Napi::Object& call);
UnaryParams readUnaryParams(const Napi::Object& call);
// call.layout = { sizes, xStrides, yStrides, cStrides? } (Float64Arrays of one length, 1..8).
BroadcastLayout readBroadcastLayout(const Napi::Object& call);
// call.op ('sum' | 'max' | 'min'), call.sizes, call.reduced (Float64Arrays of 0/1), call.scale.
ReduceLayout readReduceLayout(const Napi::Object& call);

// call.op ('argmax' | 'argmin'), call.layout (the argReduceLayout block).
ArgReduceLayout readArgReduceLayout(const Napi::Object& call);

// call.layout = Float64Array [outer, channels, inner].
ChannelLayout readChannelLayout(const Napi::Object& call);

// The Float32Array call[name] (exactly `length` elements), or null where optional and absent.
float* readField(const Napi::Object& call, const char* name, int64_t length, bool optional = false);

}  // namespace convcore
