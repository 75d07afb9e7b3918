// The GEMM tile's epilogues (micro/f32_gemm_tile.h): where a finished tile goes, into
// a buffer, or straight into the output with the bias and earlier reduction blocks'
// partial sums added. Part of engine_impl.h (ISA namespace).
#pragma once

// A tile's broadcast rows: a packed panel, or where a table of offsets says.
inline PackedRows rowsReader(const float* a) { return {a}; }
inline IndexedRows rowsReader(IndexedRows a) { return a; }

// c[kRows][kTileCols] (=|+=) the tile; c rows are `ldc` apart.
template <int kRows, bool kAccumulate, typename Rows>
CONVCORE_NOINLINE void tileToBuffer(int64_t kc, Rows a, Halves halves, const int64_t* offsets, float* c,
                                            int64_t ldc) {
  gemmTileRows<kRows>(kc, a, halves, offsets, [&](int i, Vec v0, Vec v1) {
    float* row = c + i * ldc;
    if (kAccumulate) {
      v0 = add(v0, load(row));
      v1 = add(v1, load(row + kLanes));
    }
    store(row, v0);
    store(row + kLanes, v1);
  });
}

// The same for a panel with `rows` real rows (the tile height is chosen to fit); `a` is a
// packed panel or IndexedRows.
template <typename A>
inline void tileToBuffer(int64_t rows, bool accumulate, int64_t kc, A a, Halves halves, const int64_t* offsets,
                         float* c, int64_t ldc) {
  const auto reader = rowsReader(a);
  withTileRows(rows, [&](auto height) {
    if (accumulate) tileToBuffer<decltype(height)::value, true>(kc, reader, halves, offsets, c, ldc);
    else tileToBuffer<decltype(height)::value, false>(kc, reader, halves, offsets, c, ldc);
  });
}

// Where one vector of a finished tile goes, as offsets from its row's place in the first
// output plane: lanes [0, valid) to `offset`; where the vector runs past the end of an
// output row (or image) into the next, lanes [nextFrom, nextFrom + nextValid) to
// `nextOffset` as well. The lanes between are thrown-away columns.
struct VectorDestination {
  int64_t offset = 0, valid = 0;
  int64_t nextOffset = 0, nextFrom = 0, nextValid = 0;
};

// A finished tile's two vectors: row i of each goes to its destination in plane
// out + i · planeStride.
struct TileDestination {
  float* out;
  VectorDestination lo, hi;
};

// The first `valid` floats of v to out (the whole vector streamed, where `stream` and aligned).
inline void storeValid(float* out, Vec v, int64_t valid, bool stream) {
  if (valid == kLanes) {
    if (stream && (reinterpret_cast<uintptr_t>(out) & (kVectorBytes - 1)) == 0) streamStore(out, v);
    else store(out, v);
  } else if (valid > 0) {
    storeLanes(out, v, 0, valid);
  }
}

// v to its destination from the plane at `plane`.
inline void storeVector(float* plane, const VectorDestination& d, Vec v, bool stream) {
  storeValid(plane + d.offset, v, d.valid, stream);
  if (d.nextValid > 0) storeLanes(plane + d.nextOffset, v, d.nextFrom, d.nextValid);
}

// The tile finished straight into the output: `rows` channels of the destination, plus
// the partial sums of earlier reduction blocks (`prior`, ldp apart, or null) and the
// bias. Streaming stores for large, aligned outputs.
template <int kRows>
CONVCORE_NOINLINE void tileToOutput(int64_t kc, const float* a, Halves halves,
                                            const int64_t* offsets, const float* prior, int64_t ldp,
                                            const float* bias, const TileDestination& dst,
                                            int64_t planeStride, int64_t rows, bool stream) {
  gemmTile<kRows>(kc, a, halves, offsets, [&](int i, Vec v0, Vec v1) {
    if (i >= rows) return;
    if (prior) {
      v0 = add(v0, load(prior + i * ldp));
      v1 = add(v1, load(prior + i * ldp + kLanes));
    }
    const Vec b = broadcast(bias + i);
    storeVector(dst.out + i * planeStride, dst.lo, add(v0, b), stream);
    storeVector(dst.out + i * planeStride, dst.hi, add(v1, b), stream);
  });
}

inline void tileToOutput(int64_t kc, const float* a, Halves halves, const int64_t* offsets,
                         const float* prior, int64_t ldp, const float* bias, const TileDestination& dst,
                         int64_t planeStride, int64_t rows, bool stream) {
  withTileRows(rows, [&](auto height) {
    tileToOutput<decltype(height)::value>(kc, a, halves, offsets, prior, ldp, bias, dst, planeStride, rows, stream);
  });
}

// A row vector (see Grid): where its kLanes pixels are read (plane offset) and written
// (output plane offset), and how many of them are real.
struct RowVectorRun {
  int64_t from, to, valid;
};

// Tiles over pairs of runs (runs[2t], runs[2t + 1]), each finished straight into the
// output as tileToOutput does: plus tile t's partial sums of earlier reduction blocks
// (prior + kTileCols·t, rows ldp apart, or none) and the bias. One call for a row of tiles,
// because with a short reduction (VGG's first layer: 27 taps) a call per tile, its
// arguments and its prologue, cost a tenth of the tile.
template <int kRows>
CONVCORE_NOINLINE void runTilesToOutput(int64_t kc, const float* a, const float* input,
                                                const RowVectorRun* runs, int64_t pairs, const int64_t* offsets,
                                                const float* prior, int64_t ldp, const float* bias, float* out,
                                                int64_t planeStride, int64_t rows) {
  for (int64_t t = 0; t < pairs; ++t) {
    const RowVectorRun lo = runs[2 * t], hi = runs[2 * t + 1];
    gemmTile<kRows>(kc, a, Halves{input + lo.from, input + hi.from}, offsets, [&](int i, Vec v0, Vec v1) {
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
