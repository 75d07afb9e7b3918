// The fused 8-bit filter (see filter8.h). Part of engine_impl.h (ISA namespace).
#pragma once

namespace filter8 {

inline V8 mapToByteRange(V8 v, bool absolute, V8 offset) {
  if (absolute) v = absv(v);
  return minv(maxv(add(v, offset), zero()), broadcast(255.0f));
}

// out (rows of rowElements bytes) = weights ⋆ src, rowMap/colMap for the border (padded
// row → source row, padded element → source element, −1 for zero).
inline void run(ThreadPool& pool, const Filter8Params& p, const float* weights, const int32_t* rowMap,
                const int32_t* colMap, const uint8_t* src, uint8_t* dst) {
  const int64_t H = p.height, L = p.rowElements, C = p.channels, KH = p.kernelHeight, KW = p.kernelWidth;
  const int64_t padLeft = p.padLeftPixels * C, span = (KW - 1) * C;
  // Vector columns: every tap's 8 reads inside the row.
  const int64_t vectorBegin = padLeft, vectorEnd = L - span + padLeft - kLanes + 1;
  const V8 offset = broadcast(p.offset);
  auto scalar = [&](int64_t oh, int64_t ow) {
    const float acc = mappedSum(src, L, weights, KH, KW, C, rowMap, colMap, oh, ow);
    float v = p.absolute ? (acc < 0.0f ? -acc : acc) : acc;
    v += p.offset;
    v = v > 0.0f ? v : 0.0f;
    v = v < 255.0f ? v : 255.0f;
    constexpr float kRound = 8388608.0f;
    dst[oh * L + ow] = static_cast<uint8_t>(static_cast<int32_t>((v + kRound) - kRound));
  };
  pool.parallelFor(H, grainFor(L * KH * KW), [&](int64_t first, int64_t last) {
    for (int64_t oh = first; oh < last; ++oh) {
      const int64_t top = oh - p.padTop;
      const bool rowInside = top >= 0 && top + KH <= H;
      int64_t ow = 0;
      if (rowInside && vectorEnd > vectorBegin) {
        for (; ow < vectorBegin; ++ow) scalar(oh, ow);
        // Two vectors at a time: each weight broadcast serves 16 outputs.
        for (; ow + kLanes < vectorEnd; ow += 2 * kLanes) {
          V8 acc0 = zero(), acc1 = zero();
          for (int64_t i = 0; i < KH; ++i) {
            const uint8_t* row = src + (top + i) * L + ow - padLeft;
            for (int64_t j = 0; j < KW; ++j) {
              const V8 w = broadcast(weights + i * KW + j);
              acc0 = fmadd(w, loadBytes(row + j * C), acc0);
              acc1 = fmadd(w, loadBytes(row + j * C + kLanes), acc1);
            }
          }
          storeBytes(dst + oh * L + ow, mapToByteRange(acc0, p.absolute, offset));
          storeBytes(dst + oh * L + ow + kLanes, mapToByteRange(acc1, p.absolute, offset));
        }
        for (; ow < vectorEnd; ow += kLanes) {
          V8 acc = zero();
          for (int64_t i = 0; i < KH; ++i) {
            const uint8_t* row = src + (top + i) * L + ow - padLeft;
            for (int64_t j = 0; j < KW; ++j) acc = fmadd(broadcast(weights + i * KW + j), loadBytes(row + j * C), acc);
          }
          storeBytes(dst + oh * L + ow, mapToByteRange(acc, p.absolute, offset));
        }
      }
      for (; ow < L; ++ow) scalar(oh, ow);
    }
  });
}

}  // namespace filter8
