// The gather of the implicit-GEMM path: a block's input rows copied into zero-padded,
// stride-phase-split planes (loops/grid.h), which every tap then reads as one
// contiguous run. Part of engine_impl.h (ISA namespace).
#pragma once

namespace gemm {

// Both column phases of a stride-2 plane row from one pass over the input row `row`:
// even[j] = row[2j − padLeft], odd[j] = row[2j + 1 − padLeft], zero outside the row.
// (A phase at a time, ResNet's 29-wide plane rows cost more in bookkeeping and scalar
// tails than in copying.)
inline void deinterleaveRow(const float* row, int64_t W, int64_t padLeft, int64_t gw, float* even, float* odd) {
  const auto at = [&](int64_t x) { return x >= 0 && x < W ? row[x] : 0.0f; };
  int64_t j = 0;
  for (; j < gw && 2 * j < padLeft; ++j) {
    even[j] = at(2 * j - padLeft);
    odd[j] = at(2 * j + 1 - padLeft);
  }
  for (; j + kLanes <= gw && 2 * (j + kLanes) - padLeft <= W; j += kLanes)
    storeDeinterleaved(row + 2 * j - padLeft, even + j, odd + j);
  // The rest as one vector that ends with the plane row and overlaps the last, where its
  // reads lie in the row: ResNet's 28-wide planes of 56-pixel rows, which otherwise left
  // 11 of every 28 columns to the scalar loop on AVX-512 (a third of the stride-2 3×3's gather).
  const int64_t last = gw - kLanes;
  if (j < gw && last >= 0 && last <= j && 2 * last - padLeft >= 0 && 2 * gw - padLeft <= W) {
    storeDeinterleaved(row + 2 * last - padLeft, even + last, odd + last);
    j = gw;
  }
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

}  // namespace gemm
