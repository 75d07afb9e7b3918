// Backward-data as a gather over input rows: one task per row of gradInput, which
// collects every (output channel, tap, output row) that read it. No two tasks write
// the same element, so there are no races and the summation order is fixed.
#include "conv2d.h"
#include "row_range.h"

namespace convcore {

void conv2dBackwardData(ThreadPool& pool, const ConvParams& p, const float* gradOutput,
                        const float* weight, float* gradInput) {
  const int64_t C = p.inChannels, H = p.inHeight, W = p.inWidth;
  const int64_t O = p.outChannels, OH = p.outHeight, OW = p.outWidth;
  const int64_t KH = p.kernelHeight, KW = p.kernelWidth;
  const int64_t Cg = p.inChannelsPerGroup(), Og = p.outChannelsPerGroup();
  const int64_t rows = p.batch * C * H;
  const int64_t macsPerRow = Og * KH * KW * OW / p.strideH + 1;

  pool.parallelFor(rows, grainFor(macsPerRow), [&](int64_t first, int64_t last) {
    for (int64_t r = first; r < last; ++r) {
      const int64_t ih = r % H;
      const int64_t channel = (r / H) % C;
      const int64_t n = r / (H * C);
      const int64_t g = channel / Cg;
      const int64_t c = channel % Cg;
      float* gin = gradInput + r * W;
      for (int64_t iw = 0; iw < W; ++iw) gin[iw] = 0.0f;

      for (int64_t o = g * Og; o < (g + 1) * Og; ++o) {
        const float* taps = weight + (o * Cg + c) * KH * KW;
        for (int64_t kh = 0; kh < KH; ++kh) {
          const int64_t t = ih + p.padTop - kh * p.dilationH;
          if (t < 0 || t % p.strideH != 0) continue;
          const int64_t oh = t / p.strideH;
          if (oh >= OH) continue;
          const float* gout = gradOutput + ((n * O + o) * OH + oh) * OW;
          for (int64_t kw = 0; kw < KW; ++kw) {
            const int64_t offset = kw * p.dilationW - p.padLeft;
            const ColumnRange cols = validColumns(offset, p.strideW, W, OW);
            const float w = taps[kh * KW + kw];
            if (p.strideW == 1) {
              float* dst = gin + offset;
              for (int64_t ow = cols.begin; ow < cols.end; ++ow) dst[ow] += w * gout[ow];
            } else {
              for (int64_t ow = cols.begin; ow < cols.end; ++ow)
                gin[ow * p.strideW + offset] += w * gout[ow];
            }
          }
        }
      }
    }
  });
}

}  // namespace convcore
