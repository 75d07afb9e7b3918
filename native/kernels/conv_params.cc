#include "conv_params.h"

namespace convcore {

namespace {
// 2^40 elements per tensor is far beyond any memory, and keeps products of two
// such sizes far inside int64.
constexpr int64_t kMaxExtent = int64_t(1) << 40;

bool inRange(int64_t v, int64_t lo) { return v >= lo && v <= kMaxExtent; }
}  // namespace

const char* checkConvParams(const ConvParams& p) {
  if (!inRange(p.batch, 1)) return "batch must be a positive integer";
  if (!inRange(p.inChannels, 1)) return "inChannels must be a positive integer";
  if (!inRange(p.inHeight, 1)) return "inHeight must be a positive integer";
  if (!inRange(p.inWidth, 1)) return "inWidth must be a positive integer";
  if (!inRange(p.outChannels, 1)) return "outChannels must be a positive integer";
  if (!inRange(p.kernelHeight, 1)) return "kernelHeight must be a positive integer";
  if (!inRange(p.kernelWidth, 1)) return "kernelWidth must be a positive integer";
  if (!inRange(p.outHeight, 1)) return "outHeight must be a positive integer";
  if (!inRange(p.outWidth, 1)) return "outWidth must be a positive integer";
  if (!inRange(p.strideH, 1) || !inRange(p.strideW, 1)) return "stride must be positive";
  if (!inRange(p.dilationH, 1) || !inRange(p.dilationW, 1)) return "dilation must be positive";
  if (!inRange(p.padTop, 0) || !inRange(p.padLeft, 0)) return "padding must be >= 0";
  if (!inRange(p.groups, 1)) return "groups must be a positive integer";
  if (p.inChannels % p.groups != 0) return "groups must divide inChannels";
  if (p.outChannels % p.groups != 0) return "groups must divide outChannels";
  // Each tensor's element count must stay below kMaxExtent too.
  const double in = double(p.batch) * p.inChannels * p.inHeight * p.inWidth;
  const double out = double(p.batch) * p.outChannels * p.outHeight * p.outWidth;
  const double w = double(p.outChannels) * p.inChannelsPerGroup() * p.kernelHeight * p.kernelWidth;
  if (in > kMaxExtent || out > kMaxExtent || w > kMaxExtent) return "tensor too large";
  // Every coordinate the kernels compute stays far inside int64: output positions times
  // strides, dilated kernel extents, and the GEMM path's phase-split input rows (Cg·sH·sW
  // planes of about the strided input's size).
  if (double(p.outHeight - 1) * p.strideH > kMaxExtent || double(p.outWidth - 1) * p.strideW > kMaxExtent)
    return "stride times output size too large";
  if (double(p.kernelHeight - 1) * p.dilationH > kMaxExtent || double(p.kernelWidth - 1) * p.dilationW > kMaxExtent)
    return "dilated kernel too large";
  const double rows = p.outHeight + double(p.kernelHeight - 1) * p.dilationH / p.strideH + 1;
  const double cols = p.outWidth + double(p.kernelWidth - 1) * p.dilationW / p.strideW + 1;
  if (double(p.inChannelsPerGroup()) * p.strideH * p.strideW * rows * cols > kMaxExtent)
    return "strides too large for the input (stride products overflow)";
  return nullptr;
}

const char* checkVolumeParams(const VolumeParams& p) {
  if (const char* problem = checkConvParams(p.plane)) return problem;
  if (!inRange(p.inDepth, 1) || !inRange(p.kernelDepth, 1) || !inRange(p.outDepth, 1))
    return "depth sizes must be positive integers";
  if (!inRange(p.strideD, 1) || !inRange(p.dilationD, 1)) return "depth stride and dilation must be positive";
  if (!inRange(p.padFront, 0)) return "padding must be >= 0";
  if (double(p.outDepth - 1) * p.strideD > kMaxExtent || double(p.kernelDepth - 1) * p.dilationD > kMaxExtent)
    return "depth stride or dilation too large";
  const double scale = double(p.inDepth) * p.kernelDepth * p.outDepth;
  if (double(p.plane.inputSize()) * p.inDepth > kMaxExtent || double(p.plane.outputSize()) * p.outDepth > kMaxExtent ||
      double(p.plane.weightSize()) * p.kernelDepth > kMaxExtent || scale > kMaxExtent)
    return "tensor too large";
  return nullptr;
}

}  // namespace convcore
