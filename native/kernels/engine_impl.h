// The convolution engine, compiled once per instruction set (engine_avx2.cc,
// engine_generic.cc) inside the namespace CONVCORE_ISA_NAMESPACE names.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "border_pixel.h"
#include "chunks.h"
#include "compiler.h"
#include "conv2d.h"
#include "engine.h"
#include "row_range.h"
#include "scratch.h"
#include "simd.h"
#include "blocking.h"
#include "unrolled.h"

namespace convcore {
namespace CONVCORE_ISA_NAMESPACE {

// Plain loops instead of std::fill/std::copy: no out-of-line template built with AVX2
// may be shared with (and picked by the linker for) the generic build.
inline void fillZero(float* dst, int64_t count) {
  for (int64_t i = 0; i < count; ++i) dst[i] = 0.0f;
}
inline void copyFloats(float* dst, const float* src, int64_t count) {
  for (int64_t i = 0; i < count; ++i) dst[i] = src[i];
}

// Micro-kernels: the register tiles, one per file (their shapes per ISA: blocking.h).
#include "micro/f32_gemm_tile.h"
#include "micro/f32_gemm_stores.h"
#include "micro/f32_dot_tile.h"
#include "micro/f32_conv_row_tile.h"

// Loops: blocking, gathers, scatters and threads around the micro-kernels.
#include "loops/direct.h"
#include "loops/grid.h"
#include "loops/gather_rows.h"
#include "loops/gemm_forward.h"
#include "loops/gemm_backward_data.h"
#include "loops/gemm_backward_weight.h"
#include "loops/bias.h"
#include "loops/matmul.h"
#include "loops/pointwise_weight_grad.h"
#include "loops/small_image.h"
#include "loops/filter8.h"
#include "loops/elementwise.h"
#include "loops/channel_norm.h"
#include "loops/max_pool.h"
#include "loops/entry_points.h"

const ConvKernels& kernels() {
  static const ConvKernels table = {
      gemm::forward, direct::forward,
      gemm::backwardData, backwardDataAsForward, backwardDataAsDirectForward, direct::backwardDataGather,
      backwardWeightGemm, direct::backwardWeight,
      small_image::forward, small_image::backwardData, smallImageBackwardDataAsForward, small_image::backwardWeight,
      backwardBias, dense::matmul, filter8::run, fmaPeak,
      elementwise::binary, elementwise::binaryBackward, elementwise::unary, elementwise::unaryBackward,
      elementwise::reduce, elementwise::argReduce, elementwise::where, elementwise::whereBackward,
      channel_norm::moments, channel_norm::gradSums, channel_norm::affine, max_pool::forward};
  return table;
}

}  // namespace CONVCORE_ISA_NAMESPACE
}  // namespace convcore
