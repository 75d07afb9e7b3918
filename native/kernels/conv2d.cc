#include "conv2d.h"

#include "cpu_features.h"
#include "engine.h"

namespace convcore {

const ConvKernels& activeKernels() {
  return activeIsa() == Isa::kAvx2 ? avx2::kernels() : generic::kernels();
}

void conv2dForward(ThreadPool& pool, const ConvParams& p, const float* input,
                   const float* weight, const float* bias, float* output) {
  activeKernels().forward(pool, p, input, weight, bias, output);
}

void conv2dBackwardData(ThreadPool& pool, const ConvParams& p, const float* gradOutput,
                        const float* weight, float* gradInput) {
  activeKernels().backwardData(pool, p, gradOutput, weight, gradInput);
}

void conv2dBackwardWeight(ThreadPool& pool, const ConvParams& p, const float* input,
                          const float* gradOutput, float* gradWeight) {
  activeKernels().backwardWeight(pool, p, input, gradOutput, gradWeight);
}

void conv2dBackwardBias(ThreadPool& pool, const ConvParams& p, const float* gradOutput,
                        float* gradBias) {
  activeKernels().backwardBias(pool, p, gradOutput, gradBias);
}

double fmaPeakGflops(double seconds) { return activeKernels().fmaPeak(seconds); }

}  // namespace convcore
