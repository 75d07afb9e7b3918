// The weight gradient of a 1×1 convolution with stride 1 and no padding: per group,
// gradWeight (Og × Cg) = Σ over every image's pixels of gradOutput (Og × pixels) ·
// inputᵀ (pixels × Cg), a GEMM whose reduction runs over the pixels of all the images.
// Both operands hold their pixels contiguous, so each block of pixels is packed k-major
// for the GEMM tile (8 × 8 transposes), and every tile adds up the blocks in order: the
// result does not depend on the thread count. Part of engine_impl.h (ISA namespace).
#pragma once

namespace pointwise {

// Pixels per reduction block, at most: the fewer blocks, the fewer passes over the sums
// and waits for every thread (res1x1, 1,568 pixels: one block of 2,048 or two of 1,024
// alike, 256 a block 9% slower), within 4 MB of packed operands.
constexpr int64_t kBlockPixels = 2048;
constexpr int64_t kPackedFloats = int64_t(1) << 20;

// panel[k][0..width) = channel first + j of x at pixel k0 + k (pixels numbered across the
// images, `pixels` an image), for `rows` channels; zero beyond them. `channels`: x's
// channels an image; `offset`: the group's first.
inline void packPixels(const float* x, int64_t channels, int64_t offset, int64_t pixels, int64_t first, int64_t rows,
                       int64_t width, int64_t k0, int64_t count, float* panel) {
  for (int64_t k = k0; k < k0 + count;) {
    const int64_t n = k / pixels, at = k % pixels, run = std::min(k0 + count - k, pixels - at);
    dense::packPanel(x + (n * channels + offset) * pixels + at, pixels, true, first, rows, width, run,
                     panel + (k - k0) * width);
    k += run;
  }
}

inline void backwardWeight(ThreadPool& pool, const ConvParams& p, const float* input, const float* gradOutput,
                           float* gradWeight) {
  const int64_t G = p.groups, Cg = p.inChannelsPerGroup(), Og = p.outChannelsPerGroup();
  const int64_t pixels = p.outHeight * p.outWidth, K = p.batch * pixels;
  const int64_t rowPanels = (Og + kTileRows - 1) / kTileRows, colPanels = (Cg + kTileCols - 1) / kTileCols;
  const int64_t packedRows = (rowPanels * kTileRows + colPanels * kTileCols);
  const int64_t block = std::min({K, kBlockPixels, std::max<int64_t>(64, kPackedFloats / packedRows)});
  const int64_t ldc = colPanels * kTileCols;
  float* packedA = scratch(ScratchSlot::kMatmulA, static_cast<size_t>(rowPanels * kTileRows * block));
  float* packedB = scratch(ScratchSlot::kMatmulB, static_cast<size_t>(colPanels * kTileCols * block));
  int64_t* offsets = reinterpret_cast<int64_t*>(scratch(ScratchSlot::kMatmulOffsets, static_cast<size_t>(2 * block)));
  for (int64_t k = 0; k < block; ++k) offsets[k] = k * kTileCols;
  float* sums = scratch(ScratchSlot::kPartials, static_cast<size_t>(rowPanels * kTileRows * ldc));
  for (int64_t g = 0; g < G; ++g) {
    for (int64_t k0 = 0; k0 < K; k0 += block) {
      const int64_t count = std::min(block, K - k0);
      pool.parallelFor(rowPanels + colPanels, grainFor(count * kTileCols), [&](int64_t first, int64_t last) {
        for (int64_t t = first; t < last; ++t) {
          if (t < rowPanels) {
            const int64_t o0 = t * kTileRows;
            packPixels(gradOutput, p.outChannels, g * Og, pixels, o0, std::min(kTileRows, Og - o0), kTileRows, k0,
                       count, packedA + t * kTileRows * count);
          } else {
            const int64_t c0 = (t - rowPanels) * kTileCols;
            packPixels(input, p.inChannels, g * Cg, pixels, c0, std::min(kTileCols, Cg - c0), kTileCols, k0, count,
                       packedB + (t - rowPanels) * kTileCols * count);
          }
        }
      });
      // Each tile adds this block to its sums (the first block sets them).
      pool.parallelFor(rowPanels * colPanels, grainFor(kTileRows * kTileCols * count), [&](int64_t first, int64_t last) {
        for (int64_t t = first; t < last; ++t) {
          const int64_t rp = t / colPanels, cp = t % colPanels;
          tileToBuffer(std::min(kTileRows, Og - rp * kTileRows), k0 > 0, count, packedA + rp * kTileRows * count,
                       contiguousHalves(packedB + cp * kTileCols * count), offsets,
                       sums + rp * kTileRows * ldc + cp * kTileCols, ldc);
        }
      });
    }
    for (int64_t o = 0; o < Og; ++o) copyFloats(gradWeight + (g * Og + o) * Cg, sums + o * ldc, Cg);
  }
}

}  // namespace pointwise
