// Dense matrix multiplication on the convolution engine's micro-kernel, for linear
// layers: C (M×N, row-major) = op(A) · op(B) [+ C] [+ bias per column].
#pragma once

#include <cstdint>

#include "thread_pool.h"

namespace convcore {

struct MatmulParams {
  int64_t m, n, k;
  bool transA;      // A is stored K×M (op(A) = Aᵀ), else M×K
  bool transB;      // B is stored N×K (op(B) = Bᵀ), else K×N
  bool accumulate;  // C += op(A)·op(B) instead of C = op(A)·op(B)
};

// Returns nullptr when the sizes are usable, else a message naming the first that is not.
const char* checkMatmulParams(const MatmulParams& p);

// bias (N floats) or null. Every element of C is reduced by one thread over k in
// order, so the bits do not depend on the thread count.
void matmul(ThreadPool& pool, const MatmulParams& p, const float* a, const float* b,
            const float* bias, float* c);

}  // namespace convcore
