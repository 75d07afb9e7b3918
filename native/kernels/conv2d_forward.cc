// Direct forward convolution: one task per output row. For each (channel, tap) the
// row is updated with one axpy over the valid columns, which the compiler vectorises
// when the stride is 1.
#include "conv2d.h"
#include "row_range.h"

namespace convcore {

void conv2dForward(ThreadPool& pool, const ConvParams& p, const float* input,
                   const float* weight, const float* bias, float* output) {
  const int64_t C = p.inChannels, H = p.inHeight, W = p.inWidth;
  const int64_t O = p.outChannels, OH = p.outHeight, OW = p.outWidth;
  const int64_t KH = p.kernelHeight, KW = p.kernelWidth;
  const int64_t Cg = p.inChannelsPerGroup(), Og = p.outChannelsPerGroup();
  const int64_t rows = p.batch * O * OH;

  pool.parallelFor(rows, grainFor(OW * Cg * KH * KW), [&](int64_t first, int64_t last) {
    for (int64_t r = first; r < last; ++r) {
      const int64_t oh = r % OH;
      const int64_t o = (r / OH) % O;
      const int64_t n = r / (OH * O);
      const int64_t g = o / Og;
      float* out = output + r * OW;
      const float b = bias ? bias[o] : 0.0f;
      for (int64_t ow = 0; ow < OW; ++ow) out[ow] = b;

      for (int64_t c = 0; c < Cg; ++c) {
        const float* plane = input + ((n * C + g * Cg + c) * H) * W;
        const float* taps = weight + (o * Cg + c) * KH * KW;
        for (int64_t kh = 0; kh < KH; ++kh) {
          const int64_t ih = oh * p.strideH - p.padTop + kh * p.dilationH;
          if (ih < 0 || ih >= H) continue;
          const float* in = plane + ih * W;
          for (int64_t kw = 0; kw < KW; ++kw) {
            const int64_t offset = kw * p.dilationW - p.padLeft;
            const ColumnRange cols = validColumns(offset, p.strideW, W, OW);
            const float w = taps[kh * KW + kw];
            if (p.strideW == 1) {
              const float* src = in + offset;
              for (int64_t ow = cols.begin; ow < cols.end; ++ow) out[ow] += w * src[ow];
            } else {
              for (int64_t ow = cols.begin; ow < cols.end; ++ow)
                out[ow] += w * in[ow * p.strideW + offset];
            }
          }
        }
      }
    }
  });
}

}  // namespace convcore
