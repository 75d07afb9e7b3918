// One build of the kernels per instruction set (engine_impl.h, compiled once per ISA).
// dispatch.cc calls every kernel through these tables.
#pragma once

#include "channel_norm.h"
#include "conv_params.h"
#include "cpu_features.h"
#include "elementwise.h"
#include "filter8.h"
#include "matmul.h"
#include "pool2d.h"
#include "small_image.h"
#include "thread_pool.h"

namespace convcore {

using ForwardFn = void (*)(ThreadPool&, const ConvParams&, const float* input, const float* weight,
                          const float* bias, float* output);
using BackwardDataFn = void (*)(ThreadPool&, const ConvParams&, const float* gradOutput, const float* weight,
                                float* gradInput);
using BackwardWeightFn = void (*)(ThreadPool&, const ConvParams&, const float* input, const float* gradOutput,
                                  float* gradWeight);

// One instruction set's build of every path. dispatch.cc picks, for each call, the path
// (from the shape) and the build that runs it.
struct ConvKernels {
  ForwardFn forwardGemm;    // implicit GEMM over a grid of gathered input rows (loops/gemm_*.h)
  ForwardFn forwardDirect;  // each output row from the input rows (direct.h)
  // Backward-data: the column gradient by GEMM, scattered; a forward convolution of
  // gradOutput with the rotated kernel (stride 1), on the GEMM or direct forward as the
  // shape takes it, or on the direct one; a gather of every (output, tap) pair.
  BackwardDataFn backwardDataGemm, backwardDataAsForward, backwardDataAsDirectForward, backwardDataGather;
  BackwardWeightFn backwardWeightGemm, backwardWeightDirect;
  // Small images (small_image.h's rule): a GEMM per output position over the taps
  // that read the input there. The forward returns whether every weight is finite (it
  // reads them all). Backward-data runs as its own pass, or (stride 1) as that forward
  // over gradOutput with the rotated kernel, whose taps are then the transposed shape's.
  bool (*smallImageForward)(ThreadPool&, const ConvParams&, const SmallImageTaps&, const float* input,
                            const float* weight, const float* bias, float* output);
  void (*smallImageBackwardData)(ThreadPool&, const ConvParams&, const SmallImageTaps&, const float* gradOutput,
                                 const float* weight, float* gradInput);
  void (*smallImageBackwardDataAsForward)(ThreadPool&, const ConvParams&, const SmallImageTaps& transposedTaps,
                                          const float* gradOutput, const float* weight, float* gradInput);
  // The weight gradient returns whether every entry is finite.
  bool (*smallImageBackwardWeight)(ThreadPool&, const ConvParams&, const SmallImageTaps&, const float* input,
                                   const float* gradOutput, float* gradWeight);
  void (*backwardBias)(ThreadPool&, const ConvParams&, const float* gradOutput, float* gradBias);
  void (*matmul)(ThreadPool&, const MatmulParams&, const float* a, const float* b,
                 const float* bias, float* c);
  void (*filter8)(ThreadPool&, const Filter8Params&, const float* weights, const int32_t* rowMap,
                  const int32_t* colMap, const uint8_t* src, uint8_t* dst);
  // Runs `seconds` of independent FMA chains of this build's vector and returns GFLOP/s
  // on the calling thread.
  double (*fmaPeak)(double seconds);
  // Element-wise ops, their gradients and reductions (elementwise.h, loops/elementwise.h).
  void (*binary)(ThreadPool&, BinaryOp, const BroadcastLayout&, const float* x, const float* y, float* out);
  void (*binaryBackward)(ThreadPool&, BinaryOp, const BroadcastLayout&, const float* g, const float* x,
                         const float* y, float* gx, float* gy);
  void (*unary)(ThreadPool&, const UnaryParams&, const float* x, int64_t n, float* out);
  void (*unaryBackward)(ThreadPool&, const UnaryParams&, const float* g, const float* x, const float* y, int64_t n,
                        float* gx);
  void (*reduce)(ThreadPool&, const ReduceLayout&, const float* x, float* out);
  void (*argReduce)(ThreadPool&, const ArgReduceLayout&, const float* x, float* out);
  void (*where)(ThreadPool&, const BroadcastLayout&, const float* condition, const float* x, const float* y,
                float* out);
  void (*whereBackward)(ThreadPool&, const BroadcastLayout&, const float* condition, const float* g, float* gx,
                        float* gy);
  // Per-channel statistics and affine maps (channel_norm.h, loops/channel_norm.h).
  void (*channelMoments)(ThreadPool&, const ChannelLayout&, const float* x, float* mean, float* variance);
  void (*channelGradSums)(ThreadPool&, const ChannelLayout&, const float* g, const float* x, const float* mean,
                          float* sumG, float* sumGX);
  void (*channelAffine)(ThreadPool&, const ChannelLayout&, const ChannelAffineTerms&, float* out);
  // Max pooling's forward (pool2d.h, loops/max_pool.h).
  void (*maxPoolForward)(ThreadPool&, const PoolParams&, const float* input, float* output, int32_t* indices);
};

namespace generic { const ConvKernels& kernels(); }
namespace avx2 { const ConvKernels& kernels(); }
namespace avx512 { const ConvKernels& kernels(); }
namespace neon { const ConvKernels& kernels(); }

// The table for the instruction set activeIsa() picked (matmul, filter8, the peak).
const ConvKernels& activeKernels();
// The build for sums and means: the active one, except AVX2's where the core splits
// 512-bit operations (dispatch.cc says why).
const ConvKernels& sumKernels();
// One level's build (the CPU must have it: cpuHas).
const ConvKernels& kernelsOf(Isa isa);

}  // namespace convcore
