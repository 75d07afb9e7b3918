// The convolution engine, compiled once per instruction set (engine_avx2.cc,
// engine_generic.cc) inside the namespace CONVCORE_ISA_NAMESPACE names.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "blocking.h"
#include "engine.h"
#include "row_range.h"
#include "scratch.h"
#include "simd.h"

namespace convcore {
namespace CONVCORE_ISA_NAMESPACE {

#include "impl/direct.h"
#include "impl/gemm.h"
#include "impl/bias.h"
#include "impl/select.h"

const ConvKernels& kernels() {
  static const ConvKernels table = {forward, backwardData, backwardWeight, backwardBias, fmaPeak};
  return table;
}

}  // namespace CONVCORE_ISA_NAMESPACE
}  // namespace convcore
