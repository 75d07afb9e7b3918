#include "pointwise.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "chunks.h"

namespace convcore {

void activationForward(ThreadPool& pool, Activation kind, const float* x, float* y, int64_t n) {
  forChunks(pool, n, [&](int64_t begin, int64_t end) {
    switch (kind) {
      case Activation::kRelu:
        // v < 0 ? 0 : v keeps NaN (the comparison is false), as PyTorch.
        for (int64_t i = begin; i < end; ++i) y[i] = x[i] < 0.0f ? 0.0f : x[i];
        break;
      case Activation::kSigmoid:
        for (int64_t i = begin; i < end; ++i) y[i] = 1.0f / (1.0f + std::exp(-x[i]));
        break;
      case Activation::kTanh:
        for (int64_t i = begin; i < end; ++i) y[i] = std::tanh(x[i]);
        break;
    }
  });
}

void activationBackward(ThreadPool& pool, Activation kind, const float* g, const float* y, float* dx,
                        int64_t n) {
  forChunks(pool, n, [&](int64_t begin, int64_t end) {
    switch (kind) {
      case Activation::kRelu:
        // g[i] read whatever y[i] is: a conditional read is a branch per element
        // (mispredicted on half of them), an unconditional one a vector select.
        for (int64_t i = begin; i < end; ++i) {
          const float gi = g[i];
          dx[i] = y[i] > 0.0f ? gi : 0.0f;
        }
        break;
      case Activation::kSigmoid:
        for (int64_t i = begin; i < end; ++i) dx[i] = g[i] * y[i] * (1.0f - y[i]);
        break;
      case Activation::kTanh:
        for (int64_t i = begin; i < end; ++i) dx[i] = g[i] * (1.0f - y[i] * y[i]);
        break;
    }
  });
}

namespace {

// Calls f with each flag as a std::bool_constant, so that every combination gets a loop
// of its own with no test left inside: GCC vectorises no loop that branches (and will
// not select between two computed values, which could raise a floating-point trap).
template <typename F>
void withFlags(const F& f) {
  f();
}
template <typename F, typename... Rest>
void withFlags(const F& f, bool first, Rest... rest) {
  if (first) withFlags([&](auto... more) { f(std::true_type{}, more...); }, rest...);
  else withFlags([&](auto... more) { f(std::false_type{}, more...); }, rest...);
}

}  // namespace

void sgdStep(ThreadPool& pool, const SgdParams& p, float* weight, const float* grad,
             float* momentumBuffer, int64_t n) {
  withFlags([&](auto maximize, auto decay, auto momentum, auto firstStep, auto nesterov) {
    forChunks(pool, n, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        float d = maximize ? -grad[i] : grad[i];
        if (decay) d += p.weightDecay * weight[i];
        if (momentum) {
          float& buf = momentumBuffer[i];
          buf = firstStep ? d : p.momentum * buf + (1.0f - p.dampening) * d;
          d = nesterov ? d + p.momentum * buf : buf;
        }
        weight[i] -= p.lr * d;
      }
    });
  }, p.maximize, p.weightDecay != 0.0f, momentumBuffer != nullptr, p.firstStep, p.nesterov);
}

void adamStep(ThreadPool& pool, const AdamParams& p, float* weight, const float* grad, float* expAvg,
              float* expAvgSq, int64_t n) {
  withFlags([&](auto maximize, auto decay, auto decoupled) {
    forChunks(pool, n, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        float d = maximize ? -grad[i] : grad[i];
        if (decay) {
          if (decoupled) weight[i] *= 1.0f - p.lr * p.weightDecay;
          else d += p.weightDecay * weight[i];
        }
        expAvg[i] = p.beta1 * expAvg[i] + (1.0f - p.beta1) * d;
        expAvgSq[i] = p.beta2 * expAvgSq[i] + (1.0f - p.beta2) * d * d;
        weight[i] -= p.stepSize * expAvg[i] / (std::sqrt(expAvgSq[i]) / p.correction2 + p.eps);
      }
    });
  }, p.maximize, p.weightDecay != 0.0f, p.decoupled);
}

}  // namespace convcore
