// f32 dot-product micro-kernel of backward-weight: kRows gradient rows × kCols input runs,
// one accumulator each, every size up to kDotRows × kDotCols (6 × 4 with AVX-512, 4 × 3
// with AVX2 and generic: blocking.h). Part of engine_impl.h (ISA namespace).
#pragma once

// partial[o][t] += Σ_i g[o][i] · x_t[i] for kRows gradient rows (ldg apart) and kCols
// input runs x_t = base + offsets[t]; `length` is a multiple of kLanes. With kRuns, the
// input's vector v is at x_t + positions[v] instead of x_t + kLanes·v (row vectors).
// With kFirst, partial[o][t] = Σ…: the first unit of a chunk, so that no one zeroes the
// partials first.
template <int kRows, int kCols, bool kRuns, bool kFirst>
CONVCORE_NOINLINE void dotTile(int64_t length, const float* g, int64_t ldg, const float* base,
                                       const int64_t* offsets, const int64_t* positions, float* partial,
                                       int64_t ldp) {
  Vec acc[kRows * kCols];  // compile-time indices only: kept in registers
  unrolled<kRows * kCols>([&](auto a) { acc[a] = zero(); });
  int64_t x[kCols];
  unrolled<kCols>([&](auto t) { x[t] = offsets[t]; });
  for (int64_t i = 0; i < length; i += kLanes) {
    const float* at = base + (kRuns ? positions[i / kLanes] : i);
    const float* gi = g + i;
    Vec v[kCols];
    unrolled<kCols>([&](auto t) { v[t] = load(at + x[t]); });
    unrolled<kRows>([&](auto r) {
      const Vec gv = load(gi + r * ldg);
      unrolled<kCols>([&](auto t) { acc[r * kCols + t] = fmadd(gv, v[t], acc[r * kCols + t]); });
    });
  }
  // Each accumulator's lanes summed, four at a time, in a fixed order.
  unrolled<kCols>([&](auto t) {
    for (int r0 = 0; r0 < kRows; r0 += 4) {
      float sums[4];
      const auto row = [&](int r) { return r < kRows ? acc[r * kCols + t] : zero(); };
      sum4(row(r0), row(r0 + 1), row(r0 + 2), row(r0 + 3), sums);
      for (int r = r0; r < kRows && r < r0 + 4; ++r) {
        float& out = partial[r * ldp + t];
        out = kFirst ? sums[r - r0] : out + sums[r - r0];
      }
    }
  });
}

using DotFn = void (*)(int64_t, const float*, int64_t, const float*, const int64_t*, const int64_t*, float*,
                       int64_t);

// The tiles of every size up to kDotRows × kDotCols, index (rows − 1)·kDotCols + cols − 1.
template <bool kRuns, bool kFirst, int... I>
inline DotFn dotAt(int64_t index, std::integer_sequence<int, I...>) {
  static constexpr DotFn table[] = {dotTile<I / kDotCols + 1, I % kDotCols + 1, kRuns, kFirst>...};
  return table[index];
}

inline DotFn dotFor(int64_t rows, int64_t cols, bool runs, bool first) {
  using All = std::make_integer_sequence<int, kDotRows * kDotCols>;
  const int64_t index = (rows - 1) * kDotCols + cols - 1;
  if (first) return runs ? dotAt<true, true>(index, All()) : dotAt<false, true>(index, All());
  return runs ? dotAt<true, false>(index, All()) : dotAt<false, false>(index, All());
}
