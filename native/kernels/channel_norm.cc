#include "channel_norm.h"

#include "engine.h"

namespace convcore {

const char* checkChannelLayout(const ChannelLayout& l) {
  for (const int64_t size : {l.outer, l.channels, l.inner})
    if (size < 0 || size > (int64_t(1) << 40)) return "channel layout sizes must be in 0..2^40";
  if (static_cast<double>(l.outer) * static_cast<double>(l.channels) * static_cast<double>(l.inner) > 9.0e15)
    return "channel layout element count too large";
  return nullptr;
}

void channelMoments(ThreadPool& pool, const ChannelLayout& layout, const float* x, float* mean, float* variance) {
  activeKernels().channelMoments(pool, layout, x, mean, variance);
}

void channelGradSums(ThreadPool& pool, const ChannelLayout& layout, const float* g, const float* x,
                     const float* mean, float* sumG, float* sumGX) {
  activeKernels().channelGradSums(pool, layout, g, x, mean, sumG, sumGX);
}

void channelAffine(ThreadPool& pool, const ChannelLayout& layout, const ChannelAffineTerms& terms, float* out) {
  activeKernels().channelAffine(pool, layout, terms, out);
}

}  // namespace convcore
