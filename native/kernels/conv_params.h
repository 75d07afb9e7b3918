// The geometry of one 2-D convolution, already normalised by the TypeScript layer.
// Non-zero padding modes (reflect, replicate, circular) are applied in TypeScript
// before the kernels run, so the kernels only know zero padding, on the top and left;
// bottom and right padding follow from the output size.
#pragma once

#include <cstdint>

namespace convcore {

struct ConvParams {
  int64_t batch;          // N
  int64_t inChannels;     // C
  int64_t inHeight;       // H
  int64_t inWidth;        // W
  int64_t outChannels;    // O
  int64_t kernelHeight;   // KH
  int64_t kernelWidth;    // KW
  int64_t outHeight;      // OH
  int64_t outWidth;       // OW
  int64_t strideH, strideW;
  int64_t padTop, padLeft;
  int64_t dilationH, dilationW;
  int64_t groups;
  // Optional, for the GEMM forward and backward-weight paths only: the input as planes, planeTable[n · C + c]
  // pointing at an H × W plane, or null for a plane of zeros (conv3d's depth slabs
  // without copying). When null the input is the usual dense (N, C, H, W) array.
  const float* const* planeTable = nullptr;
  // Likewise gradOutput, gradPlaneTable[n · O + o] (never null entries), for the GEMM
  // backward-weight and backward-data as the GEMM forward (backwardDataUsesForwardGemm).
  const float* const* gradPlaneTable = nullptr;
  // Optional, for the GEMM forward only: how far apart (floats) the output's images and
  // its channels lie, where not dense (N, O, OH, OW) (conv3d's depth slabs written
  // straight into the (N, O, D, OH, OW) output). 0: dense.
  int64_t outImageStride = 0;
  int64_t outChannelStride = 0;

  int64_t inChannelsPerGroup() const { return inChannels / groups; }
  int64_t outChannelsPerGroup() const { return outChannels / groups; }
  int64_t inputSize() const { return batch * inChannels * inHeight * inWidth; }
  int64_t outputSize() const { return batch * outChannels * outHeight * outWidth; }
  int64_t outputImageStride() const { return outImageStride ? outImageStride : outChannels * outHeight * outWidth; }
  int64_t outputChannelStride() const { return outChannelStride ? outChannelStride : outHeight * outWidth; }
  int64_t weightSize() const {
    return outChannels * inChannelsPerGroup() * kernelHeight * kernelWidth;
  }
  // Multiply-adds of one pass (forward, backward-data and backward-weight are equal).
  double macs() const {
    return static_cast<double>(outputSize()) * inChannelsPerGroup() * kernelHeight *
           kernelWidth;
  }
};

// A 1-, 2- or 3-D convolution: a 2-D one (`plane`) plus the depth axis, which is 1 with
// no padding for conv1d and conv2d. Tensors are (N, C, D, H, W) and (O, C/groups, KD,
// KH, KW); `plane` holds N, C, H, W, O, KH, KW and the rest.
struct VolumeParams {
  ConvParams plane;
  int64_t inDepth, kernelDepth, outDepth;
  int64_t strideD, padFront, dilationD;

  bool flat() const { return inDepth == 1 && kernelDepth == 1 && outDepth == 1 && padFront == 0; }
  int64_t inputSize() const { return plane.inputSize() * inDepth; }
  int64_t outputSize() const { return plane.outputSize() * outDepth; }
  int64_t weightSize() const { return plane.weightSize() * kernelDepth; }
};

// Returns nullptr when the geometry is consistent, else a message naming the first
// field that is not. Every size must be a positive integer small enough that the
// index arithmetic (int64) cannot overflow.
const char* checkConvParams(const ConvParams& p);
const char* checkVolumeParams(const VolumeParams& p);

}  // namespace convcore
