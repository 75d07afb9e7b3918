// Convolutions of small images (a few output positions, many channels: a ResNet's later
// stages on MNIST- or CIFAR-sized inputs). There the grid paths spend most of their work
// on columns and padding they throw away (64 × 512 × 1 × 1 with a padded 3 × 3 kernel
// ran at 9 GFLOP/s); loops/small_image.h computes them as a GEMM per output position
// over the taps that read the input there. This file holds the rule and those taps.
#pragma once

#include <cstdint>
#include <vector>

#include "conv_params.h"

namespace convcore {

// Whether p is a small image that path takes (2-D, dense input, enough channels for
// whole vectors).
bool smallImageConv(const ConvParams& p);

// Which kernel taps read the input where (built here, outside the ISA builds, which
// must not instantiate std::vector's out-of-line members: see test/isa.test.ts).
struct SmallImageTaps {
  // Output position q reads tap[v] at input plane offset offset[v], v in [first[q], first[q + 1]).
  std::vector<int64_t> first, tap, offset;
  // Per kernel tap: whether some position reads it; the taps that are, in order.
  std::vector<char> used;
  std::vector<int64_t> usedTaps;
  // Per kernel tap t, the positions that read it and where: entries [byTapFirst[t],
  // byTapFirst[t + 1]) of byTapPosition and byTapOffset, positions in order.
  std::vector<int64_t> byTapFirst, byTapPosition, byTapOffset;
};

SmallImageTaps smallImageTaps(const ConvParams& p);

}  // namespace convcore
