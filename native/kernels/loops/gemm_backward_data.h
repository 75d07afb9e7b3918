// The implicit-GEMM backward-data: the column gradient (transposed weights × gradOutput)
// computed by the GEMM micro-kernel in blocks of pixels and taps, then scattered into
// gradInput (col2im). Part of engine_impl.h (ISA namespace).
#pragma once

namespace gemm {

// Transposed weights as panels of kTileRows taps: panel[o][kTileRows] for the group's
// outputs.
inline const float* packTransposedPanels(const ConvParams& p, const float* weight) {
  const int64_t G = p.groups, Og = p.outChannelsPerGroup();
  const int64_t K = p.inChannelsPerGroup() * p.kernelHeight * p.kernelWidth;
  const int64_t panels = panelCount(K);
  float* packed = scratch(ScratchSlot::kPackedWeights, static_cast<size_t>(G * panels * Og * kTileRows));
  for (int64_t g = 0; g < G; ++g)
    for (int64_t panel = 0; panel < panels; ++panel) {
      float* dst = packed + (g * panels + panel) * Og * kTileRows;
      for (int64_t o = 0; o < Og; ++o)
        for (int64_t i = 0; i < kTileRows; ++i) {
          const int64_t k = panel * kTileRows + i;
          dst[o * kTileRows + i] = k < K ? weight[(g * Og + o) * K + k] : 0.0f;
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

// dst[x·sW] += src[x] for x in [begin, end): one row of col2im.
inline void addRow(int64_t sW, float* dst, const float* src, int64_t begin, int64_t end) {
  if (sW == 1) {
    addInto(dst + begin, src + begin, end - begin);
  } else if (sW == 2) {
    addIntoEvens(dst + 2 * begin, src + begin, end - begin);  // downsampling layers
  } else {
    for (int64_t x = begin; x < end; ++x) dst[x * sW] += src[x];
  }
}

// gradInput += the column gradient of pixels [p0, p0 + span) (`cols`, a row of
// kBlockPixels per tap) for the `count` taps of `plan`: col2im, rows outer.
inline void scatterByRow(const ConvParams& p, const ScatterTap* plan, int64_t count, const float* cols,
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
      const float* src = cols + tap.row * kBlockPixels + (q - p0) - ow;  // indexed by output column
      addRow(sW, gin + tap.origin + ih * W, src, begin, end);
    }
    q += length;
  }
}

// The same, tap by tap, the block's whole output rows in a loop of their own: for rows of
// a vector or less, where row by row the bookkeeping of each (row, tap) cost more than
// its add (LeNet's second layer, 8 wide: 52% of its backward-data in the scatter; 0.45
// -> 0.42 ms on one core). On LeNet's first layer (24 wide) it was 5% slower.
inline void scatterByTap(const ConvParams& p, const ScatterTap* plan, int64_t count, const float* cols,
                         int64_t p0, int64_t span, float* gin) {
  const int64_t H = p.inHeight, W = p.inWidth, OW = p.outWidth, sH = p.strideH, sW = p.strideW;
  // The block: a part of output row oh0 from column ow0, whole rows [firstWhole,
  // lastWhole), and a part of row lastWhole up to column tail.
  const int64_t end = p0 + span, oh0 = p0 / OW, ow0 = p0 % OW;
  const int64_t firstWhole = ow0 == 0 ? oh0 : oh0 + 1, lastWhole = std::max(firstWhole, end / OW), tail = end % OW;
  for (int64_t i = 0; i < count; ++i) {
    const ScatterTap& tap = plan[i];
    float* image = gin + tap.origin;
    const float* src = cols + tap.row * kBlockPixels - p0;  // indexed by pixel
    // A part of output row oh, columns [from, to).
    const auto part = [&](int64_t oh, int64_t from, int64_t to) {
      const int64_t ih = oh * sH + tap.rowShift;
      const int64_t begin = std::max(from, tap.valid.begin), stop = std::min(to, tap.valid.end);
      if (ih >= 0 && ih < H && begin < stop) addRow(sW, image + ih * W, src + oh * OW, begin, stop);
    };
    if (ow0 != 0) part(oh0, ow0, std::min(OW, ow0 + span));
    // Whole rows whose input row is inside the image: ih = oh·sH + rowShift in [0, H).
    const int64_t lo = std::max(firstWhole, (-tap.rowShift + sH - 1) / sH);
    const int64_t hi = std::min(lastWhole, tap.rowShift < H ? (H - 1 - tap.rowShift) / sH + 1 : 0);
    if (tap.valid.begin < tap.valid.end)
      for (int64_t oh = lo; oh < hi; ++oh)
        addRow(sW, image + (oh * sH + tap.rowShift) * W, src + oh * OW, tap.valid.begin, tap.valid.end);
    if (tail != 0 && end / OW >= firstWhole) part(end / OW, 0, tail);
  }
}

// col2im by whichever order is faster for the output's row length (a deterministic
// choice: a pixel's sum is in the same order whatever the thread count).
inline void scatterColumns(const ConvParams& p, const ScatterTap* plan, int64_t count, const float* cols,
                           int64_t p0, int64_t span, float* gin) {
  if (p.outWidth <= kLanes) scatterByTap(p, plan, count, cols, p0, span, gin);
  else scatterByRow(p, plan, count, cols, p0, span, gin);
}

inline void backwardData(ThreadPool& pool, const ConvParams& p, const float* gradOutput,
                         const float* weight, float* gradInput) {
  const int64_t G = p.groups, Cg = p.inChannelsPerGroup(), Og = p.outChannelsPerGroup();
  const int64_t KH = p.kernelHeight, KW = p.kernelWidth, K = Cg * KH * KW;
  const int64_t H = p.inHeight, W = p.inWidth, OH = p.outHeight, OW = p.outWidth;
  const int64_t P = OH * OW, panels = panelCount(K);
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
          for (int64_t panel = t0 / kTileRows; panel * kTileRows < t1; ++panel) {
            float* c = cols + (panel * kTileRows - t0) * kBlockPixels;
            for (int64_t ob = 0; ob < oBlocks; ++ob) {
              const int64_t o0 = ob * Og / oBlocks, oc = (ob + 1) * Og / oBlocks - o0;
              const float* a = packed + ((g * panels + panel) * Og + o0) * kTileRows;
              for (int64_t s = 0; s < padded; s += kTileCols) {
                tileToBuffer(t1 - panel * kTileRows, ob > 0, oc, a, contiguousHalves(rows + s), offsets + o0, c + s,
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

}  // namespace gemm
