// Dense GEMM for linear layers on the GEMM micro-kernel (micro/f32_gemm_tile.h). Both
// operands are packed (any transposition, zero-padded to whole panels), so the kernel
// reads A as panels of kTileRows rows and B as panels of kTileCols columns, k-major. Part of engine_impl.h (ISA namespace).
#pragma once

namespace dense {

// panel[k][0..width) = op(X)[first + j][k] for the rows that exist, zero beyond.
// `rowMajor`: op(X)[r][k] = x[r·ld + k]; otherwise x[k·ld + r]. Row-major operands (a
// linear layer's input and weight) are transposed 8 × 8 blocks at a time: element by
// element, the strided reads cost more than the product of a small layer.
inline void packPanel(const float* x, int64_t ld, bool rowMajor, int64_t first, int64_t rows,
                      int64_t width, int64_t K, float* panel) {
  int64_t kDone = 0;
  if (rowMajor) {
    const int64_t fullRows = rows / 8 * 8;
    kDone = K / 8 * 8;
    for (int64_t k0 = 0; k0 < kDone; k0 += 8)
      for (int64_t j0 = 0; j0 < fullRows; j0 += 8)
        transpose8x8(x + (first + j0) * ld + k0, ld, panel + k0 * width + j0, width, 0xffu);
    // The rows past the last whole block of 8, and the padding.
    for (int64_t k = 0; k < kDone; ++k)
      for (int64_t j = fullRows; j < width; ++j) panel[k * width + j] = j < rows ? x[(first + j) * ld + k] : 0.0f;
  }
  for (int64_t k = kDone; k < K; ++k) {
    float* dst = panel + k * width;
    for (int64_t j = 0; j < width; ++j) {
      const int64_t r = first + j;
      dst[j] = j < rows ? (rowMajor ? x[r * ld + k] : x[k * ld + r]) : 0.0f;
    }
  }
}

inline void matmul(ThreadPool& pool, const MatmulParams& p, const float* a, const float* b,
                   const float* bias, float* c) {
  const int64_t M = p.m, N = p.n, K = p.k;
  const int64_t rowPanels = (M + kTileRows - 1) / kTileRows;
  const int64_t colPanels = (N + kTileCols - 1) / kTileCols;
  if (K == 0) {
    // An empty reduction: C = bias (or keeps its value when accumulating).
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) c[i * N + j] = (p.accumulate ? c[i * N + j] : 0.0f) + (bias ? bias[j] : 0.0f);
    return;
  }
  // Packed operands (6·K floats per row panel, 16·K per column panel) and the offsets
  // table the micro-kernel reads B through (k·16: packed B is contiguous).
  float* packedA = scratch(ScratchSlot::kMatmulA, static_cast<size_t>(rowPanels * kTileRows * K));
  float* packedB = scratch(ScratchSlot::kMatmulB, static_cast<size_t>(colPanels * kTileCols * K));
  int64_t* offsets = reinterpret_cast<int64_t*>(scratch(ScratchSlot::kMatmulOffsets, static_cast<size_t>(2 * K)));
  for (int64_t k = 0; k < K; ++k) offsets[k] = k * kTileCols;
  // op(A)[i][k] is a[i·K + k] unless transposed (a[k·M + i]); op(B)ᵀ[j][k] is b[j·K + k]
  // when transB, else b[k·N + j].
  pool.parallelFor(rowPanels + colPanels, grainFor(K * kTileCols), [&](int64_t first, int64_t last) {
    for (int64_t t = first; t < last; ++t) {
      if (t < rowPanels) {
        const int64_t i0 = t * kTileRows;
        packPanel(a, p.transA ? M : K, !p.transA, i0, std::min(kTileRows, M - i0), kTileRows, K,
                  packedA + t * kTileRows * K);
      } else {
        const int64_t j0 = (t - rowPanels) * kTileCols;
        packPanel(b, p.transB ? K : N, p.transB, j0, std::min(kTileCols, N - j0), kTileCols, K,
                  packedB + (t - rowPanels) * kTileCols * K);
      }
    }
  });
  // One task per 6×16 tile of C; the whole reduction in one micro-kernel call (K is a
  // layer's fan-in: its panels fit in L1/L2).
  pool.parallelFor(rowPanels * colPanels, grainFor(kTileRows * kTileCols * K), [&](int64_t first, int64_t last) {
    alignas(64) float tile[kTileRows * kTileCols];
    for (int64_t t = first; t < last; ++t) {
      const int64_t rp = t / colPanels, cp = t % colPanels;
      const int64_t i0 = rp * kTileRows, j0 = cp * kTileCols;
      const int64_t rows = std::min(kTileRows, M - i0), cols = std::min(kTileCols, N - j0);
      tileToBuffer(rows, false, K, packedA + rp * kTileRows * K, contiguousHalves(packedB + cp * kTileCols * K),
                         offsets, tile, kTileCols);
      for (int64_t i = 0; i < rows; ++i) {
        float* dst = c + (i0 + i) * N + j0;
        const float* src = tile + i * kTileCols;
        int64_t j = 0;
        for (; j + kLanes <= cols; j += kLanes) {  // the same additions as below, a vector at a time
          Vec v = load(src + j);
          if (bias) v = add(v, load(bias + j0 + j));
          store(dst + j, p.accumulate ? add(load(dst + j), v) : v);
        }
        for (; j < cols; ++j) {
          float v = src[j];
          if (bias) v += bias[j0 + j];
          dst[j] = p.accumulate ? dst[j] + v : v;
        }
      }
    }
  });
}

}  // namespace dense
