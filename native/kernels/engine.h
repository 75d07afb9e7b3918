// One build of the convolution kernels per instruction set. conv2d.cc picks the table
// that matches activeIsa() and forwards to it.
#pragma once

#include "conv_params.h"
#include "filter8.h"
#include "matmul.h"
#include "thread_pool.h"

namespace convcore {

struct ConvKernels {
  void (*forward)(ThreadPool&, const ConvParams&, const float* input, const float* weight,
                  const float* bias, float* output);
  void (*backwardData)(ThreadPool&, const ConvParams&, const float* gradOutput,
                       const float* weight, float* gradInput);
  void (*backwardWeight)(ThreadPool&, const ConvParams&, const float* input,
                         const float* gradOutput, float* gradWeight);
  void (*backwardBias)(ThreadPool&, const ConvParams&, const float* gradOutput,
                       float* gradBias);
  void (*matmul)(ThreadPool&, const MatmulParams&, const float* a, const float* b,
                 const float* bias, float* c);
  void (*filter8)(ThreadPool&, const Filter8Params&, const float* weights, const int32_t* rowMap,
                  const int32_t* colMap, const uint8_t* src, uint8_t* dst);
  // Runs `seconds` of independent FMA chains and returns GFLOP/s on the calling thread.
  double (*fmaPeak)(double seconds);
};

namespace generic { const ConvKernels& kernels(); }
namespace avx2 { const ConvKernels& kernels(); }

// The table for the instruction set activeIsa() picked.
const ConvKernels& activeKernels();

}  // namespace convcore
