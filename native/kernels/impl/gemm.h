// The implicit-GEMM path for channel-rich convolutions. Output pixels are numbered on a
// grid `gridW` wide (the output width plus the kernel's reach), over which every tap's
// input is one contiguous run of a zero-padded, stride-phase-split copy of the input
// rows: the micro-kernel reads it through a table of per-tap offsets, with no im2col.
// Part of engine_impl.h (ISA namespace).
#pragma once

namespace gemm {

// ---- micro-kernels --------------------------------------------------------------------
// The accumulators are named variables, not arrays: GCC keeps an array of vector
// structs in memory and stores it back on every iteration, halving the FMA rate.

// A tile's 16 columns: two runs of 8 floats, for tap k at lo + offsets[k] and
// hi + offsets[k]. Usually hi = lo + 8; apart, they let a tile take 8 pixels from each
// of two output rows, so that narrow rows (LeNet's 8) waste no lanes.
struct Halves {
  const float* lo;
  const float* hi;
};
inline Halves contiguousHalves(const float* base) { return {base, base + kLanes}; }

// Σ_k a[k][0..kRows) ⊗ b_k[0..16) with b_k = the halves at offsets[k] (`a` is a packed
// panel: six output channels per k, of which the first kRows are used: a panel's last
// rows may be padding), then finish(row, low 8, high 8) for each row.
template <int kRows, typename Finish>
inline void tile6x16(int64_t kc, const float* a, Halves halves, const int64_t* offsets,
                     const Finish& finish) {
  Vec c00 = zero(), c01 = zero(), c10 = zero(), c11 = zero(), c20 = zero(), c21 = zero();
  Vec c30 = zero(), c31 = zero(), c40 = zero(), c41 = zero(), c50 = zero(), c51 = zero();
  if constexpr (kRows == 2) {
    // Two rows' four chains would wait on the FMA latency (8 are needed to keep both
    // pipes busy; 2-row panels ran at half the speed of the others, 2.5% of ResNet's
    // 128-channel downsampling layer): odd taps go to the idle rows' accumulators, added
    // at the end. (A 2-row panel so sums in another order than the others, the same
    // whatever the thread count.)
    int64_t k = 0;
    for (; k + 2 <= kc; k += 2) {
      const Vec b0 = load(halves.lo + offsets[k]), b1 = load(halves.hi + offsets[k]);
      const Vec e0 = load(halves.lo + offsets[k + 1]), e1 = load(halves.hi + offsets[k + 1]);
      const float* ak = a + k * 6;
      const Vec a0 = broadcast(ak), a1 = broadcast(ak + 1), a2 = broadcast(ak + 6), a3 = broadcast(ak + 7);
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
      const Vec a0 = broadcast(a + k * 6), a1 = broadcast(a + k * 6 + 1);
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
    const float* ak = a + k * 6;
#define CONVCORE_TILE_ROW(i)                   \
    if (kRows > i) {                           \
      const Vec av = broadcast(ak + i);         \
      c##i##0 = fmadd(av, b0, c##i##0);        \
      c##i##1 = fmadd(av, b1, c##i##1);        \
    }
    CONVCORE_TILE_ROW(0)
    CONVCORE_TILE_ROW(1)
    CONVCORE_TILE_ROW(2)
    CONVCORE_TILE_ROW(3)
    CONVCORE_TILE_ROW(4)
    CONVCORE_TILE_ROW(5)
#undef CONVCORE_TILE_ROW
  }
  finish(0, c00, c01);
  if (kRows > 1) finish(1, c10, c11);
  if (kRows > 2) finish(2, c20, c21);
  if (kRows > 3) finish(3, c30, c31);
  if (kRows > 4) finish(4, c40, c41);
  if (kRows > 5) finish(5, c50, c51);
}

// Calls call(kRows) with the smallest tile height in {2, 4, 6} covering `rows`.
template <typename Call>
inline void withTileRows(int64_t rows, const Call& call) {
  if (rows > 4) call(std::integral_constant<int, 6>());
  else if (rows > 2) call(std::integral_constant<int, 4>());
  else call(std::integral_constant<int, 2>());
}

// c[kRows][16] (=|+=) the tile; c rows are `ldc` apart.
template <int kRows, bool kAccumulate>
__attribute__((noinline)) void tileToBuffer(int64_t kc, const float* a, Halves halves,
                                            const int64_t* offsets, float* c, int64_t ldc) {
  tile6x16<kRows>(kc, a, halves, offsets, [&](int i, Vec v0, Vec v1) {
    float* row = c + i * ldc;
    if (kAccumulate) {
      v0 = add(v0, load(row));
      v1 = add(v1, load(row + kLanes));
    }
    store(row, v0);
    store(row + kLanes, v1);
  });
}

// The same for a panel with `rows` real rows (the tile height is chosen to fit).
inline void tileToBuffer(int64_t rows, bool accumulate, int64_t kc, const float* a, Halves halves,
                         const int64_t* offsets, float* c, int64_t ldc) {
  withTileRows(rows, [&](auto height) {
    if (accumulate) tileToBuffer<decltype(height)::value, true>(kc, a, halves, offsets, c, ldc);
    else tileToBuffer<decltype(height)::value, false>(kc, a, halves, offsets, c, ldc);
  });
}

// Where a finished tile goes: row i of each half to lo / hi + i · planeStride, of which
// the first validLo / validHi floats are real outputs (the rest is thrown away).
struct TileDestination {
  float* lo;
  float* hi;
  int64_t validLo, validHi;
};

// The first `valid` floats of v to out (all 8 streamed, where `stream` and aligned).
inline void storeValid(float* out, Vec v, int64_t valid, bool stream) {
  if (valid == kLanes) {
    if (stream && (reinterpret_cast<uintptr_t>(out) & (kVectorBytes - 1)) == 0) streamStore(out, v);
    else store(out, v);
  } else if (valid > 0) {
    float line[kLanes];
    store(line, v);
    for (int64_t j = 0; j < valid; ++j) out[j] = line[j];
  }
}

// The tile finished straight into the output: `rows` channels of the destination, plus
// the partial sums of earlier reduction blocks (`prior`, ldp apart, or null) and the
// bias. Streaming stores for large, aligned outputs.
template <int kRows>
__attribute__((noinline)) void tileToOutput(int64_t kc, const float* a, Halves halves,
                                            const int64_t* offsets, const float* prior, int64_t ldp,
                                            const float* bias, const TileDestination& dst,
                                            int64_t planeStride, int64_t rows, bool stream) {
  tile6x16<kRows>(kc, a, halves, offsets, [&](int i, Vec v0, Vec v1) {
    if (i >= rows) return;
    if (prior) {
      v0 = add(v0, load(prior + i * ldp));
      v1 = add(v1, load(prior + i * ldp + kLanes));
    }
    const Vec b = broadcast(bias + i);
    storeValid(dst.lo + i * planeStride, add(v0, b), dst.validLo, stream);
    storeValid(dst.hi + i * planeStride, add(v1, b), dst.validHi, stream);
  });
}

inline void tileToOutput(int64_t kc, const float* a, Halves halves, const int64_t* offsets,
                         const float* prior, int64_t ldp, const float* bias, const TileDestination& dst,
                         int64_t planeStride, int64_t rows, bool stream) {
  withTileRows(rows, [&](auto height) {
    tileToOutput<decltype(height)::value>(kc, a, halves, offsets, prior, ldp, bias, dst, planeStride, rows, stream);
  });
}

// A row vector (see Grid): where its 8 pixels are read (plane offset) and written
// (output plane offset), and how many of them are real.
struct RowVectorRun {
  int64_t from, to, valid;
};

// Tiles over pairs of runs (runs[2t], runs[2t + 1]), each finished straight into the
// output as tileToOutput does: plus tile t's partial sums of earlier reduction blocks
// (prior + 16t, rows ldp apart, or none) and the bias. One call for a row of tiles,
// because with a short reduction (VGG's first layer: 27 taps) a call per tile, its
// arguments and its prologue, cost a tenth of the tile.
template <int kRows>
__attribute__((noinline)) void runTilesToOutput(int64_t kc, const float* a, const float* input,
                                                const RowVectorRun* runs, int64_t pairs, const int64_t* offsets,
                                                const float* prior, int64_t ldp, const float* bias, float* out,
                                                int64_t planeStride, int64_t rows) {
  for (int64_t t = 0; t < pairs; ++t) {
    const RowVectorRun lo = runs[2 * t], hi = runs[2 * t + 1];
    tile6x16<kRows>(kc, a, Halves{input + lo.from, input + hi.from}, offsets, [&](int i, Vec v0, Vec v1) {
      if (i >= rows) return;
      if (prior) {
        v0 = add(v0, load(prior + t * kTileCols + i * ldp));
        v1 = add(v1, load(prior + t * kTileCols + i * ldp + kLanes));
      }
      const Vec b = broadcast(bias + i);
      storeValid(out + lo.to + i * planeStride, add(v0, b), lo.valid, false);
      storeValid(out + hi.to + i * planeStride, add(v1, b), hi.valid, false);
    });
  }
}

// partial[o][t] += Σ_i g[o][i] · x_t[i] for kRows gradient rows (ldg apart) and kCols
// input runs x_t = base + offsets[t]; `length` is a multiple of kLanes. With kRuns, the
// input's vector v is at x_t + positions[v] instead of x_t + kLanes·v (row vectors).
template <int kRows, int kCols, bool kRuns>
__attribute__((noinline)) void dotTile(int64_t length, const float* g, int64_t ldg, const float* base,
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
      for (int r = r0; r < kRows && r < r0 + 4; ++r) partial[r * ldp + t] += sums[r - r0];
    }
  });
}

using DotFn = void (*)(int64_t, const float*, int64_t, const float*, const int64_t*, const int64_t*, float*,
                       int64_t);

// The tiles of every size up to kDotRows × kDotCols, index (rows − 1)·kDotCols + cols − 1.
template <bool kRuns, int... I>
inline DotFn dotAt(int64_t index, std::integer_sequence<int, I...>) {
  static constexpr DotFn table[] = {dotTile<I / kDotCols + 1, I % kDotCols + 1, kRuns>...};
  return table[index];
}

inline DotFn dotFor(int64_t rows, int64_t cols, bool runs) {
  using All = std::make_integer_sequence<int, kDotRows * kDotCols>;
  const int64_t index = (rows - 1) * kDotCols + cols - 1;
  return runs ? dotAt<true>(index, All()) : dotAt<false>(index, All());
}

inline int64_t roundUp(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

// ---- the pixel grid and the padded input rows ------------------------------------------

// Output pixel (oh, ow) is grid index q = oh·gridW + ow; columns ow ≥ outWidth are
// computed and thrown away. Tap (c, kh, kw) reads phase plane (c, kh·dH mod sH,
// kw·dW mod sW) at row oh + kh·dH div sH, column ow + kw·dW div sW.
//
// Where rows are narrow, the grid's thrown-away columns are a large share (LeNet's
// second layer: 8 of every 12). There the passes take each output row as runs of 8
// grid pixels instead (row vectors: the last run partly thrown away), which computes
// roundUp(OW, 8) pixels a row rather than gridW.
//
// With column planes, each channel and row phase has a plane per kernel column kw
// instead of one per column phase, holding at column ow what tap kw reads for output
// column ow: the grid is the output itself (gridW = outWidth), with no thrown-away
// columns and no tile across a row end that must go through a buffer, for a gather
// that writes KW planes rather than sW. Only the stride-2 gather writes them, so they
// are taken only at stride 2 along the row, dilation 1.
//
// With tap planes (column planes at stride 2 down the columns too, dilation 1), each
// tap (kh, kw) has its own plane: kh < 2 the row phases' column planes, kh ≥ 2 a copy
// of plane (kh − 2, kw) from its next row on. Otherwise tap kh = 2 reads its phase
// plane a row (gridW floats) further on, across a cache line in every other load
// (ResNet's downsampling 3×3: 28 floats on; its forward is 3.6% faster with tap planes
// at 1 and 2 threads, for a gather that writes 9 planes a channel rather than 6).
struct Grid {
  bool columnPlanes;      // a plane per kernel column (see above)
  bool tapPlanes;         // a plane per tap (see above)
  int64_t gridW;          // plane width
  int64_t reachH;         // rows a tap can reach below its output row: (KH−1)·dH div sH
  int64_t reachW;         // likewise columns (none with column planes)
  int64_t vectorsPerRow;  // row vectors: runs of 8 per output row
  bool byRowVectors;      // whether row vectors compute fewer pixels than the grid

  explicit Grid(const ConvParams& p, bool wantColumnPlanes = false)
      : columnPlanes(wantColumnPlanes && p.strideW == 2 && p.dilationW == 1),
        tapPlanes(columnPlanes && p.strideH == 2 && p.dilationH == 1 && p.kernelHeight > 2),
        gridW(p.outWidth + (columnPlanes ? 0 : (p.kernelWidth - 1) * p.dilationW / p.strideW)),
        reachH((p.kernelHeight - 1) * p.dilationH / p.strideH),
        reachW(columnPlanes ? 0 : (p.kernelWidth - 1) * p.dilationW / p.strideW),
        vectorsPerRow((p.outWidth + kLanes - 1) / kLanes),
        byRowVectors(gridW != p.outWidth && vectorsPerRow * kLanes < gridW) {}

  // Planes per channel and row phase: one per column phase, or per kernel column.
  int64_t planesPerRowPhase(const ConvParams& p) const { return columnPlanes ? p.kernelWidth : p.strideW; }
  int64_t planesPerChannel(const ConvParams& p) const {
    return tapPlanes ? p.kernelHeight * p.kernelWidth : p.strideH * planesPerRowPhase(p);
  }

  // Where tap (kh, kw) reads within a channel's planes: plane rowPlane + columnPlane,
  // from float rowShift + columnShift on.
  int64_t rowPlane(const ConvParams& p, int64_t kh) const {
    return (tapPlanes ? kh : (kh * p.dilationH) % p.strideH) * planesPerRowPhase(p);
  }
  int64_t rowShift(const ConvParams& p, int64_t kh) const {
    return tapPlanes ? 0 : (kh * p.dilationH / p.strideH) * gridW;
  }
  int64_t columnPlane(const ConvParams& p, int64_t kw) const {
    return columnPlanes ? kw : (kw * p.dilationW) % p.strideW;
  }
  int64_t columnShift(const ConvParams& p, int64_t kw) const {
    return columnPlanes ? 0 : kw * p.dilationW / p.strideW;
  }
  // The grid pixels that row vectors of `rows` consecutive rows read from, up to the
  // last run's 8th lane (in the next row, or padding, where thrown away).
  int64_t rowVectorSpan(int64_t rows) const { return (rows - 1) * gridW + vectorsPerRow * kLanes; }
};

// The input rows that `span` grid pixels read, for Cg channels: Cg · planesPerChannel planes of
// `rows` × gridW floats, zero outside the images. Plane row r is output row oh0 + r of
// image n0, continuing into the next images every `rowsPerImage` rows (each image's
// last reachH rows are thrown-away outputs whose input rows the real ones need).
struct InputRows {
  float* data;
  int64_t planeSize;  // rows · gridW

  // Plane offset of tap (c, kh, kw).
  int64_t tapOffset(const ConvParams& p, const Grid& grid, int64_t c, int64_t kh, int64_t kw) const {
    const int64_t plane = c * grid.planesPerChannel(p) + grid.rowPlane(p, kh) + grid.columnPlane(p, kw);
    return plane * planeSize + grid.rowShift(p, kh) + grid.columnShift(p, kw);
  }
};

// offsets[k] = rows.tapOffset(p, grid, c, kh, kw) for the taps k = (c, kh, kw) of
// `channels` channels, with the stride divisions done once per kernel row and column
// (not once per tap: they cost more than the tile work of small blocks).
inline void tapOffsets(const ConvParams& p, const Grid& grid, const InputRows& rows, int64_t channels,
                       int64_t* offsets) {
  const int64_t KH = p.kernelHeight, KW = p.kernelWidth;
  if (KH > 64 || KW > 64) {
    for (int64_t c = 0, k = 0; c < channels; ++c)
      for (int64_t kh = 0; kh < KH; ++kh)
        for (int64_t kw = 0; kw < KW; ++kw) offsets[k++] = rows.tapOffset(p, grid, c, kh, kw);
    return;
  }
  int64_t rowPlane[64], rowShift[64], columnPlane[64], columnShift[64];
  for (int64_t kh = 0; kh < KH; ++kh) {
    rowPlane[kh] = grid.rowPlane(p, kh);
    rowShift[kh] = grid.rowShift(p, kh);
  }
  for (int64_t kw = 0; kw < KW; ++kw) {
    columnPlane[kw] = grid.columnPlane(p, kw);
    columnShift[kw] = grid.columnShift(p, kw);
  }
  const int64_t perChannel = grid.planesPerChannel(p);
  for (int64_t c = 0, k = 0; c < channels; ++c)
    for (int64_t kh = 0; kh < KH; ++kh) {
      const int64_t rowBase = c * perChannel + rowPlane[kh];
      for (int64_t kw = 0; kw < KW; ++kw)
        offsets[k++] = (rowBase + columnPlane[kw]) * rows.planeSize + rowShift[kh] + columnShift[kw];
    }
}

// Channel `channel` of image n of the input (read through the plane table where the
// caller gives one), or null past the batch (rows thrown away).
inline const float* inputPlane(const ConvParams& p, const float* input, int64_t n, int64_t channel) {
  if (n >= p.batch) return nullptr;
  return p.planeTable ? p.planeTable[n * p.inChannels + channel]
                      : input + (n * p.inChannels + channel) * p.inHeight * p.inWidth;
}

// Both column phases of a stride-2 plane row from one pass over the input row `row`:
// even[j] = row[2j − padLeft], odd[j] = row[2j + 1 − padLeft], zero outside the row.
// (With a phase at a time, each of ResNet's 29-wide plane rows cost more in bookkeeping
// and scalar tails than in copying: a tenth of the downsampling layer's forward.)
inline void deinterleaveRow(const float* row, int64_t W, int64_t padLeft, int64_t gw, float* even, float* odd) {
  const auto at = [&](int64_t x) { return x >= 0 && x < W ? row[x] : 0.0f; };
  int64_t j = 0;
  for (; j < gw && 2 * j < padLeft; ++j) {
    even[j] = at(2 * j - padLeft);
    odd[j] = at(2 * j + 1 - padLeft);
  }
  for (; j + kLanes <= gw && 2 * (j + kLanes) - padLeft <= W; j += kLanes)
    storeDeinterleaved(row + 2 * j - padLeft, even + j, odd + j);
  for (; j < gw; ++j) {
    even[j] = at(2 * j - padLeft);
    odd[j] = at(2 * j + 1 - padLeft);
  }
}

// gatherInputRows for a stride of 2 along the row: each channel's input rows in order
// (both row phases interleaved, so the reads run through the channel's rows as stored),
// each row split into both column phases' planes in one pass.
// With column planes (dilation 1), planes 0 and 1 are the two phases, and plane kw ≥ 2
// is phase kw mod 2 from column kw div 2 on (its last columns read from the row). With
// tap planes, those of kernel rows kh ≥ 2 are copied from row phase kh mod 2's once
// its rows are gathered.
inline void gatherStride2Rows(const ConvParams& p, const Grid& grid, const float* input, int64_t firstChannel,
                              int64_t channels, int64_t n0, int64_t oh0, int64_t rowsPerImage, int64_t gw,
                              int64_t planeRows, const InputRows& rows) {
  const int64_t H = p.inHeight, W = p.inWidth, sH = p.strideH, planeSize = rows.planeSize;
  const int64_t columns = grid.planesPerRowPhase(p), perChannel = grid.planesPerChannel(p);
  for (int64_t c = 0; c < channels; ++c) {
    float* planes = rows.data + c * perChannel * planeSize;  // (ah, column) planes of channel c
    for (int64_t phase = 0; phase < sH * columns; ++phase)
      fillZero(planes + phase * planeSize + planeRows * gw, planeSize - planeRows * gw);
    // Plane row r is output row `oh` of image `n` (stepped, not divided, per row).
    int64_t n = n0 + oh0 / rowsPerImage, oh = oh0 % rowsPerImage;
    for (int64_t r = 0; r < planeRows; ++r) {
      const float* plane = inputPlane(p, input, n, firstChannel + c);
      for (int64_t ah = 0; ah < sH; ++ah) {
        float* at = planes + (ah * columns) * planeSize + r * gw;
        const int64_t ih = oh * sH + ah - p.padTop;
        const bool inside = plane != nullptr && ih >= 0 && ih < H;
        const float* row = inside ? plane + ih * W : nullptr;
        if (inside) {
          deinterleaveRow(row, W, p.padLeft, gw, at, at + planeSize);
        } else {
          fillZero(at, gw);
          fillZero(at + planeSize, gw);
        }
        for (int64_t kw = 2; kw < columns; ++kw) {  // column planes only: columns = sW = 2 otherwise
          float* dst = at + kw * planeSize;
          const int64_t shift = kw / 2;
          copyFloats(dst, at + (kw % 2) * planeSize + shift, gw - shift);
          for (int64_t j = std::max<int64_t>(0, gw - shift); j < gw; ++j) {
            const int64_t x = 2 * j + kw - p.padLeft;  // the input column plane kw's column j reads
            dst[j] = inside && x >= 0 && x < W ? row[x] : 0.0f;
          }
        }
      }
      if (++oh == rowsPerImage) {
        oh = 0;
        ++n;
      }
    }
    // Tap planes: plane (kh, kw) is plane (kh mod 2, kw) from row kh div 2 on (a row of
    // the image's thrown-away reach at most, never the next image's).
    for (int64_t plane = sH * columns; plane < perChannel; ++plane) {
      const int64_t kh = plane / columns, kw = plane % columns, shift = kh / 2 * gw;
      float* dst = planes + plane * planeSize;
      copyFloats(dst, planes + ((kh % 2) * columns + kw) * planeSize + shift, planeRows * gw - shift);
      fillZero(dst + planeRows * gw - shift, planeSize - (planeRows * gw - shift));
    }
  }
}

// `start` is the plane index of the first pixel read (its column within plane row 0).
inline InputRows gatherInputRows(const ConvParams& p, const Grid& grid, const float* input,
                                 int64_t firstChannel, int64_t channels, int64_t n0, int64_t oh0,
                                 int64_t rowsPerImage, int64_t start, int64_t span, ScratchSlot slot) {
  const int64_t Cg = channels, H = p.inHeight, W = p.inWidth;
  const int64_t sH = p.strideH, sW = p.strideW, gw = grid.gridW;
  // Furthest read: the last (padded) pixel plus the furthest tap.
  const int64_t furthest = start + span - 1 + grid.reachH * gw + grid.reachW;
  const int64_t planeRows = furthest / gw + 1;
  InputRows rows;
  // Rounded to whole cache lines, so every channel's run is aligned alike; and shifted
  // so that the first pixel read is aligned (a block may start mid-row: with a 1×1
  // kernel, every load of a misaligned block crossed cache lines).
  rows.planeSize = roundUp(planeRows * gw, kTileCols);
  const int64_t shift = (kTileCols - start % kTileCols) % kTileCols;
  rows.data = scratch(slot, static_cast<size_t>(Cg * grid.planesPerChannel(p) * rows.planeSize + shift)) + shift;
  if (sW == 2) {
    gatherStride2Rows(p, grid, input, firstChannel, channels, n0, oh0, rowsPerImage, gw, planeRows, rows);
    return rows;
  }
  for (int64_t c = 0; c < Cg; ++c) {
    for (int64_t ah = 0; ah < sH; ++ah) {
      for (int64_t aw = 0; aw < sW; ++aw) {
        float* dst = rows.data + ((c * sH + ah) * sW + aw) * rows.planeSize;
        fillZero(dst + planeRows * gw, rows.planeSize - planeRows * gw);
        // Plane column j reads input column j·sW + aw − padLeft.
        const ColumnRange cols = validColumns(aw - p.padLeft, sW, W, gw);
        // Whole input rows, one after another here as in the input (1×1 kernels without
        // padding, say): a run of them is one copy, not one short copy per row.
        const bool rowsContinue = sH == 1 && sW == 1 && gw == W && cols.begin == 0 && cols.end == gw;
        // Plane row r is output row `oh` of image `n` (stepped, not divided, per row).
        int64_t n = n0 + oh0 / rowsPerImage, oh = oh0 % rowsPerImage;
        for (int64_t r = 0, run = 1; r < planeRows; r += run, dst += run * gw) {
          const int64_t ih = oh * sH + ah - p.padTop;
          const float* plane = inputPlane(p, input, n, firstChannel + c);
          const bool inside = plane != nullptr && ih >= 0 && ih < H && cols.begin < cols.end;
          run = inside && rowsContinue ? std::min({planeRows - r, rowsPerImage - oh, H - ih}) : 1;
          oh += run;  // never past the image's last row
          if (oh == rowsPerImage) {
            oh = 0;
            ++n;
          }
          if (!inside) {
            fillZero(dst, gw);
            continue;
          }
          const float* src = plane + ih * W + aw - p.padLeft;
          if (run > 1) {
            copyFloats(dst, src, run * gw);
            continue;
          }
          fillZero(dst, cols.begin);
          if (sW == 1) {
            copyFloats(dst + cols.begin, src + cols.begin, cols.end - cols.begin);
          } else {
            for (int64_t j = cols.begin; j < cols.end; ++j) dst[j] = src[j * sW];
          }
          fillZero(dst + cols.end, gw - cols.end);
        }
      }
    }
  }
  return rows;
}

// ---- forward ----------------------------------------------------------------------------

// Weights of every group as 6-row panels: panel[k][6] for k over the group's taps,
// rows past the group's output channels zero.
// (Packed by the pool: with many channels, 256 × 256 weights say, a serial pack is a
// few percent of a call and more of its 2-thread time.)
inline const float* packWeightPanels(ThreadPool& pool, const ConvParams& p, const float* weight) {
  const int64_t G = p.groups, Og = p.outChannelsPerGroup();
  const int64_t K = p.inChannelsPerGroup() * p.kernelHeight * p.kernelWidth;
  const int64_t panels = (Og + 5) / 6;
  float* packed = scratch(ScratchSlot::kPackedWeights, static_cast<size_t>(G * panels * K * 6));
  pool.parallelFor(G * panels, grainFor(K * 6), [&](int64_t first, int64_t last) {
    for (int64_t gp = first; gp < last; ++gp) {
      const int64_t g = gp / panels, panel = gp % panels;
      float* dst = packed + gp * K * 6;
      for (int64_t k = 0; k < K; ++k)
        for (int64_t i = 0; i < 6; ++i) {
          const int64_t o = panel * 6 + i;
          dst[k * 6 + i] = o < Og ? weight[(g * Og + o) * K + k] : 0.0f;
        }
    }
  });
  return packed;
}

// The bias per panel row (zero without a bias or past the group's channels).
inline const float* panelBiases(const ConvParams& p, const float* bias) {
  const int64_t G = p.groups, Og = p.outChannelsPerGroup(), rows = (Og + 5) / 6 * 6;
  float* biases = scratch(ScratchSlot::kPartials, static_cast<size_t>(G * rows));
  for (int64_t g = 0; g < G; ++g)
    for (int64_t i = 0; i < rows; ++i) biases[g * rows + i] = (bias && i < Og) ? bias[g * Og + i] : 0.0f;
  return biases;
}

// How many blocks each of `units` (images × groups) of `pixels` is split into for the
// forward: blocks of about kForwardBlockPixels where the kernel reaches the rows below
// (kBlockPixels where it does not: nothing to save; a block of whole rows may take up
// to a row more), but at least four tasks a thread, so that none idles for long. Fewer,
// larger blocks gather less (see blocking.h). Blocks do not change any output's sums,
// so results stay the same whatever the thread count.
inline int64_t forwardBlocks(const Grid& grid, int64_t pixels, int64_t units, int64_t threads) {
  const int64_t largest = grid.reachH > 0 ? kForwardBlockPixels : kBlockPixels;
  const int64_t bySize = (pixels + largest - 1) / largest;
  const int64_t byThreads = (4 * threads + units - 1) / units;
  return std::max<int64_t>(1, std::max(bySize, byThreads));
}

// forwardBlocks for a stacked grid (see forwardOnGrid): blocks of about
// kStackedBlockPixels, at least four a thread, their count a multiple of the threads'.
inline int64_t stackedForwardBlocks(int64_t pixels, int64_t threads) {
  const int64_t bySize = (pixels + kStackedBlockPixels - 1) / kStackedBlockPixels;
  return roundUp(std::max(bySize, 4 * threads), threads);
}

// Forward over the grid: tiles of 16 consecutive grid pixels, thrown-away columns
// included.
inline void forwardOnGrid(ThreadPool& pool, const ConvParams& p, const Grid& grid, const float* input,
                          const float* packed, const float* biases, float* output) {
  const int64_t G = p.groups, Cg = p.inChannelsPerGroup(), Og = p.outChannelsPerGroup();
  const int64_t KH = p.kernelHeight, KW = p.kernelWidth, K = Cg * KH * KW;
  const int64_t O = p.outChannels, OH = p.outHeight, OW = p.outWidth, plane = OH * OW;
  const int64_t panels = (Og + 5) / 6;
  // Where the kernel reaches no rows below (1×1 kernels, 1-D ones), the images' grids are
  // stacked into one, and blocks run on across an image's end: otherwise each image ends
  // in a part-empty tile (14 × 14 = 196 pixels took 13 tiles of 16, 7 × 7 took 4 for 49).
  const bool stacked = grid.reachH == 0;
  const int64_t gridRows = (stacked ? p.batch : 1) * OH, gridPixels = gridRows * grid.gridW;
  const int64_t units = (stacked ? 1 : p.batch) * G;
  // Without thrown-away columns (1×1 kernels, say) the grid is the output itself.
  const bool contiguous = grid.gridW == OW;
  // Wide rows: blocks of whole grid rows where rows are not too wide, so that each block
  // writes whole output rows (aligned, full cache lines: good for streaming stores);
  // otherwise (and on a stacked contiguous grid, whose rows do not matter) blocks of
  // whole tiles, which waste nothing on tails.
  const bool wholeRows = (contiguous ? !stacked : grid.gridW >= 4 * kTileCols) && grid.gridW <= 3 * kBlockPixels;
  // Blocks of whole rows or whole tiles (pieces), as even as they can be.
  const int64_t pieceSize = wholeRows ? grid.gridW : kTileCols;
  const int64_t pieces = wholeRows ? gridRows : (gridPixels + kTileCols - 1) / kTileCols;
  const int64_t threads = pool.size();
  const int64_t blocks = std::min(pieces, stacked ? stackedForwardBlocks(gridPixels, threads)
                                                  : forwardBlocks(grid, gridPixels, units, threads));
  const int64_t blockPixels = (pieces + blocks - 1) / blocks * pieceSize;  // the largest block
  const int64_t ldc = roundUp(blockPixels, kTileCols);
  const int64_t kBlocks = (K + kBlockK - 1) / kBlockK;
  const bool stream = (wholeRows || contiguous) && p.outputSize() > kStreamingOutputFloats;
  // Where grid row `row` (stacked: of image row / OH) starts in the output's first plane.
  const auto rowOffset = [&](int64_t row) { return row / OH * O * plane + row % OH * OW; };

  pool.parallelFor(units * blocks, grainFor(blockPixels * Og * K), [&](int64_t first, int64_t last) {
    int64_t* offsets = reinterpret_cast<int64_t*>(scratch(ScratchSlot::kTaskGrad, static_cast<size_t>(2 * K)));
    for (int64_t task = first; task < last; ++task) {
      const int64_t block = task % blocks, g = (task / blocks) % G, n = task / (blocks * G);
      const int64_t q0 = block * pieces / blocks * pieceSize;
      const int64_t span = std::min((block + 1) * pieces / blocks * pieceSize, gridPixels) - q0;
      const int64_t padded = roundUp(span, kTileCols);
      const int64_t firstRow = q0 / grid.gridW, origin = q0 - firstRow * grid.gridW;
      const InputRows rows = gatherInputRows(p, grid, input, g * Cg, Cg, n, firstRow,
                                             OH + grid.reachH, origin, padded, ScratchSlot::kTaskInput);
      tapOffsets(p, grid, rows, Cg, offsets);
      float* acc = scratch(ScratchSlot::kTaskOutput, static_cast<size_t>(panels * 6 * ldc));
      const float* biasOf = biases + g * panels * 6;
      float* image = output + (n * O + g * Og) * plane;
      // Where the 8 pixels from grid index q go: offset in the output plane, how many are
      // real, and whether they lie in one output row (their real columns a prefix, the
      // thrown-away ones last) or run into the next row (or image).
      struct Half {
        int64_t offset, valid;
        bool oneRow;
      };
      auto half = [&](int64_t q) {
        if (q >= q0 + span) return Half{0, 0, true};  // past the block: nothing to store
        if (contiguous) {
          const int64_t m = q / plane, at = q % plane;  // image m
          const bool oneRow = at + kLanes <= plane || q0 + span <= (m + 1) * plane;
          return Half{m * O * plane + at, std::min<int64_t>(kLanes, q0 + span - q), oneRow};
        }
        const int64_t row = q / grid.gridW, ow = q % grid.gridW;
        const bool oneRow = ow + kLanes <= grid.gridW || q0 + span <= (row + 1) * grid.gridW;
        const int64_t valid = ow < OW ? std::min<int64_t>({kLanes, OW - ow, q0 + span - q}) : 0;
        return Half{rowOffset(row) + ow, valid, oneRow};
      };
      // Strip s is stored from registers where both halves lie in one row each; a strip
      // with a half across a row end goes through the buffer and is copied out.
      struct Strip {
        Half lo, hi;
        bool direct() const { return lo.oneRow && hi.oneRow; }
      };
      auto strip = [&](int64_t s) { return Strip{half(q0 + s), half(q0 + s + kLanes)}; };
      for (int64_t kb = 0; kb < kBlocks; ++kb) {
        const int64_t k0 = kb * K / kBlocks, kc = (kb + 1) * K / kBlocks - k0;
        const bool final = kb == kBlocks - 1;
        auto tile = [&](int64_t panel, int64_t s, const Strip& st) {
          const float* a = packed + ((g * panels + panel) * K + k0) * 6;
          const float* base = rows.data + origin + s;
          float* c = acc + panel * 6 * ldc + s;
          if (final && st.direct()) {
            float* out = image + panel * 6 * plane;
            tileToOutput(kc, a, contiguousHalves(base), offsets + k0, kb > 0 ? c : nullptr, ldc,
                         biasOf + panel * 6,
                         TileDestination{out + st.lo.offset, out + st.hi.offset, st.lo.valid, st.hi.valid},
                         plane, std::min<int64_t>(6, Og - panel * 6), stream);
          } else {
            tileToBuffer(Og - panel * 6, kb > 0, kc, a, contiguousHalves(base), offsets + k0, c, ldc);
          }
        };
        if (stream) {
          // Panel outer: streaming stores fill one output row after another (a store
          // to each of many planes in turn would thrash the write-combining buffers).
          for (int64_t panel = 0; panel < panels; ++panel)
            for (int64_t s = 0; s < padded; s += kTileCols) tile(panel, s, strip(s));
        } else {
          // Strip outer: the strip's input (kc × 16 floats) stays in L1 while the weight
          // panels, read in order, stream past it from L2.
          for (int64_t s = 0; s < padded; s += kTileCols) {
            const Strip st = strip(s);
            for (int64_t panel = 0; panel < panels; ++panel) tile(panel, s, st);
          }
        }
      }
      // From the buffer: the real columns of each grid row in pixels [from, to), plus bias.
      auto copyOut = [&](int64_t from, int64_t to) {
        for (int64_t o = 0; o < Og; ++o) {
          const float* src = acc + o * ldc - q0;
          for (int64_t r = from / grid.gridW; r * grid.gridW < to; ++r) {
            const int64_t rowStart = r * grid.gridW;
            const int64_t begin = std::max(from, rowStart), end = std::min(to, rowStart + OW);
            if (begin < end)
              storeRow(image + o * plane + rowOffset(r) + (begin - rowStart), src + begin, end - begin, biasOf[o],
                       stream);
          }
        }
      };
      for (int64_t s = 0; s < padded; s += kTileCols)  // the strips that went through the buffer
        if (!strip(s).direct()) copyOut(q0 + s, std::min(q0 + s + kTileCols, q0 + span));
    }
    streamFence();
  });
}

// Forward over row vectors (see Grid): a tile takes two runs from anywhere.
inline void forwardByRowVectors(ThreadPool& pool, const ConvParams& p, const float* input,
                                const float* packed, const float* biases, float* output) {
  const Grid grid(p);
  const int64_t G = p.groups, Cg = p.inChannelsPerGroup(), Og = p.outChannelsPerGroup();
  const int64_t K = Cg * p.kernelHeight * p.kernelWidth, panels = (Og + 5) / 6;
  const int64_t OH = p.outHeight, OW = p.outWidth, plane = OH * OW, gw = grid.gridW;
  const int64_t perRow = grid.vectorsPerRow;
  const int64_t split = forwardBlocks(grid, OH * perRow * kLanes, p.batch * G, pool.size());
  const int64_t rowsPerBlock = (OH + split - 1) / split;
  const int64_t blocks = (OH + rowsPerBlock - 1) / rowsPerBlock;
  const int64_t ldc = (rowsPerBlock * perRow + 1) / 2 * kTileCols;
  const int64_t kBlocks = (K + kBlockK - 1) / kBlockK;
  // No streaming stores here: each tile writes a line to each of 6 planes, and VGG's
  // first layer (103 MB out) measured 1.5% slower with them at 1 thread, the same at 2.

  pool.parallelFor(p.batch * G * blocks, grainFor(ldc * Og * K), [&](int64_t first, int64_t last) {
    int64_t* offsets = reinterpret_cast<int64_t*>(scratch(ScratchSlot::kTaskGrad, static_cast<size_t>(2 * K)));
    for (int64_t task = first; task < last; ++task) {
      const int64_t block = task % blocks, g = (task / blocks) % G, n = task / (blocks * G);
      const int64_t oh0 = block * rowsPerBlock, rows = std::min(rowsPerBlock, OH - oh0);
      const int64_t vectors = rows * perRow;
      const InputRows in = gatherInputRows(p, grid, input, g * Cg, Cg, n, oh0, OH + grid.reachH, 0,
                                           grid.rowVectorSpan(rows), ScratchSlot::kTaskInput);
      tapOffsets(p, grid, in, Cg, offsets);
      float* acc = kBlocks > 1 ? scratch(ScratchSlot::kTaskOutput, static_cast<size_t>(panels * 6 * ldc)) : nullptr;
      float* image = output + (n * p.outChannels + g * Og) * plane;
      // The block's runs: where each reads (plane offset) and writes, and how much is
      // real. Listed once per block: dividing per tile would cost as much as the tile
      // of a short reduction (VGG's first layer: 27 taps).
      using Run = RowVectorRun;
      Run* runs = reinterpret_cast<Run*>(
          scratch(ScratchSlot::kTaskPositions, static_cast<size_t>((vectors + 1) * sizeof(Run) / sizeof(float))));
      for (int64_t r = 0, v = 0; r < rows; ++r)
        for (int64_t ow = 0; ow < OW; ow += kLanes)
          runs[v++] = Run{r * gw + ow, (oh0 + r) * OW + ow, std::min<int64_t>(kLanes, OW - ow)};
      // An odd last run is paired with itself, the copy thrown away.
      runs[vectors] = Run{runs[vectors - 1].from, runs[vectors - 1].to, 0};
      for (int64_t kb = 0; kb < kBlocks; ++kb) {
        const int64_t k0 = kb * K / kBlocks, kc = (kb + 1) * K / kBlocks - k0;
        const bool final = kb == kBlocks - 1;
        for (int64_t panel = 0; panel < panels; ++panel) {
          const float* a = packed + ((g * panels + panel) * K + k0) * 6;
          const int64_t panelRows = std::min<int64_t>(6, Og - panel * 6);
          float* panelOut = image + panel * 6 * plane;
          float* panelAcc = acc ? acc + panel * 6 * ldc : nullptr;
          if (final) {
            withTileRows(panelRows, [&](auto height) {
              runTilesToOutput<decltype(height)::value>(kc, a, in.data, runs, (vectors + 1) / 2, offsets + k0,
                                                        kb > 0 ? panelAcc : nullptr, ldc,
                                                        biases + (g * panels + panel) * 6, panelOut, plane, panelRows);
            });
          } else {
            for (int64_t v = 0; v < vectors; v += 2) {
              const Halves halves{in.data + runs[v].from, in.data + runs[v + 1].from};
              tileToBuffer(panelRows, kb > 0, kc, a, halves, offsets + k0, panelAcc + v / 2 * kTileCols, ldc);
            }
          }
        }
      }
    }
  });
}

// Whether the forward gathers column planes (see Grid): for 3-wide kernels at stride 2,
// whose grid is a column wider than the output (ResNet's downsampling 3×3: 29 for 28,
// and half its tiles across a row end). Measured at 1 and 2 threads: res_s2's forward
// 4.4% faster. At stride 1 the gather of KW shifted copies costs more than it saves
// (res3x3 11% slower, VGG's first layer 26%).
inline bool forwardTakesColumnPlanes(const ConvParams& p) {
  return p.strideW == 2 && p.dilationW == 1 && p.kernelWidth == 3;
}

inline void forward(ThreadPool& pool, const ConvParams& p, const float* input,
                    const float* weight, const float* bias, float* output) {
  const Grid grid(p, forwardTakesColumnPlanes(p));
  const float* packed = packWeightPanels(pool, p, weight);
  const float* biases = panelBiases(p, bias);
  if (grid.byRowVectors)
    forwardByRowVectors(pool, p, input, packed, biases, output);
  else
    forwardOnGrid(pool, p, grid, input, packed, biases, output);
}

// ---- backward-data: column gradient by GEMM, then scattered (col2im) ---------------------

// Transposed weights as 6-row panels over taps: panel[o][6] for the group's outputs.
inline const float* packTransposedPanels(const ConvParams& p, const float* weight) {
  const int64_t G = p.groups, Og = p.outChannelsPerGroup();
  const int64_t K = p.inChannelsPerGroup() * p.kernelHeight * p.kernelWidth;
  const int64_t panels = (K + 5) / 6;
  float* packed = scratch(ScratchSlot::kPackedWeights, static_cast<size_t>(G * panels * Og * 6));
  for (int64_t g = 0; g < G; ++g)
    for (int64_t panel = 0; panel < panels; ++panel) {
      float* dst = packed + (g * panels + panel) * Og * 6;
      for (int64_t o = 0; o < Og; ++o)
        for (int64_t i = 0; i < 6; ++i) {
          const int64_t k = panel * 6 + i;
          dst[o * 6 + i] = k < K ? weight[(g * Og + o) * K + k] : 0.0f;
        }
    }
  return packed;
}

// Where each tap's column gradient lands in gradInput. Worked out once per call (no
// division is left in the scatter's loops: with LeNet's 8×8 outputs its runs are one
// vector long, and the bookkeeping would dominate).
struct ScatterTap {
  int64_t row;       // the tap's row of the column-gradient block
  int64_t origin;    // offset in gradInput of input row 0 for output column 0
  int64_t rowShift;  // input row = oh · sH + rowShift
  ColumnRange valid;
};
static_assert(sizeof(ScatterTap) % sizeof(float) == 0, "ScatterTap lives in float scratch");

// The taps of every block [t0, t0 + kBlockTaps), each block ordered kernel column by
// kernel column: taps next to each other in a row write overlapping, shifted runs, and
// a load of a run just stored at a shifted address cannot be forwarded from the store
// (a long stall); taps of one kernel column write disjoint or identical runs.
inline const ScatterTap* planScatter(const ConvParams& p) {
  const int64_t KH = p.kernelHeight, KW = p.kernelWidth, K = p.inChannelsPerGroup() * KH * KW;
  const int64_t H = p.inHeight, W = p.inWidth;
  const size_t floats = static_cast<size_t>(K) * sizeof(ScatterTap) / sizeof(float);
  ScatterTap* plan = reinterpret_cast<ScatterTap*>(scratch(ScratchSlot::kScatterPlan, floats));
  int64_t count = 0;
  for (int64_t t0 = 0; t0 < K; t0 += kBlockTaps) {
    const int64_t t1 = std::min(K, t0 + kBlockTaps);
    for (int64_t kw = 0; kw < KW; ++kw) {
      const int64_t offset = kw * p.dilationW - p.padLeft;
      const ColumnRange valid = validColumns(offset, p.strideW, W, p.outWidth);
      for (int64_t c = t0 / (KH * KW); c * KH * KW < t1; ++c)
        for (int64_t kh = 0; kh < KH; ++kh) {
          const int64_t t = (c * KH + kh) * KW + kw;
          if (t >= t0 && t < t1)
            plan[count++] = {t - t0, c * H * W + offset, kh * p.dilationH - p.padTop, valid};
        }
    }
  }
  return plan;
}

// gradInput += the column gradient of pixels [p0, p0 + span) (`cols`, a row of
// kBlockPixels per tap) for the `count` taps of `plan`: col2im, rows outer.
inline void scatterColumns(const ConvParams& p, const ScatterTap* plan, int64_t count, const float* cols,
                           int64_t p0, int64_t span, float* gin) {
  const int64_t H = p.inHeight, W = p.inWidth, OW = p.outWidth, sH = p.strideH, sW = p.strideW;
  int64_t oh = p0 / OW, ow = p0 % OW;
  for (int64_t q = p0; q < p0 + span; ++oh, ow = 0) {
    const int64_t length = std::min(p0 + span - q, OW - ow);
    for (int64_t i = 0; i < count; ++i) {
      const ScatterTap& tap = plan[i];
      const int64_t ih = oh * sH + tap.rowShift;
      const int64_t begin = std::max(ow, tap.valid.begin), end = std::min(ow + length, tap.valid.end);
      if (ih < 0 || ih >= H || begin >= end) continue;
      float* dst = gin + tap.origin + ih * W;
      const float* src = cols + tap.row * kBlockPixels + (q - p0) - ow;  // indexed by output column
      if (sW == 1) {
        int64_t x = begin;
        for (; x + kLanes <= end; x += kLanes) store(dst + x, add(load(dst + x), load(src + x)));
        for (; x < end; ++x) dst[x] += src[x];
      } else if (sW == 2) {
        // Downsampling layers: 8 at a time, short of the row's end (16 floats written).
        int64_t x = begin;
        for (; x + kLanes < end; x += kLanes) addToEvens(dst + 2 * x, load(src + x));
        for (; x < end; ++x) dst[x * 2] += src[x];
      } else {
        for (int64_t x = begin; x < end; ++x) dst[x * sW] += src[x];
      }
    }
    q += length;
  }
}

inline void backwardData(ThreadPool& pool, const ConvParams& p, const float* gradOutput,
                         const float* weight, float* gradInput) {
  const int64_t G = p.groups, Cg = p.inChannelsPerGroup(), Og = p.outChannelsPerGroup();
  const int64_t KH = p.kernelHeight, KW = p.kernelWidth, K = Cg * KH * KW;
  const int64_t H = p.inHeight, W = p.inWidth, OH = p.outHeight, OW = p.outWidth;
  const int64_t P = OH * OW, panels = (K + 5) / 6;
  const int64_t oBlocks = (Og + kBlockK - 1) / kBlockK;
  const float* packed = packTransposedPanels(p, weight);
  const ScatterTap* plan = planScatter(p);

  // One task per (image, group): the scatter overlaps between pixel blocks, so an image's
  // blocks run in order on one thread (the same order whatever the thread count).
  pool.parallelFor(p.batch * G, grainFor(P * Og * K), [&](int64_t first, int64_t last) {
    int64_t* offsets = reinterpret_cast<int64_t*>(scratch(ScratchSlot::kTaskInput, static_cast<size_t>(2 * Og)));
    for (int64_t task = first; task < last; ++task) {
      const int64_t g = task % G, n = task / G;
      float* gin = gradInput + (n * p.inChannels + g * Cg) * H * W;
      fillZero(gin, Cg * H * W);
      const float* gout = gradOutput + (n * p.outChannels + g * Og) * P;
      float* rows = scratch(ScratchSlot::kTaskGrad, static_cast<size_t>(Og * kBlockPixels));
      float* cols = scratch(ScratchSlot::kTaskOutput, static_cast<size_t>(kBlockTaps * kBlockPixels));
      for (int64_t o = 0; o < Og; ++o) offsets[o] = o * kBlockPixels;
      for (int64_t p0 = 0; p0 < P; p0 += kBlockPixels) {
        const int64_t span = std::min(kBlockPixels, P - p0), padded = roundUp(span, kTileCols);
        for (int64_t o = 0; o < Og; ++o) {
          copyFloats(rows + o * kBlockPixels, gout + o * P + p0, span);
          fillZero(rows + o * kBlockPixels + span, padded - span);
        }
        for (int64_t t0 = 0; t0 < K; t0 += kBlockTaps) {
          const int64_t t1 = std::min(K, t0 + kBlockTaps);
          for (int64_t panel = t0 / 6; panel * 6 < t1; ++panel) {
            float* c = cols + (panel * 6 - t0) * kBlockPixels;
            for (int64_t ob = 0; ob < oBlocks; ++ob) {
              const int64_t o0 = ob * Og / oBlocks, oc = (ob + 1) * Og / oBlocks - o0;
              const float* a = packed + ((g * panels + panel) * Og + o0) * 6;
              for (int64_t s = 0; s < padded; s += kTileCols) {
                tileToBuffer(t1 - panel * 6, ob > 0, oc, a, contiguousHalves(rows + s), offsets + o0, c + s,
                             kBlockPixels);
              }
            }
          }
          scatterColumns(p, plan + t0, t1 - t0, cols, p0, span, gin);
        }
      }
    }
  });
}

// ---- backward-weight: dot products over pixel runs, split into shape-fixed chunks ------

// Where one unit of work (a run of pixels) finds its inputs: tap k's run starts at
// base + offsets[k], gradient row o at grads + o · ldg; runs are `padded` long.
struct WeightGradUnit {
  const float* base;
  int64_t padded;
  const int64_t* positions;  // row vectors: where each 8-float vector is; null: contiguous
  int64_t channelFloats;     // the unit's input floats per channel (all its taps read)
};

// Runs `units` units split into at most 16 chunks (a number fixed by the shape), each
// chunk summing into its own partial gradient, then adds the partials in chunk order.
// With few chunks the input channels are split across tasks too: each (o, tap) is still
// summed by one task, in the same order. prepare(g, unit, c0, c1, offsets, grads)
// gathers channels [c0, c1) of one unit and all its gradient rows.
template <typename Prepare>
inline void reduceWeightGrad(ThreadPool& pool, const ConvParams& p, int64_t units, int64_t ldg,
                             float* gradWeight, const Prepare& prepare) {
  const int64_t G = p.groups, Og = p.outChannelsPerGroup(), Cg = p.inChannelsPerGroup();
  const int64_t taps = p.kernelHeight * p.kernelWidth, K = Cg * taps;
  const int64_t chunks = std::min<int64_t>(units, 16);
  const int64_t splits = std::min(Cg, std::max<int64_t>(1, (6 + G * chunks - 1) / (G * chunks)));
  const int64_t partialSize = Og * K;
  float* partials = scratch(ScratchSlot::kPartials, static_cast<size_t>(G * chunks * partialSize));
  fillZero(partials, G * chunks * partialSize);

  pool.parallelFor(G * chunks * splits, 1, [&](int64_t first, int64_t last) {
    int64_t* offsets = reinterpret_cast<int64_t*>(scratch(ScratchSlot::kTaskOutput, static_cast<size_t>(2 * K)));
    float* grads = scratch(ScratchSlot::kTaskGrad, static_cast<size_t>(Og * ldg));
    for (int64_t task = first; task < last; ++task) {
      const int64_t split = task % splits, chunk = (task / splits) % chunks, g = task / splits / chunks;
      const int64_t c0 = split * Cg / splits, c1 = (split + 1) * Cg / splits;
      const int64_t k0 = c0 * taps, k1 = c1 * taps;
      float* partial = partials + (g * chunks + chunk) * partialSize;
      for (int64_t unit = chunk * units / chunks; unit < (chunk + 1) * units / chunks; ++unit) {
        const WeightGradUnit u = prepare(g, unit, c0, c1, offsets, grads);
        // Channels in blocks whose input stays in L2 while every gradient row passes
        // over it (each (o, tap) is still one dot product: the order changes no bits).
        const int64_t blockChannels =
            std::max<int64_t>(1, kWeightGradInputBytes / (u.channelFloats * int64_t(sizeof(float))));
        for (int64_t kb = k0; kb < k1; kb += blockChannels * taps) {
          const int64_t kbEnd = std::min(k1, kb + blockChannels * taps);
          for (int64_t o0 = 0; o0 < Og; o0 += kDotRows) {
            const int64_t mo = std::min(kDotRows, Og - o0);
            for (int64_t k = kb; k < kbEnd; k += kDotCols) {
              const int64_t mk = std::min(kDotCols, kbEnd - k);
              dotFor(mo, mk, u.positions != nullptr)(u.padded, grads + o0 * ldg, ldg, u.base, offsets + (k - k0),
                                                     u.positions, partial + o0 * K + k, K);
            }
          }
        }
      }
    }
  });

  // Runs of up to 16 elements summed side by side: one element's chain of dependent
  // float64 adds would leave the adder idle (each element's order is still chunk order).
  constexpr int64_t kSide = 16;
  pool.parallelFor(G * partialSize, 4096, [&](int64_t first, int64_t last) {
    for (int64_t i = first; i < last;) {
      const int64_t g = i / partialSize, j = i % partialSize;
      const int64_t count = std::min({kSide, last - i, partialSize - j});
      double sums[kSide] = {};
      for (int64_t chunk = 0; chunk < chunks; ++chunk) {
        const float* row = partials + (g * chunks + chunk) * partialSize + j;
        for (int64_t l = 0; l < count; ++l) sums[l] += row[l];
      }
      for (int64_t l = 0; l < count; ++l) gradWeight[i + l] = static_cast<float>(sums[l]);
      i += count;
    }
  });
}

inline void backwardWeight(ThreadPool& pool, const ConvParams& p, const float* input,
                           const float* gradOutput, float* gradWeight) {
  const Grid grid(p);
  const int64_t Cg = p.inChannelsPerGroup(), Og = p.outChannelsPerGroup();
  const int64_t OH = p.outHeight, OW = p.outWidth, plane = OH * OW, gw = grid.gridW;
  // Row vectors (see Grid) skip the thrown-away rows and columns, so small images
  // always stack.
  const bool runs = grid.byRowVectors;
  const int64_t perRow = grid.vectorsPerRow;

  // A unit is a run of grid rows: part of one image, or several whole small images
  // stacked (on the grid, worth it when few rows are thrown away), so runs stay long.
  const int64_t rowsPerImage = OH + grid.reachH;
  const int64_t imagePixels = runs ? OH * perRow * kLanes : rowsPerImage * gw;  // computed
  const bool stack = imagePixels * 2 <= kWeightGradPixels && (runs || grid.reachH * 4 <= OH);
  // Unstacked, an image's rows are split evenly into units of at least
  // kWeightGradPixels where the image has them (26 + 2 rows would make the second
  // unit's runs too short to pay for their closing sums).
  const int64_t rowsForRun = std::max<int64_t>(1, kWeightGradPixels / (runs ? perRow * kLanes : gw));
  const int64_t evenBlocks = std::max<int64_t>(1, OH / rowsForRun);
  const int64_t unitRows = stack ? (kWeightGradPixels / imagePixels) * rowsPerImage
                                 : (OH + evenBlocks - 1) / evenBlocks;
  const int64_t blocksPerImage = (OH + unitRows - 1) / unitRows;  // every block has rows
  const int64_t totalRows = stack ? p.batch * rowsPerImage : 0;
  const int64_t units = stack ? (totalRows + unitRows - 1) / unitRows : p.batch * blocksPerImage;
  const int64_t ldg = roundUp(runs ? unitRows * perRow * kLanes : unitRows * gw, kTileCols);
  reduceWeightGrad(pool, p, units, ldg, gradWeight, [&](int64_t g, int64_t unit, int64_t c0, int64_t c1,
                                                       int64_t* offsets, float* grads) {
    // Stacked: unit rows [unit·unitRows, …) of all images; else rows of image n.
    const int64_t n0 = stack ? 0 : unit / blocksPerImage;
    const int64_t row0 = stack ? unit * unitRows : (unit % blocksPerImage) * unitRows;
    const int64_t rows = stack ? std::min(unitRows, totalRows - row0) : std::min(unitRows, OH - row0);
    if (runs) {
      // The real rows' vectors, in order, and their gradients: a row's perRow vectors
      // are its OW floats and zeros.
      int64_t* positions = reinterpret_cast<int64_t*>(
          scratch(ScratchSlot::kTaskPositions, static_cast<size_t>(2 * rows * perRow)));
      const int64_t rowFloats = perRow * kLanes;
      int64_t vectors = 0;
      // Unit row r is output row `oh` of image `n` (stepped, not divided, per row).
      int64_t n = n0 + row0 / rowsPerImage, oh = row0 % rowsPerImage;
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t image = n, row = oh;
        if (++oh == rowsPerImage) {
          oh = 0;
          ++n;
        }
        if (row >= OH) continue;
        for (int64_t o = 0; o < Og; ++o) {
          float* dst = grads + o * ldg + vectors * kLanes;
          copyFloats(dst, gradOutput + (image * p.outChannels + g * Og + o) * plane + row * OW, OW);
          fillZero(dst + OW, rowFloats - OW);
        }
        for (int64_t j = 0; j < perRow; ++j) positions[vectors++] = r * gw + j * kLanes;
      }
      const InputRows in = gatherInputRows(p, grid, input, g * Cg + c0, c1 - c0, n0, row0, rowsPerImage, 0,
                                           grid.rowVectorSpan(rows), ScratchSlot::kTaskInput);
      tapOffsets(p, grid, in, c1 - c0, offsets);
      return WeightGradUnit{in.data, vectors * kLanes, positions, grid.planesPerChannel(p) * in.planeSize};
    }
    const int64_t padded = roundUp(rows * gw, kTileCols);
    const InputRows in = gatherInputRows(p, grid, input, g * Cg + c0, c1 - c0, n0, row0, rowsPerImage, 0,
                                         padded, ScratchSlot::kTaskInput);
    tapOffsets(p, grid, in, c1 - c0, offsets);
    // Gradient rows laid out on the grid, zero in the thrown-away rows and columns.
    for (int64_t o = 0; o < Og; ++o) {
      float* dst = grads + o * ldg;
      // Rows without thrown-away columns continue one another: a run of them is one copy.
      int64_t n = n0 + row0 / rowsPerImage, oh = row0 % rowsPerImage;
      for (int64_t r = 0, run = 1; r < rows; r += run) {
        const int64_t image = n, row = oh;
        run = row < OH && gw == OW ? std::min(rows - r, OH - row) : 1;
        oh += run;
        if (oh == rowsPerImage) {
          oh = 0;
          ++n;
        }
        float* line = dst + r * gw;
        if (row >= OH) {
          fillZero(line, gw);
          continue;
        }
        copyFloats(line, gradOutput + (image * p.outChannels + g * Og + o) * plane + row * OW, run * OW);
        fillZero(line + run * OW, run * (gw - OW));
      }
      fillZero(dst + rows * gw, padded - rows * gw);
    }
    return WeightGradUnit{in.data, padded, nullptr, grid.planesPerChannel(p) * in.planeSize};
  });
}

}  // namespace gemm
