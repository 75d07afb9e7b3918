// Convolutions of small images (a few output positions, many channels: a ResNet's last
// stages on MNIST- or CIFAR-sized inputs) by an explicit im2col matrix and the GEMM:
// there the grid paths spend most of their work on columns and padding they throw
// away (64 × 512 × 1 × 1 with a padded 3 × 3 kernel ran at 9 GFLOP/s).
#pragma once

#include "conv_params.h"
#include "thread_pool.h"

namespace convcore {

// Whether p is a small image this path takes (2-D, dense input, a bounded matrix).
bool smallImageConv(const ConvParams& p);

void smallImageForward(ThreadPool& pool, const ConvParams& p, const float* input, const float* weight,
                       const float* bias, float* output);
void smallImageBackwardData(ThreadPool& pool, const ConvParams& p, const float* gradOutput, const float* weight,
                            float* gradInput);
void smallImageBackwardWeight(ThreadPool& pool, const ConvParams& p, const float* input, const float* gradOutput,
                              float* gradWeight);

}  // namespace convcore
