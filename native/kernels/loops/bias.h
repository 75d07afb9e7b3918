// gradBias: gradOutput summed over batch and pixels, per output channel; each row is
// summed in float lanes, rows are added in float64, in a fixed order.
#pragma once

inline void backwardBias(ThreadPool& pool, const ConvParams& p, const float* gradOutput,
                         float* gradBias) {
  const int64_t O = p.outChannels, plane = p.outHeight * p.outWidth;
  pool.parallelFor(O, grainFor(p.batch * plane), [&](int64_t first, int64_t last) {
    for (int64_t o = first; o < last; ++o) {
      double sum = 0.0;
      for (int64_t n = 0; n < p.batch; ++n) {
        const float* g = gradOutput + (n * O + o) * plane;
        int64_t i = 0;
        Vec lanes = zero();
        for (; i + kLanes <= plane; i += kLanes) lanes = add(lanes, load(g + i));
        float four[4];
        sum4(lanes, zero(), zero(), zero(), four);
        sum += four[0];
        for (; i < plane; ++i) sum += g[i];
      }
      gradBias[o] = static_cast<float>(sum);
    }
  });
}
