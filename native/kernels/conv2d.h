// The four convolution kernels. Each overwrites its output buffer (never accumulates),
// reads only inside the buffers whose sizes ConvParams implies, and gives bitwise the
// same result whatever the pool's thread count: every output element is reduced by one
// thread in a fixed order, and split reductions are summed in a fixed order.
#pragma once

#include "conv_params.h"
#include "cpu_features.h"
#include "thread_pool.h"

namespace convcore {

// The GEMM paths gather each image's input rows onto a grid as large as the strided
// output plus the dilated kernel's reach: about the padded input. Where a dilated kernel
// reaches far into padding (dilation and padding far beyond the input, the output small)
// that grid would be mostly zeros and could need more memory than the machine has, so
// such shapes take the direct paths, whose memory follows the output and the weights.
static inline bool gemmGridIsCompact(const ConvParams& p) {
  const double rows = double(p.outHeight) * p.strideH + double(p.kernelHeight - 1) * p.dilationH;
  const double cols = double(p.outWidth) * p.strideW + double(p.kernelWidth - 1) * p.dilationW;
  const double planes = double(p.inHeight) * p.inWidth + double(p.outHeight) * p.outWidth;
  return rows * cols <= 4 * planes + 65536;
}

// Whether conv2dForward takes the GEMM path for this shape (the one that can read
// ConvParams::planeTable, as the GEMM backward-weight can): a 6-row tile wastes most of
// its work below a few output channels per group, and per-tile overhead dominates tiny
// reductions, so those shapes go direct. static: each instruction-set build keeps its
// own copy.
static inline bool forwardUsesGemm(const ConvParams& p) {
  return p.outChannelsPerGroup() >= 3 &&
         p.inChannelsPerGroup() * p.kernelHeight * p.kernelWidth >= 4 && gemmGridIsCompact(p);
}

// Likewise for conv2dBackwardWeight.
static inline bool weightGradUsesGemm(const ConvParams& p) {
  return p.outChannelsPerGroup() >= 3 && gemmGridIsCompact(p);
}

// Whether the GEMM backward-weight runs as a plain GEMM over packed blocks of pixels
// (loops/pointwise_weight_grad.h): 1×1, stride 1, no padding, and channels enough for
// whole tiles and work for every thread (24 input and 40 output channels, 28², batch 8,
// took 1.4 times as long as the dot products at 1 thread and 2.6 at 2: 5 tiles, a
// quarter of each thrown away).
static inline bool weightGradIsPointwise(const ConvParams& p) {
  return p.kernelHeight == 1 && p.kernelWidth == 1 && p.strideH == 1 && p.strideW == 1 && p.padTop == 0 &&
         p.padLeft == 0 && p.outHeight == p.inHeight && p.outWidth == p.inWidth && p.planeTable == nullptr &&
         p.gradPlaneTable == nullptr && p.inChannelsPerGroup() >= 64 && p.outChannelsPerGroup() >= 64;
}

// Backward-data with stride 1 is a forward convolution of gradOutput with the kernel
// rotated by 180° and its channel axes swapped: the shape of that forward.
static inline ConvParams backwardDataAsForwardParams(const ConvParams& p) {
  ConvParams t = p;
  t.inChannels = p.outChannels;
  t.inHeight = p.outHeight;
  t.inWidth = p.outWidth;
  t.outChannels = p.inChannels;
  t.outHeight = p.inHeight;
  t.outWidth = p.inWidth;
  t.padTop = (p.kernelHeight - 1) * p.dilationH - p.padTop;
  t.padLeft = (p.kernelWidth - 1) * p.dilationW - p.padLeft;
  t.planeTable = p.gradPlaneTable;  // gradOutput is that forward's input
  t.gradPlaneTable = nullptr;
  return t;
}

// Whether conv2dBackwardData runs as a forward over gradOutput (stride 1, enough input
// channels, an output about as large as the input so that the rotated kernel mostly
// reads real gradients, not padding): no scatter. For finite weights and shapes that
// do not take the small-image path (dispatch.cc).
static inline bool backwardDataRunsAsForward(const ConvParams& p) {
  const bool fullSize = 4 * p.inHeight * p.inWidth <= 5 * p.outHeight * p.outWidth;
  return p.strideH == 1 && p.strideW == 1 && p.inChannelsPerGroup() >= 6 && fullSize;
}

// Whether that forward is the GEMM's, the path that can read ConvParams::gradPlaneTable.
static inline bool backwardDataUsesForwardGemm(const ConvParams& p) {
  return backwardDataRunsAsForward(p) && forwardUsesGemm(backwardDataAsForwardParams(p));
}

// output (N,O,OH,OW) = input (N,C,H,W) ⋆ weight (O,C/groups,KH,KW) + bias (O) or none.
// Returns true when the path found every weight finite (it read them all anyway), so
// that markPaddedTapsInOutput need not scan them again; false when it did not look.
bool conv2dForward(ThreadPool& pool, const ConvParams& p, const float* input,
                   const float* weight, const float* bias, float* output);

// gradInput (N,C,H,W) from gradOutput (N,O,OH,OW) and weight.
void conv2dBackwardData(ThreadPool& pool, const ConvParams& p, const float* gradOutput,
                        const float* weight, float* gradInput);

// gradWeight (O,C/groups,KH,KW) from input and gradOutput. Returns true when the path
// found every entry finite (so markPaddedTapsInWeightGrad need not scan them); false
// when it did not look.
bool conv2dBackwardWeight(ThreadPool& pool, const ConvParams& p, const float* input,
                          const float* gradOutput, float* gradWeight);

// gradBias (O): gradOutput summed over N, OH and OW.
void conv2dBackwardBias(ThreadPool& pool, const ConvParams& p, const float* gradOutput,
                        float* gradBias);

// The FMA throughput of one thread running independent chains of `isa`'s vector, for
// the benchmark's "% of peak" column.
double fmaPeakGflops(double seconds, Isa isa);

}  // namespace convcore
