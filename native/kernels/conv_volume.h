// Convolutions of any rank through the 2-D engine. conv1d and conv2d arrive flat (depth
// 1) and go straight to it. A 3-D convolution runs, for each image and output depth,
// one 2-D convolution whose input channels are (channel, depth tap) pairs: the slab of
// input planes that output depth reads, so each 2-D call does the whole reduction and
// the OIDHW weight is already the (O, C·KD, KH, KW) weight it needs.
#pragma once

#include "conv_params.h"
#include "thread_pool.h"

namespace convcore {

void convForward(ThreadPool& pool, const VolumeParams& p, const float* input,
                 const float* weight, const float* bias, float* output);
void convBackwardData(ThreadPool& pool, const VolumeParams& p, const float* gradOutput,
                      const float* weight, float* gradInput);
void convBackwardWeight(ThreadPool& pool, const VolumeParams& p, const float* input,
                        const float* gradOutput, float* gradWeight);
void convBackwardBias(ThreadPool& pool, const VolumeParams& p, const float* gradOutput,
                      float* gradBias);

}  // namespace convcore
