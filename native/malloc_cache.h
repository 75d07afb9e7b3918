// The process's malloc as the cache of tensor storage (glibc only). Node allocates every
// ArrayBuffer with malloc/calloc; glibc serves large ones with a fresh mmap and returns
// them with munmap, so each large result is page-faulted in afresh, page by page (on a
// virtual machine, far slower than the convolution that fills it). Kept in the heap
// instead, a freed result's pages are handed to the next one already mapped.
#pragma once

#include <cstddef>

namespace convcore {

// Whether this C library's allocator can be tuned (glibc).
bool mallocCacheSupported();

// Keeps large blocks in the heap (no mmap) and lets up to `limitBytes` of free memory
// stay at its top before it goes back to the system; 0 restores glibc's defaults (mmap
// for large blocks, 128 KiB). Process-wide. Returns false where unsupported.
bool setMallocCacheLimit(size_t limitBytes);

// Returns every free page of every arena to the system (malloc_trim). Returns false
// where unsupported.
bool releaseMallocCache();

}  // namespace convcore
