// 2-D max and average pooling over (N·C) planes, forward and backward; the pool's
// threads split the planes. Max pooling's forward runs in the ISA builds
// (loops/max_pool.h: small planes are grouped so that vectors span their short rows);
// the rest are plain loops, one build for every CPU.
#pragma once

#include <cstdint>

#include "thread_pool.h"

namespace convcore {

struct PoolParams {
  int64_t planes;  // N·C
  int64_t inHeight, inWidth;
  int64_t kernelHeight, kernelWidth;
  int64_t strideH, strideW;
  int64_t padTop, padLeft;  // implicit padding: −∞ for max, zeros for average
  int64_t outHeight, outWidth;
  bool countIncludePad;      // average: divide by the whole window (PyTorch's default)

  int64_t inputSize() const { return planes * inHeight * inWidth; }
  int64_t outputSize() const { return planes * outHeight * outWidth; }
};

// nullptr when consistent, else a message naming the first bad field.
const char* checkPoolParams(const PoolParams& p);

// output = the maximum of each window (NaN if the window holds one); indices = its
// position in the plane (h·W + w), the first one on ties, as PyTorch.
void maxPool2dForward(ThreadPool& pool, const PoolParams& p, const float* input, float* output,
                      int32_t* indices);
// gradInput = 0, then each gradOutput element added at its index.
void maxPool2dBackward(ThreadPool& pool, const PoolParams& p, const float* gradOutput,
                       const int32_t* indices, float* gradInput);
void avgPool2dForward(ThreadPool& pool, const PoolParams& p, const float* input, float* output);
void avgPool2dBackward(ThreadPool& pool, const PoolParams& p, const float* gradOutput, float* gradInput);

}  // namespace convcore
