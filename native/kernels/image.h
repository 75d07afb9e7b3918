// The image pipeline's kernels: 8-bit interleaved pixels to float planes and back (with
// the output mapping: |v| or an offset, rounding, clamping), the gradient magnitude, and
// the border pixels of a depthwise filter under a non-zero border mode (the interior
// comes from the convolution engine with zero padding). Plain loops over the pool.
#pragma once

#include <cstdint>

#include "filter8.h"
#include "thread_pool.h"

namespace convcore {

// src: `pixels` pixels of `channels` interleaved bytes. planes (colour × pixels floats
// in [0, 255]) receives the first `colour` channels; alpha (pixels bytes), when not
// null, receives channel `alphaChannel`.
void planesFromPixels(ThreadPool& pool, const uint8_t* src, int64_t pixels, int channels, int colour,
                      float* planes, uint8_t* alpha, int alphaChannel);

struct PixelMapping {
  bool absolute;  // |v| first (signed filters: edges)
  float offset;   // then + offset (e.g. 128)
  bool round;     // to nearest (ties to even); else toward zero, as sharp does
};

// dst: pixels × (colour + (alpha ? 1 : 0)) interleaved bytes: each value mapped, rounded,
// clamped to [0, 255] (NaN → 0); alpha copied unchanged.
void pixelsFromPlanes(ThreadPool& pool, const float* planes, int64_t pixels, int colour,
                      const uint8_t* alpha, PixelMapping mapping, uint8_t* dst);

// The fused 8-bit filter (filter8.h) on the instruction set in use. rowMap has
// height + kernelHeight − 1 entries, colMap rowElements + (kernelWidth − 1)·channels.
void filter8(ThreadPool& pool, const Filter8Params& p, const float* weights, const int32_t* rowMap, const int32_t* colMap,
             const uint8_t* src, uint8_t* dst);

// dst's last channel (of `channels` interleaved) = src's: the alpha channel put back
// after a filter ran over all channels.
void restoreAlpha(ThreadPool& pool, const uint8_t* src, uint8_t* dst, int64_t pixels, int channels);

// out = √(gx² + gy²)
void magnitude(ThreadPool& pool, const float* gx, const float* gy, float* out, int64_t n);

struct BorderParams {
  int64_t planes, height, width;
  int64_t kernelHeight, kernelWidth;
  int64_t padTop, padLeft;  // the 'same' padding: output (h, w) reads input rows h − padTop + kh
};

// For every output pixel whose window leaves the image, output = Σ weight[plane] ⋆ input
// read through rowMap / colMap (padded coordinate → source coordinate, −1 for zero):
// rowMap has height + kernelHeight − 1 entries, colMap width + kernelWidth − 1. Other
// pixels are left as they are.
void filterBorder(ThreadPool& pool, const BorderParams& p, const float* weight, const int32_t* rowMap,
                  const int32_t* colMap, const float* input, float* output);

}  // namespace convcore
