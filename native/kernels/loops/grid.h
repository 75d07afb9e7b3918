// The pixel grid of the implicit-GEMM path and the tap offsets into its padded input
// rows (loops/gather_rows.h writes them). Part of engine_impl.h (ISA namespace).
#pragma once

namespace gemm {

inline int64_t roundUp(int64_t v, int64_t m) { return (v + m - 1) / m * m; }
inline int64_t ceilDiv(int64_t v, int64_t m) { return (v + m - 1) / m; }

// Output pixel (oh, ow) is grid index q = oh·gridW + ow; columns ow ≥ outWidth are
// computed and thrown away. Tap (c, kh, kw) reads phase plane (c, kh·dH mod sH,
// kw·dW mod sW) at row oh + kh·dH div sH, column ow + kw·dW div sW.
//
// Where rows are narrow, the grid's thrown-away columns are a large share (LeNet's
// second layer: 4 of every 12). There the passes take each output row as runs of a
// vector of grid pixels instead (row vectors: the last run partly thrown away), which
// computes roundUp(OW, kLanes) pixels a row rather than gridW.
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
// plane a row (gridW floats) further on, across a cache line in most loads (ResNet's
// downsampling 3×3: 28 floats on); the gather writes 9 planes a channel rather than 6.
struct Grid {
  bool columnPlanes;      // a plane per kernel column (see above)
  bool tapPlanes;         // a plane per tap (see above)
  int64_t gridW;          // plane width
  int64_t reachH;         // rows a tap can reach below its output row: (KH−1)·dH div sH
  int64_t reachW;         // likewise columns (none with column planes)
  int64_t vectorsPerRow;  // row vectors: runs of kLanes per output row
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
  // last run's last lane (in the next row, or padding, where thrown away).
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

// Channel o of image n of gradOutput (through its plane table where the caller gives one).
inline const float* gradOutputPlane(const ConvParams& p, const float* gradOutput, int64_t n, int64_t o) {
  return p.gradPlaneTable ? p.gradPlaneTable[n * p.outChannels + o]
                          : gradOutput + (n * p.outChannels + o) * p.outHeight * p.outWidth;
}

}  // namespace gemm
