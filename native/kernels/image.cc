#include "image.h"

#include <algorithm>
#include <cmath>

namespace convcore {

namespace {

constexpr int64_t kChunk = 1 << 15;  // pixels per parallel chunk

template <typename Body>
void forChunks(ThreadPool& pool, int64_t n, const Body& body) {
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  if (chunks <= 1) {
    body(int64_t(0), n);
    return;
  }
  pool.parallelFor(chunks, 1, [&](int64_t first, int64_t last) {
    for (int64_t c = first; c < last; ++c) body(c * kChunk, std::min(n, (c + 1) * kChunk));
  });
}

inline uint8_t toByte(float v, const PixelMapping& m) {
  if (m.absolute) v = std::fabs(v);
  v += m.offset;
  if (!(v > 0.0f)) return 0;  // also NaN
  if (v >= 255.0f) return 255;
  return static_cast<uint8_t>(m.round ? std::nearbyint(v) : v);
}

}  // namespace

void planesFromPixels(ThreadPool& pool, const uint8_t* src, int64_t pixels, int channels, int colour,
                      float* planes, uint8_t* alpha, int alphaChannel) {
  forChunks(pool, pixels, [&](int64_t begin, int64_t end) {
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
      for (int64_t i = begin; i < end; ++i) dst[i * channels + c] = toByte(plane[i], mapping);
    }
    if (alpha != nullptr)
      for (int64_t i = begin; i < end; ++i) dst[i * channels + colour] = alpha[i];
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
      auto pixel = [&](int64_t oh, int64_t ow) {
        float acc = 0.0f;
        for (int64_t kh = 0; kh < KH; ++kh) {
          const int32_t sh = rowMap[oh + kh];
          if (sh < 0) continue;
          for (int64_t kw = 0; kw < KW; ++kw) {
            const int32_t sw = colMap[ow + kw];
            if (sw >= 0) acc += w[kh * KW + kw] * x[sh * W + sw];
          }
        }
        y[oh * W + ow] = acc;
      };
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
