// One output of a correlation near the image's edges, read through border maps (padded
// coordinate → source coordinate, −1 for a zero): shared by the float border pass
// (image.cc) and the fused 8-bit filter (loops/filter8.h).
#pragma once

#include <cstdint>

namespace convcore {

// Σ weights[i][j] · src[rowMap[oh + i]][colMap[ow + j·step]] over the KH × KW taps.
// static: each instruction-set build keeps its own copy (no shared out-of-line symbol).
template <typename T>
static inline float mappedSum(const T* src, int64_t rowLength, const float* weights, int64_t KH, int64_t KW,
                              int64_t step, const int32_t* rowMap, const int32_t* colMap, int64_t oh, int64_t ow) {
  float acc = 0.0f;
  for (int64_t i = 0; i < KH; ++i) {
    const int32_t sh = rowMap[oh + i];
    if (sh < 0) continue;
    for (int64_t j = 0; j < KW; ++j) {
      const int32_t sw = colMap[ow + j * step];
      if (sw >= 0) acc += weights[i * KW + j] * static_cast<float>(src[sh * rowLength + sw]);
    }
  }
  return acc;
}

}  // namespace convcore
