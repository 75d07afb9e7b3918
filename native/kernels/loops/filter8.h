// The fused 8-bit filter (see filter8.h). Part of engine_impl.h (ISA namespace).
#pragma once

namespace filter8 {

inline Vec mapToByteRange(Vec v, bool absolute, Vec offset) {
  if (absolute) v = absv(v);
  return minv(maxv(add(v, offset), zero()), broadcast(255.0f));
}

// acc[v] += Σ over the window of the 8 outputs from `window` + 8v, for v < kCount (tap
// (i, j) at row i, element j·C). kKW > 0 fixes the kernel width at compile time
// (unrolled taps); 0 reads it from kw.
template <int kKW, int kCount>
inline void windowSums(const uint8_t* window, int64_t L, int64_t C, int64_t KH, int64_t kw, const float* weights,
                       Vec* acc) {
  const int64_t KW = kKW > 0 ? kKW : kw;
  for (int64_t i = 0; i < KH; ++i) {
    const uint8_t* row = window + i * L;
    for (int64_t j = 0; j < KW; ++j) {
      const Vec w = broadcast(weights + i * KW + j);
      unrolled<kCount>([&](auto v) { acc[v] = fmadd(w, loadBytes(row + j * C + v * kLanes), acc[v]); });
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
  const Vec offset = broadcast(p.offset);
  // kCount vectors of outputs from column ow of row oh, mapped and stored.
  auto vectors = [&](auto count, int64_t oh, int64_t ow, const uint8_t* window) {
    constexpr int kCount = decltype(count)::value;
    Vec acc[kCount];
    unrolled<kCount>([&](auto v) { acc[v] = zero(); });
    switch (KW) {
      case 3: windowSums<3, kCount>(window + ow, L, C, KH, KW, weights, acc); break;
      case 5: windowSums<5, kCount>(window + ow, L, C, KH, KW, weights, acc); break;
      default: windowSums<0, kCount>(window + ow, L, C, KH, KW, weights, acc); break;
    }
    unrolled<kCount>([&](auto v) { storeBytes(dst + oh * L + ow + v * kLanes, mapToByteRange(acc[v], absolute, offset)); });
  };
  for (int64_t oh = first; oh < last; ++oh) {
    const int64_t top = oh - p.padTop;
    const bool rowInside = top >= 0 && top + KH <= H;
    int64_t ow = 0;
    if (rowInside && vectorEnd > vectorBegin) {
      for (; ow < vectorBegin; ++ow) scalar(oh, ow);
      const uint8_t* window = src + top * L - padLeft;
      // Two vectors at a time: each weight broadcast serves 16 outputs.
      for (; ow + kLanes < vectorEnd; ow += 2 * kLanes) vectors(std::integral_constant<int, 2>(), oh, ow, window);
      for (; ow < vectorEnd; ow += kLanes) vectors(std::integral_constant<int, 1>(), oh, ow, window);
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
