// Element-wise ops with NumPy broadcasting, their gradients, and reductions over any
// set of dimensions: what the TypeScript side describes (coalesced layouts, named), and
// the checks the C++ side makes again. The loops are per ISA: loops/elementwise.h.
#pragma once

#include <cstdint>

#include "thread_pool.h"

namespace convcore {

enum class BinaryOp { kAdd, kSub, kMul, kDiv, kMaximum, kMinimum };
enum class UnaryOp {
  kNeg, kSquare, kPow, kExp, kLog, kSqrt, kRsqrt, kAbs, kClamp,
  // Activations: leaky ReLU (slope a), SiLU, GELU (erf, and its tanh approximation),
  // hardswish, hardtanh (clamp to [a, b] whose gradient stops at the bounds, as PyTorch's).
  kLeakyRelu, kSilu, kGelu, kGeluTanh, kHardswish, kHardtanh,
};
enum class ReduceOp { kSum, kMax, kMin };

constexpr int kMaxLayoutRank = 8;

// out (contiguous, `sizes`) = x op y, x and y read through their strides (0 along a
// broadcast dimension); where's condition through cStrides (all 0 for other ops).
// Adjacent dimensions that run on in every operand are merged by the caller, so the
// innermost one is as long as it can be.
struct BroadcastLayout {
  int rank;
  int64_t sizes[kMaxLayoutRank];
  int64_t xStrides[kMaxLayoutRank];
  int64_t yStrides[kMaxLayoutRank];
  int64_t cStrides[kMaxLayoutRank];
};

// A unary op and its scalars: the exponent of pow (a), the bounds of clamp ([a, b]).
struct UnaryParams {
  UnaryOp op;
  float a, b;
};

// out = op over the reduced dimensions of a contiguous x of `sizes` (adjacent dimensions
// of the same kind merged by the caller), contiguous over the kept ones in order; a sum
// is scaled by `scale` (1/count: a mean).
struct ReduceLayout {
  int rank;
  int64_t sizes[kMaxLayoutRank];
  bool reduced[kMaxLayoutRank];
  ReduceOp op;
  double scale;
};

// out[o·inner + i] = the index k (a float) of the largest (max) or smallest of
// x[(o·length + k)·inner + i] over k: the first on ties, the first NaN where there is one.
struct ArgReduceLayout {
  int64_t outer, length, inner;
  bool max;
};

int64_t layoutCount(int rank, const int64_t* sizes);
// The element count a layout's operand must hold to be read through `strides`.
int64_t stridedExtent(int rank, const int64_t* sizes, const int64_t* strides);
// The number of outputs of a reduction.
int64_t reducedCount(const ReduceLayout& layout);

// A problem with the layout, or null.
const char* checkBroadcastLayout(const BroadcastLayout& layout);
const char* checkReduceLayout(const ReduceLayout& layout);
const char* checkArgReduceLayout(const ArgReduceLayout& layout);

// The active ISA's build of each (buffers checked by the caller against the layout).
void elementwiseBinary(ThreadPool& pool, BinaryOp op, const BroadcastLayout& layout, const float* x,
                       const float* y, float* out);
// gx, gy at the broadcast shape (either may be null).
void elementwiseBinaryBackward(ThreadPool& pool, BinaryOp op, const BroadcastLayout& layout, const float* g,
                               const float* x, const float* y, float* gx, float* gy);
void elementwiseUnary(ThreadPool& pool, const UnaryParams& params, const float* x, int64_t n, float* out);
// From x and the saved output y.
void elementwiseUnaryBackward(ThreadPool& pool, const UnaryParams& params, const float* g, const float* x,
                              const float* y, int64_t n, float* gx);
void reduceElements(ThreadPool& pool, const ReduceLayout& layout, const float* x, float* out);
void argReduceElements(ThreadPool& pool, const ArgReduceLayout& layout, const float* x, float* out);
// out = condition ≠ 0 ? x : y (NaN counts as true), broadcast.
void elementwiseWhere(ThreadPool& pool, const BroadcastLayout& layout, const float* condition, const float* x,
                      const float* y, float* out);
// gx = condition ? g : 0, gy = condition ? 0 : g at the broadcast shape (either may be null).
void elementwiseWhereBackward(ThreadPool& pool, const BroadcastLayout& layout, const float* condition,
                              const float* g, float* gx, float* gy);

}  // namespace convcore
