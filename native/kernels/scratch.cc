#include "scratch.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "compiler.h"

namespace convcore {

namespace {

struct Buffer {
  float* data = nullptr;
  size_t capacity = 0;
  ~Buffer() { alignedFree(data); }
};

thread_local Buffer buffers[static_cast<int>(ScratchSlot::kCount)];

// CONVCORE_MAX_SCRATCH_MB caps each buffer: a server can bound what one call takes
// (and the tests can make an allocation fail on demand). Unset: no cap but the machine's.
size_t maxScratchBytes() {
  static const size_t limit = [] {
    const char* text = std::getenv("CONVCORE_MAX_SCRATCH_MB");
    const double mib = text != nullptr ? std::strtod(text, nullptr) : 0;
    return mib > 0 ? static_cast<size_t>(mib * (1 << 20)) : SIZE_MAX;
  }();
  return limit;
}

}  // namespace

ScratchAllocationError::ScratchAllocationError(size_t bytes) {
  const double mib = double(bytes) / (1 << 20);
  if (bytes > maxScratchBytes())
    std::snprintf(message_, sizeof message_,
                  "convcore native: out of memory: this shape needs a scratch buffer of %.1f MiB, "
                  "above CONVCORE_MAX_SCRATCH_MB=%.4g", mib, double(maxScratchBytes()) / (1 << 20));
  else
    std::snprintf(message_, sizeof message_,
                  "convcore native: out of memory: a scratch buffer of %.1f MiB could not be allocated for this shape", mib);
}

float* scratch(ScratchSlot slot, size_t floats) {
  Buffer& b = buffers[static_cast<int>(slot)];
  if (floats > b.capacity) {
    // Grow by 1.5× so that slowly growing sizes do not reallocate every call.
    size_t capacity = floats + floats / 2 + 16;
    size_t bytes = (capacity * sizeof(float) + 63) / 64 * 64;
    void* fresh = bytes <= maxScratchBytes() ? alignedAlloc(bytes) : nullptr;
    if (fresh == nullptr) throw ScratchAllocationError(bytes);
    alignedFree(b.data);
    b.data = static_cast<float*>(fresh);
    b.capacity = capacity;
  }
  return b.data;
}

}  // namespace convcore
