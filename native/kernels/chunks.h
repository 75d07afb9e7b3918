// Element-wise work over [0, n) in fixed chunks spread over the pool: each element's
// result does not depend on the split, and one chunk runs inline without waking it.
#pragma once

#include <algorithm>
#include <cstdint>

#include "thread_pool.h"

namespace convcore {

// Elements per parallel chunk: a few hundred KiB of traffic, enough to pay for a wake-up.
constexpr int64_t kElementChunk = 1 << 15;

template <typename Body>
void forChunks(ThreadPool& pool, int64_t n, const Body& body) {
  const int64_t chunks = (n + kElementChunk - 1) / kElementChunk;
  if (chunks <= 1) {
    body(int64_t(0), n);
    return;
  }
  pool.parallelFor(chunks, 1, [&](int64_t first, int64_t last) {
    for (int64_t c = first; c < last; ++c) body(c * kElementChunk, std::min(n, (c + 1) * kElementChunk));
  });
}

}  // namespace convcore
