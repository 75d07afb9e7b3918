// Per-channel statistics and affine maps: what BatchNorm (and, over other groupings,
// GroupNorm and InstanceNorm) is made of. A tensor is seen as [outer, channels, inner]
// (N, C, H·W for a BatchNorm2d input). The loops are per ISA: loops/channel_norm.h.
#pragma once

#include <cstdint>

#include "thread_pool.h"

namespace convcore {

struct ChannelLayout {
  int64_t outer, channels, inner;
};

inline int64_t channelLayoutCount(const ChannelLayout& l) { return l.outer * l.channels * l.inner; }

// A problem with the layout, or null.
const char* checkChannelLayout(const ChannelLayout& layout);

// mean[c] and the biased variance[c] of x over outer × inner. Sums in float64, in an
// order fixed by the layout (the same bits at any thread count).
void channelMoments(ThreadPool& pool, const ChannelLayout& layout, const float* x, float* mean, float* variance);
// sumG[c] = Σ g, sumGX[c] = Σ g·(x − mean[c]) over outer × inner: what a batch norm's
// backward needs from its data.
void channelGradSums(ThreadPool& pool, const ChannelLayout& layout, const float* g, const float* x,
                     const float* mean, float* sumG, float* sumGX);
// out = a[c]·u + b[c]·(v − m[c]) + d[c], either term absent where its data (u or v) is
// null (not both); out may be u or v. The centred term keeps a normalisation exact on
// data far from 0, where b·v − b·m would cancel.
struct ChannelAffineTerms {
  const float* u;  // with a
  const float* a;
  const float* v;  // with b and m
  const float* b;
  const float* m;
  const float* d;
};
void channelAffine(ThreadPool& pool, const ChannelLayout& layout, const ChannelAffineTerms& terms, float* out);

}  // namespace convcore
