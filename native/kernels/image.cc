#include "image.h"

#include "border_pixel.h"
#include "chunks.h"
#include "engine.h"

#include <algorithm>
#include <cmath>

namespace convcore {

namespace {

// One channel: dst[i · stride] = byte(src[i]) for i in [begin, end). Branch-free (real
// images make the clamps unpredictable): the comparisons compile to max/min, the first
// maps NaN to 0; for v in [0, 2^23), (v + 2^23) − 2^23 is v rounded to nearest, ties to
// even, in float arithmetic itself. Everything is in locals: dst is bytes, which may
// alias anything, so fields read through a reference would be reloaded every element.
// kUnit (stride 1: a grey image without alpha, or interleaved channels) lets it vectorise.
template <bool kAbsolute, bool kRound, bool kUnit>
void toBytesStrided(const float* __restrict src, uint8_t* __restrict dst, int64_t stride, int64_t begin, int64_t end,
                    float offset) {
  constexpr float kRoundBias = 8388608.0f;
  for (int64_t i = begin; i < end; ++i) {
    float v = kAbsolute ? std::fabs(src[i]) : src[i];
    v += offset;
    v = v > 0.0f ? v : 0.0f;
    v = v < 255.0f ? v : 255.0f;
    if (kRound) v = (v + kRoundBias) - kRoundBias;
    dst[kUnit ? i : i * stride] = static_cast<uint8_t>(static_cast<int32_t>(v));
  }
}

template <bool kAbsolute, bool kRound>
void toBytes(const float* src, uint8_t* dst, int64_t stride, int64_t begin, int64_t end, float offset) {
  if (stride == 1) toBytesStrided<kAbsolute, kRound, true>(src, dst, 1, begin, end, offset);
  else toBytesStrided<kAbsolute, kRound, false>(src, dst, stride, begin, end, offset);
}

}  // namespace

void planesFromPixels(ThreadPool& pool, const uint8_t* src, int64_t pixels, int channels, int colour,
                      float* planes, uint8_t* alpha, int alphaChannel) {
  forChunks(pool, pixels, [&](int64_t begin, int64_t end) {
    if (channels == 1 && colour == 1) {  // contiguous: the loop vectorises
      const uint8_t* __restrict in = src;
      float* __restrict out = planes;
      for (int64_t i = begin; i < end; ++i) out[i] = in[i];
      return;
    }
    for (int c = 0; c < colour; ++c) {
      float* plane = planes + c * pixels;
      for (int64_t i = begin; i < end; ++i) plane[i] = src[i * channels + c];
    }
    if (alpha != nullptr)
      for (int64_t i = begin; i < end; ++i) alpha[i] = src[i * channels + alphaChannel];
  });
}

void pixelsFromPlanes(ThreadPool& pool, const float* planes, int64_t pixels, int colour,
                      const uint8_t* alpha, PixelMapping mapping, uint8_t* dst) {
  const int channels = colour + (alpha != nullptr ? 1 : 0);
  forChunks(pool, pixels, [&](int64_t begin, int64_t end) {
    for (int c = 0; c < colour; ++c) {
      const float* plane = planes + c * pixels;
      uint8_t* out = dst + c;
      const float offset = mapping.offset;
      if (mapping.absolute) {
        if (mapping.round) toBytes<true, true>(plane, out, channels, begin, end, offset);
        else toBytes<true, false>(plane, out, channels, begin, end, offset);
      } else {
        if (mapping.round) toBytes<false, true>(plane, out, channels, begin, end, offset);
        else toBytes<false, false>(plane, out, channels, begin, end, offset);
      }
    }
    if (alpha != nullptr)
      for (int64_t i = begin; i < end; ++i) dst[i * channels + colour] = alpha[i];
  });
}

const char* checkFilter8Params(const Filter8Params& p) {
  constexpr int64_t kLimit = int64_t(1) << 31;
  if (p.height < 1 || p.height >= kLimit || p.rowElements < 1 || p.rowElements >= kLimit) return "the image is empty or too large";
  if (p.channels < 1 || p.channels > 4 || p.rowElements % p.channels != 0) return "channels must be 1..4 and divide the row";
  if (p.kernelHeight < 1 || p.kernelWidth < 1 || p.kernelHeight * p.kernelWidth > 4096) return "the kernel must be 1x1 to 4096 taps";
  if (p.padTop < 0 || p.padTop >= p.kernelHeight || p.padLeftPixels < 0 || p.padLeftPixels >= p.kernelWidth) return "bad padding";
  if (p.height * p.rowElements >= (int64_t(1) << 40)) return "the image is too large";
  return nullptr;
}

void filter8(ThreadPool& pool, const Filter8Params& p, const float* weights, const int32_t* rowMap, const int32_t* colMap,
             const uint8_t* src, uint8_t* dst) {
  activeKernels().filter8(pool, p, weights, rowMap, colMap, src, dst);
}

void restoreAlpha(ThreadPool& pool, const uint8_t* src, uint8_t* dst, int64_t pixels, int channels) {
  forChunks(pool, pixels, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) dst[i * channels + channels - 1] = src[i * channels + channels - 1];
  });
}

void magnitude(ThreadPool& pool, const float* gx, const float* gy, float* out, int64_t n) {
  forChunks(pool, n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) out[i] = std::sqrt(gx[i] * gx[i] + gy[i] * gy[i]);
  });
}

void filterBorder(ThreadPool& pool, const BorderParams& p, const float* weight, const int32_t* rowMap,
                  const int32_t* colMap, const float* input, float* output) {
  const int64_t H = p.height, W = p.width, KH = p.kernelHeight, KW = p.kernelWidth;
  // Rows [top, bottom) and columns [left, right) have windows inside the image.
  const int64_t top = std::min(H, p.padTop), bottom = std::max(top, H - (KH - 1 - p.padTop));
  const int64_t left = std::min(W, p.padLeft), right = std::max(left, W - (KW - 1 - p.padLeft));
  const int64_t work = (2 * (KH + KW) * std::max(H, W)) * KH * KW;
  pool.parallelFor(p.planes, std::max<int64_t>(1, (int64_t(1) << 16) / std::max<int64_t>(1, work)),
                   [&](int64_t first, int64_t last) {
    for (int64_t plane = first; plane < last; ++plane) {
      const float* x = input + plane * H * W;
      const float* w = weight + plane * KH * KW;
      float* y = output + plane * H * W;
      auto pixel = [&](int64_t oh, int64_t ow) { y[oh * W + ow] = mappedSum(x, W, w, KH, KW, 1, rowMap, colMap, oh, ow); };
      for (int64_t oh = 0; oh < H; ++oh) {
        if (oh < top || oh >= bottom) {
          for (int64_t ow = 0; ow < W; ++ow) pixel(oh, ow);
        } else {
          for (int64_t ow = 0; ow < left; ++ow) pixel(oh, ow);
          for (int64_t ow = right; ow < W; ++ow) pixel(oh, ow);
        }
      }
    }
  });
}

}  // namespace convcore
