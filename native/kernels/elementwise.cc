#include "elementwise.h"

#include "engine.h"

namespace convcore {

int64_t layoutCount(int rank, const int64_t* sizes) {
  int64_t count = 1;
  for (int d = 0; d < rank; ++d) count *= sizes[d];
  return count;
}

int64_t stridedExtent(int rank, const int64_t* sizes, const int64_t* strides) {
  int64_t last = 0;  // the furthest element read
  for (int d = 0; d < rank; ++d) {
    if (sizes[d] == 0) return 0;
    last += (sizes[d] - 1) * strides[d];
  }
  return last + 1;
}

int64_t reducedCount(const ReduceLayout& layout) {
  int64_t count = 1;
  for (int d = 0; d < layout.rank; ++d)
    if (!layout.reduced[d]) count *= layout.sizes[d];
  return count;
}

namespace {

// Sizes in [0, 2^40] and a product that fits comfortably in an int64.
const char* checkSizes(int rank, const int64_t* sizes) {
  if (rank < 1 || rank > kMaxLayoutRank) return "layout rank must be in 1..8";
  double product = 1;
  for (int d = 0; d < rank; ++d) {
    if (sizes[d] < 0 || sizes[d] > (int64_t(1) << 40)) return "layout sizes must be in 0..2^40";
    product *= static_cast<double>(sizes[d]);
  }
  if (product > 9.0e15) return "layout element count too large";
  return nullptr;
}

}  // namespace

const char* checkBroadcastLayout(const BroadcastLayout& layout) {
  if (const char* problem = checkSizes(layout.rank, layout.sizes)) return problem;
  for (int d = 0; d < layout.rank; ++d) {
    for (const int64_t stride : {layout.xStrides[d], layout.yStrides[d], layout.cStrides[d]}) {
      if (stride < 0) return "layout strides must be non-negative";
      if (stride > (int64_t(1) << 40)) return "layout strides too large";
    }
  }
  return nullptr;
}

const char* checkReduceLayout(const ReduceLayout& layout) {
  if (const char* problem = checkSizes(layout.rank, layout.sizes)) return problem;
  if (!(layout.scale == layout.scale)) return "reduction scale must be a number";
  return nullptr;
}

const char* checkArgReduceLayout(const ArgReduceLayout& layout) {
  const int64_t sizes[] = {layout.outer, layout.length, layout.inner};
  if (const char* problem = checkSizes(3, sizes)) return problem;
  if (layout.length < 1) return "an argument reduction needs at least one element along its dimension";
  return nullptr;
}

void elementwiseBinary(ThreadPool& pool, BinaryOp op, const BroadcastLayout& layout, const float* x,
                       const float* y, float* out) {
  activeKernels().binary(pool, op, layout, x, y, out);
}

void elementwiseBinaryBackward(ThreadPool& pool, BinaryOp op, const BroadcastLayout& layout, const float* g,
                               const float* x, const float* y, float* gx, float* gy) {
  activeKernels().binaryBackward(pool, op, layout, g, x, y, gx, gy);
}

void elementwiseUnary(ThreadPool& pool, const UnaryParams& params, const float* x, int64_t n, float* out) {
  activeKernels().unary(pool, params, x, n, out);
}

void elementwiseUnaryBackward(ThreadPool& pool, const UnaryParams& params, const float* g, const float* x,
                              const float* y, int64_t n, float* gx) {
  activeKernels().unaryBackward(pool, params, g, x, y, n, gx);
}

void reduceElements(ThreadPool& pool, const ReduceLayout& layout, const float* x, float* out) {
  (layout.op == ReduceOp::kSum ? sumKernels() : activeKernels()).reduce(pool, layout, x, out);
}

void argReduceElements(ThreadPool& pool, const ArgReduceLayout& layout, const float* x, float* out) {
  activeKernels().argReduce(pool, layout, x, out);
}

void elementwiseWhere(ThreadPool& pool, const BroadcastLayout& layout, const float* condition, const float* x,
                      const float* y, float* out) {
  activeKernels().where(pool, layout, condition, x, y, out);
}

void elementwiseWhereBackward(ThreadPool& pool, const BroadcastLayout& layout, const float* condition,
                              const float* g, float* gx, float* gy) {
  activeKernels().whereBackward(pool, layout, condition, g, gx, gy);
}

}  // namespace convcore
