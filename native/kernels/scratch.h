// Per-thread scratch memory, reused from call to call: after the first call of a given
// size, the kernels allocate nothing. Each OS thread (pool workers, libuv workers, the
// JS thread) has its own buffers, so concurrent calls never share one.
#pragma once

#include <cstddef>
#include <new>

namespace convcore {

enum class ScratchSlot {
  kPackedWeights,  // owned by the thread that runs a call: read by all of its tasks
  kFlippedWeights, // likewise: backward-data's rotated kernel, packed again by forward
  kPartials,       // backward-weight partial sums, likewise
  kSlab,           // conv3d: one output depth's input planes (depth taps as channels)
  kSlabOutput,     // conv3d: one output depth's output or gradient planes
  kSlabGrad,       // conv3d: one output depth's gradient of the slab or the weight
  kWeightSum,      // conv3d: backward-weight's float64 sum over output depths
  kScatterPlan,    // backward-data: where each tap's column gradient lands, likewise
  kMatmulA,        // matmul: op(A) packed in 6-row panels (calling thread; read by all tasks)
  kMatmulB,        // matmul: op(B) packed in 16-column panels, likewise
  kMatmulOffsets,  // matmul: the micro-kernel's offsets table (int64), likewise
  kTaskInput,      // a task's padded input rows
  kTaskOutput,     // a task's accumulator block
  kTaskGrad,       // a task's gradient rows
  kTaskPositions,  // a task's row-vector positions
  kSmallImageInput,    // small images: the input laid out position-major (calling thread; read by all tasks)
  kSmallImageGrad,     // small images: the output gradient laid out position-major, likewise
  kSmallImageWeights,  // small images: the weights laid out tap-major, likewise
  kSmallImageOffsets,  // small images: the micro-kernel's offset tables (int64), likewise
  kPoolMaxima,     // max pooling: a task's running maxima (and a padded row)
  kPoolPositions,  // max pooling: a task's positions of those maxima (int32)
  kCount,
};

// What scratch throws when the memory is not there: a std::bad_alloc whose message
// names the size, in the "convcore native:" form that the TypeScript side turns into an
// ArgumentRangeError (as Vec throws a RangeError for an ArrayBuffer it cannot allocate).
class ScratchAllocationError : public std::bad_alloc {
 public:
  explicit ScratchAllocationError(size_t bytes);
  const char* what() const noexcept override { return message_; }

 private:
  char message_[160];
};

// At least `floats` floats, 64-byte aligned, contents unspecified. Throws
// ScratchAllocationError.
float* scratch(ScratchSlot slot, size_t floats);

}  // namespace convcore
