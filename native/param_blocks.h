// The parameter blocks JavaScript passes to the addon, each defined once here: its name,
// its fields in order and their kind. JavaScript never writes an order of its own: the
// addon exports every block's field names (paramBlocks), and lib/param-blocks.ts packs a
// Float64Array by those names from an object of named values, refusing a block whose
// names do not match its own (a stale build). C++ reads the array into a struct with
// the same field names and types.
#pragma once

#include <napi.h>

#include <cstdint>
#include <type_traits>

namespace convcore {

// Each list: X(type, name) for every field, in the packed order: int64_t fields must be
// integers, double fields finite numbers.
#define CONVCORE_CONV_FIELDS(X) \
  X(int64_t, batch) X(int64_t, inChannels) X(int64_t, inDepth) X(int64_t, inHeight) \
  X(int64_t, inWidth) X(int64_t, outChannels) X(int64_t, kernelDepth) X(int64_t, kernelHeight) \
  X(int64_t, kernelWidth) X(int64_t, outDepth) X(int64_t, outHeight) X(int64_t, outWidth) \
  X(int64_t, strideD) X(int64_t, strideH) X(int64_t, strideW) X(int64_t, padFront) \
  X(int64_t, padTop) X(int64_t, padLeft) X(int64_t, dilationD) X(int64_t, dilationH) \
  X(int64_t, dilationW) X(int64_t, groups)
#define CONVCORE_MATMUL_FIELDS(X) \
  X(int64_t, m) X(int64_t, n) X(int64_t, k) X(int64_t, transA) X(int64_t, transB) \
  X(int64_t, accumulate)
#define CONVCORE_POOL_FIELDS(X) \
  X(int64_t, planes) X(int64_t, inHeight) X(int64_t, inWidth) X(int64_t, kernelHeight) \
  X(int64_t, kernelWidth) X(int64_t, strideH) X(int64_t, strideW) X(int64_t, padTop) \
  X(int64_t, padLeft) X(int64_t, outHeight) X(int64_t, outWidth) X(int64_t, countIncludePad)
#define CONVCORE_SGD_FIELDS(X) \
  X(double, lr) X(double, momentum) X(double, dampening) X(double, weightDecay) \
  X(int64_t, nesterov) X(int64_t, maximize) X(int64_t, firstStep)
#define CONVCORE_ADAM_FIELDS(X) \
  X(double, lr) X(double, beta1) X(double, beta2) X(double, eps) X(double, weightDecay) \
  X(int64_t, decoupled) X(int64_t, maximize) X(double, stepSize) X(double, correction2)
#define CONVCORE_PLANES_FROM_PIXELS_FIELDS(X) X(int64_t, pixels) X(int64_t, channels) X(int64_t, colour) X(int64_t, alphaChannel)
#define CONVCORE_PIXELS_FROM_PLANES_FIELDS(X) X(int64_t, pixels) X(int64_t, colour) X(int64_t, abs) X(double, offset) X(int64_t, round)
#define CONVCORE_FILTER8_FIELDS(X) \
  X(int64_t, height) X(int64_t, rowElements) X(int64_t, channels) X(int64_t, kernelHeight) \
  X(int64_t, kernelWidth) X(int64_t, padTop) X(int64_t, padLeftPixels) X(int64_t, abs) \
  X(double, offset)
#define CONVCORE_RESTORE_ALPHA_FIELDS(X) X(int64_t, pixels) X(int64_t, channels)
#define CONVCORE_FILTER_BORDER_FIELDS(X) \
  X(int64_t, planes) X(int64_t, height) X(int64_t, width) X(int64_t, kernelHeight) \
  X(int64_t, kernelWidth) X(int64_t, padTop) X(int64_t, padLeft)
#define CONVCORE_CHANNEL_LAYOUT_FIELDS(X) X(int64_t, outer) X(int64_t, channels) X(int64_t, inner)
#define CONVCORE_ARG_REDUCE_LAYOUT_FIELDS(X) X(int64_t, outer) X(int64_t, length) X(int64_t, inner)

#define CONVCORE_FIELD_DECLARE(T, name) T name;
#define CONVCORE_FIELD_NAME(T, name) #name,
#define CONVCORE_FIELD_IS_INTEGER(T, name) std::is_integral_v<T>,
#define CONVCORE_FIELD_ASSIGN(T, name) block.name = static_cast<T>(values[i++]);

// A struct per block: its fields, its name for messages and for JavaScript, its field
// names in order, which of them are integers, and how to fill it from the packed values
// (read and checked by readBlock, napi_args.h).
#define CONVCORE_PARAM_BLOCK(Struct, label, FIELDS)                                         \
  struct Struct {                                                                           \
    FIELDS(CONVCORE_FIELD_DECLARE)                                                          \
    static constexpr const char* kName = label;                                             \
    static constexpr const char* kFields[] = {FIELDS(CONVCORE_FIELD_NAME)};                 \
    static constexpr bool kInteger[] = {FIELDS(CONVCORE_FIELD_IS_INTEGER)};                 \
    static constexpr int kCount = static_cast<int>(sizeof(kFields) / sizeof(kFields[0]));   \
    static Struct from(const double* values) {                                              \
      Struct block{};                                                                       \
      int i = 0;                                                                            \
      FIELDS(CONVCORE_FIELD_ASSIGN)                                                         \
      return block;                                                                         \
    }                                                                                       \
  };

CONVCORE_PARAM_BLOCK(ConvFields, "conv", CONVCORE_CONV_FIELDS)
CONVCORE_PARAM_BLOCK(MatmulFields, "matmul", CONVCORE_MATMUL_FIELDS)
CONVCORE_PARAM_BLOCK(PoolFields, "pool", CONVCORE_POOL_FIELDS)
CONVCORE_PARAM_BLOCK(SgdFields, "sgd", CONVCORE_SGD_FIELDS)
CONVCORE_PARAM_BLOCK(AdamFields, "adam", CONVCORE_ADAM_FIELDS)
CONVCORE_PARAM_BLOCK(PlanesFromPixelsFields, "planesFromPixels", CONVCORE_PLANES_FROM_PIXELS_FIELDS)
CONVCORE_PARAM_BLOCK(PixelsFromPlanesFields, "pixelsFromPlanes", CONVCORE_PIXELS_FROM_PLANES_FIELDS)
CONVCORE_PARAM_BLOCK(Filter8Fields, "filter8", CONVCORE_FILTER8_FIELDS)
CONVCORE_PARAM_BLOCK(RestoreAlphaFields, "restoreAlpha", CONVCORE_RESTORE_ALPHA_FIELDS)
CONVCORE_PARAM_BLOCK(FilterBorderFields, "filterBorder", CONVCORE_FILTER_BORDER_FIELDS)
CONVCORE_PARAM_BLOCK(ChannelLayoutFields, "channelLayout", CONVCORE_CHANNEL_LAYOUT_FIELDS)
CONVCORE_PARAM_BLOCK(ArgReduceLayoutFields, "argReduceLayout", CONVCORE_ARG_REDUCE_LAYOUT_FIELDS)

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
  fn(ArgReduceLayoutFields{});
}

// { conv: ['batch', …], matmul: [...], … }: what lib/param-blocks.ts packs by.
Napi::Object paramBlockFields(Napi::Env env);

}  // namespace convcore
