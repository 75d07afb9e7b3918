#include "malloc_cache.h"

#include <climits>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace convcore {

#if defined(__GLIBC__)

bool mallocCacheSupported() { return true; }

bool setMallocCacheLimit(size_t limitBytes) {
  // glibc's own defaults: up to 65536 mmapped blocks, trimmed beyond 128 KiB at the top.
  constexpr int kDefaultMmapMax = 65536, kDefaultTrim = 128 * 1024;
  if (limitBytes == 0) {
    return mallopt(M_MMAP_MAX, kDefaultMmapMax) == 1 && mallopt(M_TRIM_THRESHOLD, kDefaultTrim) == 1;
  }
  const int trim = limitBytes > static_cast<size_t>(INT_MAX) ? INT_MAX : static_cast<int>(limitBytes);
  return mallopt(M_MMAP_MAX, 0) == 1 && mallopt(M_TRIM_THRESHOLD, trim) == 1;
}

bool releaseMallocCache() {
  malloc_trim(0);
  return true;
}

#else

bool mallocCacheSupported() { return false; }
bool setMallocCacheLimit(size_t) { return false; }
bool releaseMallocCache() { return false; }

#endif

}  // namespace convcore
