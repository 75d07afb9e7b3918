// The fused 8-bit filter (see filter8.h). Part of engine_impl.h (ISA namespace).
#pragma once

namespace filter8 {

inline V8 mapToByteRange(V8 v, bool absolute, V8 offset) {
  if (absolute) v = absv(v);
  return minv(maxv(add(v, offset), zero()), broadcast(255.0f));
}

// Σ over the window of 2 × 8 outputs from `ow` (tap (i, j) at row i, element j·C).
// kKW > 0 fixes the kernel width at compile time (unrolled taps); 0 reads it from kw.
template <int kKW>
inline void sixteen(const uint8_t* window, int64_t L, int64_t C, int64_t KH, int64_t kw, const float* weights,
                    V8& acc0, V8& acc1) {
  const int64_t KW = kKW > 0 ? kKW : kw;
  for (int64_t i = 0; i < KH; ++i) {
    const uint8_t* row = window + i * L;
    for (int64_t j = 0; j < KW; ++j) {
      const V8 w = broadcast(weights + i * KW + j);
      acc0 = fmadd(w, loadBytes(row + j * C), acc0);
      acc1 = fmadd(w, loadBytes(row + j * C + kLanes), acc1);
    }
  }
}

// Output rows [first, last): vectors where the window is inside the image, `scalar`
// (through the border maps) elsewhere.
template <typename Scalar>
inline void rows(const Filter8Params p, const float* weights, const uint8_t* src, uint8_t* dst, int64_t first,
                 int64_t last, int64_t vectorBegin, int64_t vectorEnd, const Scalar& scalar) {
  const int64_t H = p.height, L = p.rowElements, C = p.channels, KH = p.kernelHeight, KW = p.kernelWidth;
  const int64_t padLeft = p.padLeftPixels * C;
  const bool absolute = p.absolute;
  const V8 offset = broadcast(p.offset);
  auto sum = [&](const uint8_t* window, V8& acc0, V8& acc1) {
    switch (KW) {
      case 3: return sixteen<3>(window, L, C, KH, KW, weights, acc0, acc1);
      case 5: return sixteen<5>(window, L, C, KH, KW, weights, acc0, acc1);
      default: return sixteen<0>(window, L, C, KH, KW, weights, acc0, acc1);
    }
  };
  for (int64_t oh = first; oh < last; ++oh) {
    const int64_t top = oh - p.padTop;
    const bool rowInside = top >= 0 && top + KH <= H;
    int64_t ow = 0;
    if (rowInside && vectorEnd > vectorBegin) {
      for (; ow < vectorBegin; ++ow) scalar(oh, ow);
      const uint8_t* window = src + top * L - padLeft;
      // Two vectors at a time: each weight broadcast serves 16 outputs.
      for (; ow + kLanes < vectorEnd; ow += 2 * kLanes) {
        V8 acc0 = zero(), acc1 = zero();
        sum(window + ow, acc0, acc1);
        storeBytes(dst + oh * L + ow, mapToByteRange(acc0, absolute, offset));
        storeBytes(dst + oh * L + ow + kLanes, mapToByteRange(acc1, absolute, offset));
      }
      for (; ow < vectorEnd; ow += kLanes) {
        V8 acc = zero();
        for (int64_t i = 0; i < KH; ++i) {
          const uint8_t* row = window + ow + i * L;
          for (int64_t j = 0; j < KW; ++j) acc = fmadd(broadcast(weights + i * KW + j), loadBytes(row + j * C), acc);
        }
        storeBytes(dst + oh * L + ow, mapToByteRange(acc, absolute, offset));
      }
    }
    for (; ow < L; ++ow) scalar(oh, ow);
  }
}

// out (rows of rowElements bytes) = weights ⋆ src, rowMap/colMap for the border (padded
// row → source row, padded element → source element, −1 for zero).
inline void run(ThreadPool& pool, const Filter8Params& p, const float* weights, const int32_t* rowMap,
                const int32_t* colMap, const uint8_t* src, uint8_t* dst) {
  const int64_t H = p.height, L = p.rowElements, C = p.channels, KH = p.kernelHeight, KW = p.kernelWidth;
  const int64_t padLeft = p.padLeftPixels * C, span = (KW - 1) * C;
  // Vector columns: every tap's 8 reads inside the row.
  const int64_t vectorBegin = padLeft, vectorEnd = L - span + padLeft - kLanes + 1;
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
    // By value: every byte stored may alias anything, so captured references would be
    // re-read from memory after each store.
    rows(p, weights, src, dst, first, last, vectorBegin, vectorEnd, scalar);
  });
}

}  // namespace filter8
