// Backward-weight and bias: reductions over N·OH·OW. Each (output channel, input
// channel) pair's rows are split into a number of chunks that depends on the shape
// only (never on the thread count), each chunk sums into its own float64 partials,
// and the partials are added in chunk order: the same bits on 1 or 16 threads.
#include <algorithm>
#include <vector>

#include "conv2d.h"
#include "row_range.h"

namespace convcore {

namespace {

// Enough independent tasks to keep a 16-core pool busy even when there is one pair.
constexpr int64_t kTargetTasks = 32;

// Dot product with eight independent float accumulators (vectorisable, fixed order).
inline float dotStrided(const float* a, const float* b, int64_t stride, int64_t begin,
                        int64_t end) {
  float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = begin;
  if (stride == 1) {
    for (; i + 8 <= end; i += 8)
      for (int k = 0; k < 8; ++k) lanes[k] += a[i + k] * b[i + k];
  }
  for (; i < end; ++i) lanes[0] += a[i] * b[i * stride];
  return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) +
         ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
}

}  // namespace

void conv2dBackwardWeight(ThreadPool& pool, const ConvParams& p, const float* input,
                          const float* gradOutput, float* gradWeight) {
  const int64_t C = p.inChannels, H = p.inHeight, W = p.inWidth;
  const int64_t O = p.outChannels, OH = p.outHeight, OW = p.outWidth;
  const int64_t KH = p.kernelHeight, KW = p.kernelWidth, taps = KH * KW;
  const int64_t Cg = p.inChannelsPerGroup(), Og = p.outChannelsPerGroup();
  const int64_t pairs = O * Cg;
  const int64_t rowsTotal = p.batch * OH;
  const int64_t chunks = std::min(rowsTotal, std::max<int64_t>(1, kTargetTasks / pairs));
  std::vector<double> partials(static_cast<size_t>(pairs * chunks * taps), 0.0);

  const int64_t macsPerTask = (rowsTotal / chunks + 1) * OW * taps;
  pool.parallelFor(pairs * chunks, grainFor(macsPerTask), [&](int64_t first, int64_t last) {
    for (int64_t task = first; task < last; ++task) {
      const int64_t pair = task / chunks, chunk = task % chunks;
      const int64_t o = pair / Cg, c = pair % Cg, g = o / Og;
      double* acc = partials.data() + task * taps;
      const int64_t rowBegin = chunk * rowsTotal / chunks;
      const int64_t rowEnd = (chunk + 1) * rowsTotal / chunks;
      for (int64_t row = rowBegin; row < rowEnd; ++row) {
        const int64_t n = row / OH, oh = row % OH;
        const float* gout = gradOutput + ((n * O + o) * OH + oh) * OW;
        const float* plane = input + (n * C + g * Cg + c) * H * W;
        for (int64_t kh = 0; kh < KH; ++kh) {
          const int64_t ih = oh * p.strideH - p.padTop + kh * p.dilationH;
          if (ih < 0 || ih >= H) continue;
          const float* in = plane + ih * W;
          for (int64_t kw = 0; kw < KW; ++kw) {
            const int64_t offset = kw * p.dilationW - p.padLeft;
            const ColumnRange cols = validColumns(offset, p.strideW, W, OW);
            acc[kh * KW + kw] += dotStrided(gout, in + offset, p.strideW, cols.begin, cols.end);
          }
        }
      }
    }
  });

  for (int64_t pair = 0; pair < pairs; ++pair) {
    for (int64_t t = 0; t < taps; ++t) {
      double sum = 0.0;
      for (int64_t chunk = 0; chunk < chunks; ++chunk)
        sum += partials[(pair * chunks + chunk) * taps + t];
      gradWeight[pair * taps + t] = static_cast<float>(sum);
    }
  }
}

void conv2dBackwardBias(ThreadPool& pool, const ConvParams& p, const float* gradOutput,
                        float* gradBias) {
  const int64_t O = p.outChannels, plane = p.outHeight * p.outWidth;
  pool.parallelFor(O, grainFor(p.batch * plane), [&](int64_t first, int64_t last) {
    for (int64_t o = first; o < last; ++o) {
      double sum = 0.0;
      for (int64_t n = 0; n < p.batch; ++n) {
        const float* g = gradOutput + (n * O + o) * plane;
        for (int64_t i = 0; i < plane; ++i) sum += g[i];
      }
      gradBias[o] = static_cast<float>(sum);
    }
  });
}

}  // namespace convcore
