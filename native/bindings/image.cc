// The image pipeline's kernels: pixels to float planes and back, 8-bit filtering,
// border-mode filtering of float planes, gradient magnitude, the alpha channel.
#include <string>

#include "../kernels/image.h"
#include "../napi_args.h"
#include "exports.h"

namespace convcore {
namespace {

constexpr int64_t kMaxPixels = int64_t(1) << 40;

Napi::RangeError badParams(const Napi::Env& env, const char* what) {
  return Napi::RangeError::New(env, std::string("convcore native: bad ") + what + " params");
}

// The border maps come from JavaScript: every entry must name a row, column or element
// below `limit`, or be −1 (a zero).
void checkBorderMap(const Napi::Env& env, const int32_t* map, int64_t count, int64_t limit, const char* name) {
  for (int64_t i = 0; i < count; ++i) {
    if (map[i] < -1 || map[i] >= limit) throw Napi::RangeError::New(env, std::string("convcore native: ") + name + " out of range");
  }
}

// (planesFromPixels block, pixels Uint8Array, planes (may be empty when colour is 0), alpha|null)
Napi::Value planesFromPixelsCall(const Napi::CallbackInfo& info) {
  const PlanesFromPixelsFields f = readBlock<PlanesFromPixelsFields>(info[0]);
  if (f.pixels < 0 || f.pixels > kMaxPixels || f.channels < 1 || f.channels > 4 || f.colour < 0 || f.colour > f.channels ||
      f.alphaChannel < -1 || f.alphaChannel >= f.channels) {
    throw badParams(info.Env(), "image");
  }
  const uint8_t* src = readByteBuffer(info[1], f.pixels * f.channels, "pixels");
  float* planes = readFloatBuffer(info[2], f.pixels * f.colour, "planes");
  uint8_t* alpha = readByteBuffer(info[3], f.pixels, "alpha", /*optional=*/true);
  if (alpha != nullptr && f.alphaChannel < 0) throw Napi::RangeError::New(info.Env(), "convcore native: no alpha channel to extract");
  planesFromPixels(threadPool(info.Env()), src, f.pixels, static_cast<int>(f.channels), static_cast<int>(f.colour), planes,
                   alpha, static_cast<int>(f.alphaChannel));
  return info.Env().Undefined();
}

// (pixelsFromPlanes block, planes, alpha|null, pixels Uint8Array)
Napi::Value pixelsFromPlanesCall(const Napi::CallbackInfo& info) {
  const PixelsFromPlanesFields h = readBlock<PixelsFromPlanesFields>(info[0]);
  if (h.pixels < 0 || h.pixels > kMaxPixels || h.colour < 1 || h.colour > 4) throw badParams(info.Env(), "image");
  const float* planes = readFloatBuffer(info[1], h.pixels * h.colour, "planes");
  const uint8_t* alpha = readByteBuffer(info[2], h.pixels, "alpha", /*optional=*/true);
  uint8_t* dst = readByteBuffer(info[3], h.pixels * (h.colour + (alpha != nullptr ? 1 : 0)), "pixels");
  pixelsFromPlanes(threadPool(info.Env()), planes, h.pixels, static_cast<int>(h.colour), alpha,
                   PixelMapping{h.abs != 0, static_cast<float>(h.offset), h.round != 0}, dst);
  return info.Env().Undefined();
}

// (filter8 block, weights, rowMap, colMap, src bytes, dst bytes)
Napi::Value filter8Call(const Napi::CallbackInfo& info) {
  const Filter8Fields h = readBlock<Filter8Fields>(info[0]);
  const Filter8Params p{h.height, h.rowElements, h.channels, h.kernelHeight, h.kernelWidth, h.padTop,
                        h.padLeftPixels, h.abs != 0, static_cast<float>(h.offset)};
  if (const char* problem = checkFilter8Params(p)) throw Napi::RangeError::New(info.Env(), std::string("convcore native: ") + problem);
  const float* weights = readFloatBuffer(info[1], p.kernelHeight * p.kernelWidth, "weights");
  const int64_t rows = p.height + p.kernelHeight - 1, cols = p.rowElements + (p.kernelWidth - 1) * p.channels;
  const int32_t* rowMap = readInt32Buffer(info[2], rows, "rowMap");
  const int32_t* colMap = readInt32Buffer(info[3], cols, "colMap");
  checkBorderMap(info.Env(), rowMap, rows, p.height, "rowMap");
  checkBorderMap(info.Env(), colMap, cols, p.rowElements, "colMap");
  const uint8_t* src = readByteBuffer(info[4], p.height * p.rowElements, "src");
  uint8_t* dst = readByteBuffer(info[5], p.height * p.rowElements, "dst");
  filter8(threadPool(info.Env()), p, weights, rowMap, colMap, src, dst);
  return info.Env().Undefined();
}

// (restoreAlpha block, source bytes, destination bytes)
Napi::Value restoreAlphaCall(const Napi::CallbackInfo& info) {
  const RestoreAlphaFields f = readBlock<RestoreAlphaFields>(info[0]);
  if (f.pixels < 0 || f.pixels > kMaxPixels || f.channels < 2 || f.channels > 4) throw badParams(info.Env(), "alpha");
  const uint8_t* src = readByteBuffer(info[1], f.pixels * f.channels, "source");
  uint8_t* dst = readByteBuffer(info[2], f.pixels * f.channels, "destination");
  restoreAlpha(threadPool(info.Env()), src, dst, f.pixels, static_cast<int>(f.channels));
  return info.Env().Undefined();
}

// (gx, gy, out)
Napi::Value magnitudeCall(const Napi::CallbackInfo& info) {
  const int64_t n = floatLength(info[0], "gx");
  const float* gx = readFloatBuffer(info[0], n, "gx");
  const float* gy = readFloatBuffer(info[1], n, "gy");
  float* out = readFloatBuffer(info[2], n, "out");
  magnitude(threadPool(info.Env()), gx, gy, out, n);
  return info.Env().Undefined();
}

// (filterBorder block, weight, rowMap, colMap, input, output)
Napi::Value filterBorderCall(const Napi::CallbackInfo& info) {
  const FilterBorderFields f = readBlock<FilterBorderFields>(info[0]);
  const BorderParams p{f.planes, f.height, f.width, f.kernelHeight, f.kernelWidth, f.padTop, f.padLeft};
  constexpr int64_t kLimit = int64_t(1) << 31;
  if (p.planes < 1 || p.height < 1 || p.width < 1 || p.kernelHeight < 1 || p.kernelWidth < 1 ||
      p.height >= kLimit || p.width >= kLimit || p.kernelHeight > p.height + kLimit / 4 ||
      p.padTop < 0 || p.padTop >= p.kernelHeight || p.padLeft < 0 || p.padLeft >= p.kernelWidth ||
      p.planes * p.height * p.width >= kMaxPixels || p.kernelHeight * p.kernelWidth >= kLimit) {
    throw badParams(info.Env(), "border");
  }
  const float* weight = readFloatBuffer(info[1], p.planes * p.kernelHeight * p.kernelWidth, "weight");
  const int64_t rows = p.height + p.kernelHeight - 1, cols = p.width + p.kernelWidth - 1;
  const int32_t* rowMap = readInt32Buffer(info[2], rows, "rowMap");
  const int32_t* colMap = readInt32Buffer(info[3], cols, "colMap");
  checkBorderMap(info.Env(), rowMap, rows, p.height, "rowMap");
  checkBorderMap(info.Env(), colMap, cols, p.width, "colMap");
  const float* input = readFloatBuffer(info[4], p.planes * p.height * p.width, "input");
  float* output = readFloatBuffer(info[5], p.planes * p.height * p.width, "output");
  filterBorder(threadPool(info.Env()), p, weight, rowMap, colMap, input, output);
  return info.Env().Undefined();
}

}  // namespace

void exportImage(Napi::Env env, Napi::Object exports) {
  defineMethods(env, exports, {
      {"planesFromPixels", planesFromPixelsCall},
      {"pixelsFromPlanes", pixelsFromPlanesCall},
      {"magnitude", magnitudeCall},
      {"restoreAlpha", restoreAlphaCall},
      {"filter8", filter8Call},
      {"filterBorder", filterBorderCall},
  });
}

}  // namespace convcore
