// Zero padding in IEEE arithmetic. A tap that reads padding reads a real zero, so where
// it meets a non-finite value (0 · ±∞, 0 · NaN) the sum is NaN, as in PyTorch and the
// reference. The kernels skip padded taps (or multiply zeros laid on a grid), which is
// the same for finite values; these passes add the NaNs those skipped products would
// have given. They touch only the border of the output (or of its gradient), and do
// nothing when every value they look at is finite.
#pragma once

#include <cstdint>

#include "conv_params.h"

namespace convcore {

// Whether none of the `count` values is ±∞ or NaN.
bool allFinite(const float* data, int64_t count);

// output (N, O, OD, OH, OW): NaN wherever a tap with a non-finite weight reads padding.
void markPaddedTapsInOutput(const VolumeParams& p, const float* weight, float* output);

// gradWeight (O, C/groups, KD, KH, KW): NaN for each tap that reads padding at an output
// position whose gradient is non-finite. knownFinite: the caller found every entry of
// gradWeight finite, which spares the scan of it.
void markPaddedTapsInWeightGrad(const VolumeParams& p, const float* gradOutput, float* gradWeight,
                                bool knownFinite);

}  // namespace convcore
