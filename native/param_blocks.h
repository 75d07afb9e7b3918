// The parameter blocks JavaScript passes to the addon, each defined once here: its name,
// its fields in order and their kind. JavaScript never writes an order of its own: the
// addon exports every block's field names (paramBlocks), and lib/param-blocks.ts packs a
// Float64Array by those names from an object of named values, refusing a block whose
// names do not match its own (a stale build). C++ reads the array into a struct with
// the same field names.
#pragma once

#include <napi.h>

#include <cstdint>

namespace convcore {

// Each list: X(type, name) for every field, in the packed order.
#define CONVCORE_CONV_FIELDS(X, T)                                                                     \
  X(T, batch) X(T, inChannels) X(T, inDepth) X(T, inHeight) X(T, inWidth) X(T, outChannels)            \
  X(T, kernelDepth) X(T, kernelHeight) X(T, kernelWidth) X(T, outDepth) X(T, outHeight) X(T, outWidth) \
  X(T, strideD) X(T, strideH) X(T, strideW) X(T, padFront) X(T, padTop) X(T, padLeft)                  \
  X(T, dilationD) X(T, dilationH) X(T, dilationW) X(T, groups)
#define CONVCORE_MATMUL_FIELDS(X, T) X(T, m) X(T, n) X(T, k) X(T, transA) X(T, transB) X(T, accumulate)
#define CONVCORE_POOL_FIELDS(X, T)                                                                \
  X(T, planes) X(T, inHeight) X(T, inWidth) X(T, kernelHeight) X(T, kernelWidth) X(T, strideH)    \
  X(T, strideW) X(T, padTop) X(T, padLeft) X(T, outHeight) X(T, outWidth) X(T, countIncludePad)
#define CONVCORE_SGD_FIELDS(X, T) \
  X(T, lr) X(T, momentum) X(T, dampening) X(T, weightDecay) X(T, nesterov) X(T, maximize) X(T, firstStep)
#define CONVCORE_ADAM_FIELDS(X, T)                                                                 \
  X(T, lr) X(T, beta1) X(T, beta2) X(T, eps) X(T, weightDecay) X(T, decoupled) X(T, maximize)      \
  X(T, stepSize) X(T, correction2)
#define CONVCORE_PLANES_FROM_PIXELS_FIELDS(X, T) X(T, pixels) X(T, channels) X(T, colour) X(T, alphaChannel)
#define CONVCORE_PIXELS_FROM_PLANES_FIELDS(X, T) X(T, pixels) X(T, colour) X(T, abs) X(T, offset) X(T, round)
#define CONVCORE_FILTER8_FIELDS(X, T)                                                              \
  X(T, height) X(T, rowElements) X(T, channels) X(T, kernelHeight) X(T, kernelWidth) X(T, padTop)  \
  X(T, padLeftPixels) X(T, abs) X(T, offset)
#define CONVCORE_RESTORE_ALPHA_FIELDS(X, T) X(T, pixels) X(T, channels)
#define CONVCORE_FILTER_BORDER_FIELDS(X, T) \
  X(T, planes) X(T, height) X(T, width) X(T, kernelHeight) X(T, kernelWidth) X(T, padTop) X(T, padLeft)
#define CONVCORE_CHANNEL_LAYOUT_FIELDS(X, T) X(T, outer) X(T, channels) X(T, inner)

#define CONVCORE_FIELD_DECLARE(T, name) T name;
#define CONVCORE_FIELD_NAME(T, name) #name,
#define CONVCORE_FIELD_ASSIGN(T, name) block.name = values[i++];

// A struct per block: its fields, its name for messages and for JavaScript, its field
// names in order, and how to fill it from the packed values. Integer blocks hold int64
// (each value checked to be an integer); number blocks hold double (each finite).
#define CONVCORE_PARAM_BLOCK(Struct, label, FIELDS, T)                                      \
  struct Struct {                                                                           \
    FIELDS(CONVCORE_FIELD_DECLARE, T)                                                       \
    using Value = T;                                                                        \
    static constexpr const char* kName = label;                                             \
    static constexpr const char* kFields[] = {FIELDS(CONVCORE_FIELD_NAME, T)};              \
    static constexpr int kCount = static_cast<int>(sizeof(kFields) / sizeof(kFields[0]));   \
    static Struct from(const T* values) {                                                   \
      Struct block{};                                                                       \
      int i = 0;                                                                            \
      FIELDS(CONVCORE_FIELD_ASSIGN, T)                                                      \
      return block;                                                                         \
    }                                                                                       \
  };

CONVCORE_PARAM_BLOCK(ConvFields, "conv", CONVCORE_CONV_FIELDS, int64_t)
CONVCORE_PARAM_BLOCK(MatmulFields, "matmul", CONVCORE_MATMUL_FIELDS, int64_t)
CONVCORE_PARAM_BLOCK(PoolFields, "pool", CONVCORE_POOL_FIELDS, int64_t)
CONVCORE_PARAM_BLOCK(SgdFields, "sgd", CONVCORE_SGD_FIELDS, double)
CONVCORE_PARAM_BLOCK(AdamFields, "adam", CONVCORE_ADAM_FIELDS, double)
CONVCORE_PARAM_BLOCK(PlanesFromPixelsFields, "planesFromPixels", CONVCORE_PLANES_FROM_PIXELS_FIELDS, int64_t)
CONVCORE_PARAM_BLOCK(PixelsFromPlanesFields, "pixelsFromPlanes", CONVCORE_PIXELS_FROM_PLANES_FIELDS, double)
CONVCORE_PARAM_BLOCK(Filter8Fields, "filter8", CONVCORE_FILTER8_FIELDS, double)
CONVCORE_PARAM_BLOCK(RestoreAlphaFields, "restoreAlpha", CONVCORE_RESTORE_ALPHA_FIELDS, int64_t)
CONVCORE_PARAM_BLOCK(FilterBorderFields, "filterBorder", CONVCORE_FILTER_BORDER_FIELDS, int64_t)
CONVCORE_PARAM_BLOCK(ChannelLayoutFields, "channelLayout", CONVCORE_CHANNEL_LAYOUT_FIELDS, int64_t)

// Calls fn(Block{}) for every block (to export their field names).
template <typename Fn>
void forEachParamBlock(const Fn& fn) {
  fn(ConvFields{});
  fn(MatmulFields{});
  fn(PoolFields{});
  fn(SgdFields{});
  fn(AdamFields{});
  fn(PlanesFromPixelsFields{});
  fn(PixelsFromPlanesFields{});
  fn(Filter8Fields{});
  fn(RestoreAlphaFields{});
  fn(FilterBorderFields{});
  fn(ChannelLayoutFields{});
}

// { conv: ['batch', …], matmul: [...], … }: what lib/param-blocks.ts packs by.
Napi::Object paramBlockFields(Napi::Env env);

}  // namespace convcore
