// Element-wise kernels of training: activations and their gradients, and the optimiser
// updates (SGD, Adam). Plain loops that the compiler vectorises: they are bound by
// memory bandwidth, and the pool's threads split long arrays into fixed chunks (each
// element's result does not depend on the split).
#pragma once

#include <cstdint>

#include "thread_pool.h"

namespace convcore {

enum class Activation { kRelu = 0, kSigmoid = 1, kTanh = 2 };

// y = f(x) for n elements (x and y may be the same buffer).
void activationForward(ThreadPool& pool, Activation kind, const float* x, float* y, int64_t n);
// dx = g · f'(x), from the saved output y.
void activationBackward(ThreadPool& pool, Activation kind, const float* g, const float* y, float* dx,
                        int64_t n);

struct SgdParams {
  float lr, momentum, dampening, weightDecay;
  bool nesterov, maximize;
  bool firstStep;  // the momentum buffer is set to the gradient instead of updated
};

// PyTorch's SGD for one parameter; momentumBuffer may be null when momentum is 0.
void sgdStep(ThreadPool& pool, const SgdParams& p, float* weight, const float* grad,
             float* momentumBuffer, int64_t n);

struct AdamParams {
  float lr, beta1, beta2, eps, weightDecay;
  bool decoupled;   // AdamW: weight ·= 1 − lr·weightDecay instead of grad += weightDecay·weight
  bool maximize;
  float stepSize;     // lr / (1 − β1ᵗ)
  float correction2;  // √(1 − β2ᵗ)
};

void adamStep(ThreadPool& pool, const AdamParams& p, float* weight, const float* grad, float* expAvg,
              float* expAvgSq, int64_t n);

}  // namespace convcore
