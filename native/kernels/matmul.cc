#include "matmul.h"

#include "engine.h"

namespace convcore {

const char* checkMatmulParams(const MatmulParams& p) {
  // 2^31 elements per operand at most: far beyond a typed array's reach in practice.
  constexpr int64_t kLimit = int64_t(1) << 31;
  if (p.m < 1 || p.m >= kLimit) return "m must be a positive integer below 2^31";
  if (p.n < 1 || p.n >= kLimit) return "n must be a positive integer below 2^31";
  if (p.k < 0 || p.k >= kLimit) return "k must be a non-negative integer below 2^31";
  if (p.m * p.k >= kLimit || p.k * p.n >= kLimit || p.m * p.n >= kLimit) {
    return "operands must have fewer than 2^31 elements";
  }
  return nullptr;
}

void matmul(ThreadPool& pool, const MatmulParams& p, const float* a, const float* b,
            const float* bias, float* c) {
  activeKernels().matmul(pool, p, a, b, bias, c);
}

}  // namespace convcore
