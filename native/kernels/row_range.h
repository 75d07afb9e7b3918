// Which output columns of a row touch the input for one kernel tap: the columns ow with
// 0 <= ow * stride + offset < width. Clipping here is what keeps every read in bounds,
// whatever the output size, and what makes zero padding free.
#pragma once

#include <algorithm>
#include <cstdint>

namespace convcore {

struct ColumnRange {
  int64_t begin;
  int64_t end;
};

inline ColumnRange validColumns(int64_t offset, int64_t stride, int64_t width,
                                int64_t outWidth) {
  const int64_t begin = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  const int64_t end = offset >= width ? 0 : std::min(outWidth, (width - 1 - offset) / stride + 1);
  return {begin, std::max(begin, end)};
}

// Work per parallel chunk: enough multiply-adds to amortise waking a thread (~10 µs).
constexpr int64_t kMinMacsPerChunk = 1 << 16;

inline int64_t grainFor(int64_t macsPerItem) {
  return std::max<int64_t>(1, kMinMacsPerChunk / std::max<int64_t>(1, macsPerItem));
}

}  // namespace convcore
