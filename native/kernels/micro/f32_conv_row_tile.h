// f32 direct-convolution micro-kernel: a tile of output rows × vectors of columns of a
// square 3×3, 5×5 or 7×7 kernel (stride and dilation 1), every tap inside the image.
// Used by the direct path (loops/direct.h). Part of engine_impl.h (ISA namespace).
#pragma once

// The register tile of a kSize × kSize kernel's row tiles: output rows × vectors of
// columns. Each input row is loaded once for all the tile's rows that read it, so more
// rows mean fewer loads per multiply-add, up to the 16 registers of AVX2 (accumulators,
// the input vectors, a weight): the best of 2–12 rows × 1–4 vectors measured stand-alone
// (larger tiles spill). AVX-512 keeps these shapes: with its 32 registers, 3×3 tiles of
// 4-8 rows × 1-3 vectors measured within 5% of each other stand-alone (Zen 4).
template <int kSize> struct RowTile;
template <> struct RowTile<3> { static constexpr int kRows = 6, kVectors = 1; };
template <> struct RowTile<5> { static constexpr int kRows = 6, kVectors = 2; };
template <> struct RowTile<7> { static constexpr int kRows = 4, kVectors = 2; };

// Adds one channel's taps into a row tile's accumulators (see rowTile). `w` holds the
// weights either as floats or, kBroadcast, already broadcast (a vector each).
template <int kRows, int kCount, int kSize, bool kBroadcast>
CONVCORE_ALWAYS_INLINE void addChannel(Vec (&acc)[kRows * kCount], const float* image, int64_t W,
                                                      const float* w) {
CONVCORE_UNROLL(16)
  for (int i = 0; i < kRows + kSize - 1; ++i) {
CONVCORE_UNROLL(8)
    for (int kw = 0; kw < kSize; ++kw) {
      Vec x[kCount];
CONVCORE_UNROLL(4)
      for (int j = 0; j < kCount; ++j) {
        const float* at = image + i * W + kw + j * kLanes;
        // One channel: each loaded vector feeds up to kSize rows' multiply-adds, so it is
        // loaded once into a register; with several channels, loads folded into the
        // multiply-adds measured faster.
        x[j] = kBroadcast ? loadToRegister(at) : load(at);
      }
CONVCORE_UNROLL(8)
      for (int r = 0; r < kRows; ++r) {
        const int kh = i - r;
        if (kh < 0 || kh >= kSize) continue;
        const int tap = kh * kSize + kw;
        const Vec wv = kBroadcast ? load(w + tap * kLanes) : broadcast(w + tap);
CONVCORE_UNROLL(4)
        for (int j = 0; j < kCount; ++j) acc[r * kCount + j] = fmadd(wv, x[j], acc[r * kCount + j]);
      }
    }
  }
}

// kRows output rows × kCount vectors of a kSize × kSize kernel (stride and dilation 1)
// whose every tap is inside the image: `rows` points at the first tap of the top-left
// output (channel 0), `out` at that output (rows ldo apart). Plain loops that GCC
// unrolls whole, so that the accumulators stay in registers. With one channel (image
// filters, depthwise), `taps` are the weights already broadcast. Each output sums over
// (c, kh, kw) in column()'s order.
template <int kRows, int kCount, int kSize, bool kOneChannel>
CONVCORE_ALWAYS_INLINE void rowTile(const float* rows, int64_t W, int64_t plane, int64_t Cg,
                                                   const float* taps, float bias, float* out, int64_t ldo) {
  Vec acc[kRows * kCount];
CONVCORE_UNROLL(16)
  for (int a = 0; a < kRows * kCount; ++a) acc[a] = broadcast(bias);
  if constexpr (kOneChannel) {
    addChannel<kRows, kCount, kSize, true>(acc, rows, W, taps);
  } else {
    for (int64_t c = 0; c < Cg; ++c)
      addChannel<kRows, kCount, kSize, false>(acc, rows + c * plane, W, taps + c * kSize * kSize);
  }
CONVCORE_UNROLL(16)
  for (int a = 0; a < kRows * kCount; ++a) store(out + (a / kCount) * ldo + (a % kCount) * kLanes, acc[a]);
}
