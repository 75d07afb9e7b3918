// f32 GEMM micro-kernel: kTileRows × (2 vectors) accumulators, i.e. 8 × 32 with AVX-512,
// 6 × 16 with AVX2 and generic, 4 × 16 with NEON (blocking.h). Written once on the ISA's vector (simd.h)
// and compiled per ISA, as XNNPACK generates its per-ISA kernels from one template.
// Part of engine_impl.h (ISA namespace).
#pragma once

// A tile's 2 · kLanes columns: two runs of a vector each, for tap k at lo + offsets[k]
// and hi + offsets[k]. Usually hi = lo + kLanes; apart, they let a tile take a vector
// of pixels from each of two output rows, so that narrow rows (LeNet's 8) waste no lanes.
struct Halves {
  const float* lo;
  const float* hi;
};
inline Halves contiguousHalves(const float* base) { return {base, base + kLanes}; }

// Where a tile's kRows broadcast values for step k lie (consecutive floats): a packed
// panel (kTileRows per k), or anywhere a table of offsets says, so that a kernel can
// read an operand where it already is instead of packing it.
struct PackedRows {
  const float* a;
  const float* at(int64_t k) const { return a + k * kTileRows; }
};
struct IndexedRows {
  const float* base;
  const int64_t* offsets;
  const float* at(int64_t k) const { return base + offsets[k]; }
};

// Σ_k a_k[0..kRows) ⊗ b_k with a_k = rows.at(k) (of a panel's rows the first kRows are
// used: its last rows may be padding) and b_k = the halves at offsets[k], then
// finish(row, low vector, high vector) for each row.
// The accumulators are named variables, not an array: GCC keeps an array of vector
// structs in memory and stores it back on every iteration, halving the FMA rate.
template <int kRows, typename Rows, typename Finish>
inline void gemmTileRows(int64_t kc, const Rows& rows, Halves halves, const int64_t* offsets, const Finish& finish) {
  static_assert(kRows >= 2 && kRows <= kTileRows && kRows % 2 == 0, "tiles of 2, 4, 6 or 8 rows");
  Vec c00 = zero(), c01 = zero(), c10 = zero(), c11 = zero(), c20 = zero(), c21 = zero();
  Vec c30 = zero(), c31 = zero(), c40 = zero(), c41 = zero(), c50 = zero(), c51 = zero();
  Vec c60 = zero(), c61 = zero(), c70 = zero(), c71 = zero();
  if constexpr (kRows == 2) {
    // Two rows' four chains would wait on the FMA latency (8 keep both pipes busy): odd
    // taps go to the idle rows' accumulators, added at the end. (A 2-row panel so sums
    // in another order than the others, the same whatever the thread count.)
    int64_t k = 0;
    for (; k + 2 <= kc; k += 2) {
      const Vec b0 = load(halves.lo + offsets[k]), b1 = load(halves.hi + offsets[k]);
      const Vec e0 = load(halves.lo + offsets[k + 1]), e1 = load(halves.hi + offsets[k + 1]);
      const float* ak = rows.at(k);
      const float* an = rows.at(k + 1);
      const Vec a0 = broadcast(ak), a1 = broadcast(ak + 1);
      const Vec a2 = broadcast(an), a3 = broadcast(an + 1);
      c00 = fmadd(a0, b0, c00);
      c01 = fmadd(a0, b1, c01);
      c10 = fmadd(a1, b0, c10);
      c11 = fmadd(a1, b1, c11);
      c20 = fmadd(a2, e0, c20);
      c21 = fmadd(a2, e1, c21);
      c30 = fmadd(a3, e0, c30);
      c31 = fmadd(a3, e1, c31);
    }
    if (k < kc) {
      const Vec b0 = load(halves.lo + offsets[k]), b1 = load(halves.hi + offsets[k]);
      const float* ak = rows.at(k);
      const Vec a0 = broadcast(ak), a1 = broadcast(ak + 1);
      c00 = fmadd(a0, b0, c00);
      c01 = fmadd(a0, b1, c01);
      c10 = fmadd(a1, b0, c10);
      c11 = fmadd(a1, b1, c11);
    }
    finish(0, add(c00, c20), add(c01, c21));
    finish(1, add(c10, c30), add(c11, c31));
    return;
  }
  for (int64_t k = 0; k < kc; ++k) {
    const Vec b0 = load(halves.lo + offsets[k]), b1 = load(halves.hi + offsets[k]);
    const float* ak = rows.at(k);
#define CONVCORE_TILE_ROW(i)              \
  if (kRows > i) {                        \
    const Vec av = broadcast(ak + i);     \
    c##i##0 = fmadd(av, b0, c##i##0);     \
    c##i##1 = fmadd(av, b1, c##i##1);     \
  }
    CONVCORE_TILE_ROW(0)
    CONVCORE_TILE_ROW(1)
    CONVCORE_TILE_ROW(2)
    CONVCORE_TILE_ROW(3)
    CONVCORE_TILE_ROW(4)
    CONVCORE_TILE_ROW(5)
    CONVCORE_TILE_ROW(6)
    CONVCORE_TILE_ROW(7)
#undef CONVCORE_TILE_ROW
  }
  finish(0, c00, c01);
  finish(1, c10, c11);
  if (kRows > 2) finish(2, c20, c21);
  if (kRows > 3) finish(3, c30, c31);
  if (kRows > 4) finish(4, c40, c41);
  if (kRows > 5) finish(5, c50, c51);
  if (kRows > 6) finish(6, c60, c61);
  if (kRows > 7) finish(7, c70, c71);
}

// The tile over a packed panel `a`.
template <int kRows, typename Finish>
inline void gemmTile(int64_t kc, const float* a, Halves halves, const int64_t* offsets, const Finish& finish) {
  gemmTileRows<kRows>(kc, PackedRows{a}, halves, offsets, finish);
}

// Calls call(kRows) with the smallest even tile height, up to kTileRows, covering `rows`.
template <typename Call>
inline void withTileRows(int64_t rows, const Call& call) {
  // The heights a build lacks are never instantiated (NEON's tile has 4 rows).
  if (kTileRows > 6 && rows > 6) call(std::integral_constant<int, (kTileRows > 6 ? 8 : kTileRows > 4 ? 6 : 4)>());
  else if (kTileRows > 4 && rows > 4) call(std::integral_constant<int, (kTileRows > 4 ? 6 : 4)>());
  else if (rows > 2) call(std::integral_constant<int, 4>());
  else call(std::integral_constant<int, 2>());
}
