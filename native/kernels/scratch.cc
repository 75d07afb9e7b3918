#include "scratch.h"

#include <cstdlib>
#include <new>

namespace convcore {

namespace {

struct Buffer {
  float* data = nullptr;
  size_t capacity = 0;
  ~Buffer() { std::free(data); }
};

thread_local Buffer buffers[static_cast<int>(ScratchSlot::kCount)];

}  // namespace

float* scratch(ScratchSlot slot, size_t floats) {
  Buffer& b = buffers[static_cast<int>(slot)];
  if (floats > b.capacity) {
    // Grow by 1.5× so that slowly growing sizes do not reallocate every call.
    size_t capacity = floats + floats / 2 + 16;
    size_t bytes = (capacity * sizeof(float) + 63) / 64 * 64;
    void* fresh = std::aligned_alloc(64, bytes);
    if (fresh == nullptr) throw std::bad_alloc();
    std::free(b.data);
    b.data = static_cast<float*>(fresh);
    b.capacity = capacity;
  }
  return b.data;
}

}  // namespace convcore
