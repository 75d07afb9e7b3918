#include "small_image.h"

#include <cstddef>

namespace convcore {

namespace {

// Output positions per image up to which the small-image path runs: up to 16 for any
// channel count it takes; up to 64 (a ResNet's 7 × 7 first stage on MNIST: 2× faster)
// with at least 16 input channels per group, since its backward passes put the input
// channels in the vectors (LeNet's second layer, 6 channels on 8 × 8, was 1.3–3× slower
// there than on the grid paths).
constexpr int64_t kMaxAnyChannels = 16;
constexpr int64_t kMaxPositions = 64;

}  // namespace

bool smallImageConv(const ConvParams& p) {
  if (p.planeTable != nullptr || p.gradPlaneTable != nullptr) return false;
  const int64_t P = p.outHeight * p.outWidth, K = p.inChannelsPerGroup() * p.kernelHeight * p.kernelWidth;
  return K >= 64 && p.outChannelsPerGroup() >= 16 &&
         (P <= kMaxAnyChannels || (P <= kMaxPositions && p.inChannelsPerGroup() >= 16));
}

SmallImageTaps smallImageTaps(const ConvParams& p) {
  const int64_t P = p.outHeight * p.outWidth, taps = p.kernelHeight * p.kernelWidth;
  SmallImageTaps s;
  s.used.assign(static_cast<size_t>(taps), 0);
  s.first.push_back(0);
  for (int64_t q = 0; q < P; ++q) {
    const int64_t y = q / p.outWidth, x = q % p.outWidth;
    for (int64_t ky = 0; ky < p.kernelHeight; ++ky) {
      const int64_t row = y * p.strideH - p.padTop + ky * p.dilationH;
      if (row < 0 || row >= p.inHeight) continue;
      for (int64_t kx = 0; kx < p.kernelWidth; ++kx) {
        const int64_t col = x * p.strideW - p.padLeft + kx * p.dilationW;
        if (col < 0 || col >= p.inWidth) continue;
        const int64_t t = ky * p.kernelWidth + kx;
        s.tap.push_back(t);
        s.offset.push_back(row * p.inWidth + col);
        s.used[static_cast<size_t>(t)] = 1;
      }
    }
    s.first.push_back(static_cast<int64_t>(s.tap.size()));
  }
  s.byTapFirst.assign(static_cast<size_t>(taps + 1), 0);
  for (int64_t t : s.tap) ++s.byTapFirst[static_cast<size_t>(t + 1)];
  for (int64_t t = 0; t < taps; ++t) {
    s.byTapFirst[static_cast<size_t>(t + 1)] += s.byTapFirst[static_cast<size_t>(t)];
    if (s.used[static_cast<size_t>(t)]) s.usedTaps.push_back(t);
  }
  s.byTapPosition.resize(s.tap.size());
  s.byTapOffset.resize(s.tap.size());
  std::vector<int64_t> next(s.byTapFirst.begin(), s.byTapFirst.end() - 1);
  for (int64_t q = 0; q < P; ++q)
    for (int64_t v = s.first[static_cast<size_t>(q)]; v < s.first[static_cast<size_t>(q + 1)]; ++v) {
      const int64_t e = next[static_cast<size_t>(s.tap[static_cast<size_t>(v)])]++;
      s.byTapPosition[static_cast<size_t>(e)] = q;
      s.byTapOffset[static_cast<size_t>(e)] = s.offset[static_cast<size_t>(v)];
    }
  return s;
}

}  // namespace convcore
