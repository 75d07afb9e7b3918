// The implicit-GEMM forward: weights packed into panels of kTileRows output channels,
// the output split into blocks of grid pixels (loops/grid.h) whose input rows are
// gathered once, then tiles of kTileRows channels × kTileCols pixels computed by the
// micro-kernel (micro/f32_gemm_tile.h) over reduction blocks of kBlockK taps.
// Part of engine_impl.h (ISA namespace).
#pragma once

namespace gemm {

// Panels of kTileRows output channels (the last one's spare rows zero) per group.
inline int64_t panelCount(int64_t channels) { return (channels + kTileRows - 1) / kTileRows; }

// Weights of every group as panels: panel[k][kTileRows] for k over the group's taps.
// Packed by the pool: with many channels a serial pack is a visible share of the call.
// With `rotated`, p is backward-data's forward (backwardDataAsForwardParams) and
// `weight` the original convolution's: its channel axes swapped and its kernel rotated
// by 180° as it is read, where a copy so laid out first cost res1x1's backward-data a
// pass over its weights and a wait for every thread (4% of the call at 1 thread).
inline const float* packWeightPanels(ThreadPool& pool, const ConvParams& p, const float* weight, bool rotated) {
  const int64_t G = p.groups, Og = p.outChannelsPerGroup(), Cg = p.inChannelsPerGroup();
  const int64_t taps = p.kernelHeight * p.kernelWidth, K = Cg * taps;
  const int64_t panels = panelCount(Og);
  float* packed = scratch(ScratchSlot::kPackedWeights, static_cast<size_t>(G * panels * K * kTileRows));
  pool.parallelFor(G * panels, grainFor(K * kTileRows), [&](int64_t first, int64_t last) {
    for (int64_t gp = first; gp < last; ++gp) {
      const int64_t g = gp / panels, panel = gp % panels;
      float* dst = packed + gp * K * kTileRows;
      const int64_t o0 = panel * kTileRows, rows = std::min(kTileRows, Og - o0);
      if (rows < kTileRows) fillZero(dst, K * kTileRows);
      if (!rotated) {
        for (int64_t k = 0; k < K; ++k)
          for (int64_t i = 0; i < rows; ++i) dst[k * kTileRows + i] = weight[(g * Og + o0 + i) * K + k];
        continue;
      }
      // This convolution's (o, c, tap) is the original's (c, o, taps − 1 − tap).
      for (int64_t c = 0; c < Cg; ++c) {
        const float* source = weight + ((g * Cg + c) * Og + o0) * taps + taps - 1;
        for (int64_t tap = 0; tap < taps; ++tap)
          for (int64_t i = 0; i < rows; ++i) dst[(c * taps + tap) * kTileRows + i] = source[i * taps - tap];
      }
    }
  });
  return packed;
}

// The bias per panel row (zero without a bias or past the group's channels).
inline const float* panelBiases(const ConvParams& p, const float* bias) {
  const int64_t G = p.groups, Og = p.outChannelsPerGroup(), rows = panelCount(Og) * kTileRows;
  float* biases = scratch(ScratchSlot::kPartials, static_cast<size_t>(G * rows));
  for (int64_t g = 0; g < G; ++g)
    for (int64_t i = 0; i < rows; ++i) biases[g * rows + i] = (bias && i < Og) ? bias[g * Og + i] : 0.0f;
  return biases;
}

// How many blocks each of `units` (images × groups) of `pixels` is split into: blocks of
// about kForwardBlockPixels where the kernel reaches the rows below (kBlockPixels where
// it does not: nothing to save), but at least four tasks a thread, so that none idles
// for long. Blocks do not change any output's sums, so results stay the same whatever
// the thread count.
inline int64_t forwardBlocks(const Grid& grid, int64_t pixels, int64_t units, int64_t threads) {
  const int64_t largest = grid.reachH > 0 ? kForwardBlockPixels : kBlockPixels;
  const int64_t bySize = (pixels + largest - 1) / largest;
  const int64_t byThreads = (4 * threads + units - 1) / units;
  return std::max<int64_t>(1, std::max(bySize, byThreads));
}

// forwardBlocks for a stacked grid (see GridForwardPlan): blocks of about
// kStackedBlockPixels, at least four a thread, their count a multiple of the threads'.
inline int64_t stackedForwardBlocks(int64_t pixels, int64_t threads) {
  const int64_t bySize = (pixels + kStackedBlockPixels - 1) / kStackedBlockPixels;
  return roundUp(std::max(bySize, 4 * threads), threads);
}

// How the forward over the grid splits one call into tasks, fixed by the shape and the
// thread count.
struct GridForwardPlan {
  int64_t Cg, Og, K, panels;
  int64_t OH, OW, plane, gridW;
  int64_t imageStride, channelStride;  // where the output's images and channels lie
  // Where the kernel reaches no rows below (1×1 kernels, 1-D ones), the images' grids
  // are stacked into one and blocks run on across an image's end; otherwise each image
  // would end in a part-empty tile.
  bool stacked;
  // No thrown-away columns: the grid is the output itself.
  bool contiguous;
  int64_t gridRows, gridPixels;
  int64_t units;  // images × groups, or groups where stacked
  // Blocks of whole grid rows (each block writes whole output rows: aligned, full cache
  // lines for streaming stores) where rows are neither narrow nor very wide; otherwise
  // blocks of whole tiles, which waste nothing on tails. Blocks are `pieces` of
  // `pieceSize` pixels, as even as they can be.
  bool wholeRows;
  int64_t pieceSize, pieces, blocks;
  int64_t blockPixels;  // the largest block's
  int64_t ldc;          // row stride of a block's accumulator buffer
  int64_t kBlocks;      // reduction blocks of about kBlockK taps
  bool stream;          // streaming stores for large outputs

  GridForwardPlan(const ConvParams& p, const Grid& grid, int64_t threads)
      : Cg(p.inChannelsPerGroup()),
        Og(p.outChannelsPerGroup()),
        K(Cg * p.kernelHeight * p.kernelWidth),
        panels(panelCount(Og)),
        OH(p.outHeight),
        OW(p.outWidth),
        plane(OH * OW),
        gridW(grid.gridW),
        imageStride(p.outputImageStride()),
        channelStride(p.outputChannelStride()),
        stacked(grid.reachH == 0),
        contiguous(grid.gridW == OW),
        gridRows((stacked ? p.batch : 1) * OH),
        gridPixels(gridRows * gridW),
        units((stacked ? 1 : p.batch) * p.groups),
        wholeRows((contiguous ? !stacked : gridW >= 4 * kTileCols) && gridW <= 3 * kBlockPixels),
        pieceSize(wholeRows ? gridW : kTileCols),
        pieces(wholeRows ? gridRows : (gridPixels + kTileCols - 1) / kTileCols),
        blocks(std::min(pieces, stacked ? stackedForwardBlocks(gridPixels, threads)
                                        : forwardBlocks(grid, gridPixels, units, threads))),
        blockPixels((pieces + blocks - 1) / blocks * pieceSize),
        ldc(roundUp(blockPixels, kTileCols)),
        kBlocks((K + kBlockK - 1) / kBlockK),
        stream((wholeRows || contiguous) && p.outputSize() > kStreamingOutputFloats) {}

  // Where grid row `row` (stacked: of image row / OH) starts in the output's first plane.
  int64_t rowOffset(int64_t row) const { return row / OH * imageStride + row % OH * OW; }
};

// A tile's two vectors and where they go. Stored from registers where each vector's real
// pixels lie in at most two runs (its row's and the next row's, or image's); where a
// vector reaches further (grid rows narrower than a vector), the tile goes through the
// block's buffer and is copied out.
struct StripDestination {
  VectorDestination lo, hi;
  bool direct;
};

// One task of the forward over the grid: grid pixels [q0, q0 + span) of image n (of
// all images where stacked) and group g.
class GridBlockForward {
 public:
  GridBlockForward(const ConvParams& p, const Grid& grid, const GridForwardPlan& plan, int64_t task)
      : p_(p), grid_(grid), plan_(plan) {
    const int64_t block = task % plan.blocks;
    g_ = (task / plan.blocks) % p.groups;
    n_ = task / (plan.blocks * p.groups);
    q0_ = block * plan.pieces / plan.blocks * plan.pieceSize;
    span_ = std::min((block + 1) * plan.pieces / plan.blocks * plan.pieceSize, plan.gridPixels) - q0_;
    padded_ = roundUp(span_, kTileCols);
    firstRow_ = q0_ / plan.gridW;
    origin_ = q0_ - firstRow_ * plan.gridW;
  }

  // Gathers the block's input rows, computes its tiles over every reduction block and
  // writes them (plus bias) into `output`; `offsets` holds 2·K int64s.
  void run(const float* input, const float* packed, const float* biases, float* output, int64_t* offsets) {
    const InputRows rows = gatherInputRows(p_, grid_, input, g_ * plan_.Cg, plan_.Cg, n_, firstRow_,
                                           plan_.OH + grid_.reachH, origin_, padded_, ScratchSlot::kTaskInput);
    tapOffsets(p_, grid_, rows, plan_.Cg, offsets);
    inputRows_ = rows.data + origin_;
    offsets_ = offsets;
    packed_ = packed + g_ * plan_.panels * plan_.K * kTileRows;
    biases_ = biases + g_ * plan_.panels * kTileRows;
    image_ = output + n_ * plan_.imageStride + g_ * plan_.Og * plan_.channelStride;
    acc_ = scratch(ScratchSlot::kTaskOutput, static_cast<size_t>(plan_.panels * kTileRows * plan_.ldc));
    for (int64_t kb = 0; kb < plan_.kBlocks; ++kb) {
      if (plan_.stream) {
        // Panel outer: streaming stores fill one output row after another (a store to
        // each of many planes in turn would thrash the write-combining buffers).
        for (int64_t panel = 0; panel < plan_.panels; ++panel)
          for (int64_t s = 0; s < padded_; s += kTileCols) tile(kb, panel, s, strip(s));
      } else {
        // Strip outer: the strip's input (kc × kTileCols floats) stays in L1 while the
        // weight panels, read in order, stream past it from L2.
        for (int64_t s = 0; s < padded_; s += kTileCols) {
          const StripDestination st = strip(s);
          for (int64_t panel = 0; panel < plan_.panels; ++panel) tile(kb, panel, s, st);
        }
      }
    }
    for (int64_t s = 0; s < padded_; s += kTileCols)  // the strips that went through the buffer
      if (!strip(s).direct) copyOut(q0_ + s, std::min(q0_ + s + kTileCols, q0_ + span_));
  }

 private:
  // Where the vector of pixels from grid index q goes; `fits`: in at most two runs.
  VectorDestination destination(int64_t q, bool& fits) const {
    VectorDestination d;
    const int64_t end = q0_ + span_;
    if (q >= end) return d;  // past the block: nothing to store
    // The vector's first `toNext` lanes lie in the grid row (image) of q; past them, the
    // next one, `runLength` grid pixels of which the first `nextLength` are real, is
    // written from `nextOffset`.
    int64_t toNext, nextOffset, nextLength, runLength;
    if (plan_.contiguous) {
      const int64_t m = q / plan_.plane, at = q % plan_.plane;  // image m
      d.offset = m * plan_.imageStride + at;
      d.valid = std::min<int64_t>({kLanes, plan_.plane - at, end - q});
      toNext = plan_.plane - at;
      nextOffset = (m + 1) * plan_.imageStride;
      nextLength = runLength = plan_.plane;
    } else {
      const int64_t row = q / plan_.gridW, ow = q % plan_.gridW;
      d.offset = plan_.rowOffset(row) + ow;
      d.valid = ow < plan_.OW ? std::min<int64_t>({kLanes, plan_.OW - ow, end - q}) : 0;
      toNext = plan_.gridW - ow;
      nextOffset = plan_.rowOffset(row + 1);
      nextLength = plan_.OW;
      runLength = plan_.gridW;
    }
    if (toNext < kLanes && q + toNext < end) {
      d.nextOffset = nextOffset;
      d.nextFrom = toNext;
      d.nextValid = std::min<int64_t>({kLanes - toNext, nextLength, end - q - toNext});
      fits = fits && kLanes - toNext <= runLength;
    }
    return d;
  }

  // The strip of the tile at block pixel s.
  StripDestination strip(int64_t s) const {
    bool fits = true;
    const VectorDestination lo = destination(q0_ + s, fits), hi = destination(q0_ + s + kLanes, fits);
    return {lo, hi, fits};
  }

  // Reduction block kb of the tile of `panel` at block pixel s: into the buffer, or, the
  // last block of a direct strip, straight into the output.
  void tile(int64_t kb, int64_t panel, int64_t s, const StripDestination& st) const {
    const int64_t k0 = kb * plan_.K / plan_.kBlocks, kc = (kb + 1) * plan_.K / plan_.kBlocks - k0;
    const float* a = packed_ + (panel * plan_.K + k0) * kTileRows;
    const Halves halves = contiguousHalves(inputRows_ + s);
    float* c = acc_ + panel * kTileRows * plan_.ldc + s;
    const int64_t rows = plan_.Og - panel * kTileRows;
    if (kb == plan_.kBlocks - 1 && st.direct) {
      const TileDestination dst{image_ + panel * kTileRows * plan_.channelStride, st.lo, st.hi};
      tileToOutput(kc, a, halves, offsets_ + k0, kb > 0 ? c : nullptr, plan_.ldc, biases_ + panel * kTileRows, dst,
                   plan_.channelStride, std::min<int64_t>(kTileRows, rows), plan_.stream);
    } else {
      tileToBuffer(rows, kb > 0, kc, a, halves, offsets_ + k0, c, plan_.ldc);
    }
  }

  // From the buffer: the real columns of each grid row in pixels [from, to), plus bias.
  void copyOut(int64_t from, int64_t to) const {
    const int64_t gw = plan_.gridW;
    for (int64_t o = 0; o < plan_.Og; ++o) {
      const float* src = acc_ + o * plan_.ldc - q0_;
      for (int64_t r = from / gw; r * gw < to; ++r) {
        const int64_t rowStart = r * gw;
        const int64_t begin = std::max(from, rowStart), end = std::min(to, rowStart + plan_.OW);
        if (begin < end)
          storeRow(image_ + o * plan_.channelStride + plan_.rowOffset(r) + (begin - rowStart), src + begin, end - begin,
                   biases_[o], plan_.stream);
      }
    }
  }

  const ConvParams& p_;
  const Grid& grid_;
  const GridForwardPlan& plan_;
  int64_t n_, g_, q0_, span_, padded_, firstRow_, origin_;
  // Set by run(): the block's gathered input (at its first pixel), tap offsets, the
  // group's panels and biases, its first output plane and the accumulator buffer.
  const float* inputRows_ = nullptr;
  const int64_t* offsets_ = nullptr;
  const float* packed_ = nullptr;
  const float* biases_ = nullptr;
  float* image_ = nullptr;
  float* acc_ = nullptr;
};

// Forward over the grid: tiles of kTileCols consecutive grid pixels, thrown-away
// columns included.
inline void forwardOnGrid(ThreadPool& pool, const ConvParams& p, const Grid& grid, const float* input,
                          const float* packed, const float* biases, float* output) {
  const GridForwardPlan plan(p, grid, pool.size());
  pool.parallelFor(plan.units * plan.blocks, grainFor(plan.blockPixels * plan.Og * plan.K),
                   [&](int64_t first, int64_t last) {
                     int64_t* offsets = reinterpret_cast<int64_t*>(
                         scratch(ScratchSlot::kTaskGrad, static_cast<size_t>(2 * plan.K)));
                     for (int64_t task = first; task < last; ++task)
                       GridBlockForward(p, grid, plan, task).run(input, packed, biases, output, offsets);
                     streamFence();
                   });
}

// Forward over row vectors (see Grid): a tile takes two runs from anywhere.
inline void forwardByRowVectors(ThreadPool& pool, const ConvParams& p, const float* input,
                                const float* packed, const float* biases, float* output) {
  const Grid grid(p);
  const int64_t G = p.groups, Cg = p.inChannelsPerGroup(), Og = p.outChannelsPerGroup();
  const int64_t K = Cg * p.kernelHeight * p.kernelWidth, panels = panelCount(Og);
  const int64_t OH = p.outHeight, OW = p.outWidth, gw = grid.gridW;
  const int64_t imageStride = p.outputImageStride(), channelStride = p.outputChannelStride();
  const int64_t perRow = grid.vectorsPerRow;
  const int64_t split = forwardBlocks(grid, OH * perRow * kLanes, p.batch * G, pool.size());
  const int64_t rowsPerBlock = (OH + split - 1) / split;
  const int64_t blocks = (OH + rowsPerBlock - 1) / rowsPerBlock;
  const int64_t ldc = (rowsPerBlock * perRow + 1) / 2 * kTileCols;
  const int64_t kBlocks = (K + kBlockK - 1) / kBlockK;
  // No streaming stores here: each tile writes a line to each of kTileRows planes, and
  // they measured slower.

  pool.parallelFor(p.batch * G * blocks, grainFor(ldc * Og * K), [&](int64_t first, int64_t last) {
    int64_t* offsets = reinterpret_cast<int64_t*>(scratch(ScratchSlot::kTaskGrad, static_cast<size_t>(2 * K)));
    for (int64_t task = first; task < last; ++task) {
      const int64_t block = task % blocks, g = (task / blocks) % G, n = task / (blocks * G);
      const int64_t oh0 = block * rowsPerBlock, rows = std::min(rowsPerBlock, OH - oh0);
      const int64_t vectors = rows * perRow;
      const InputRows in = gatherInputRows(p, grid, input, g * Cg, Cg, n, oh0, OH + grid.reachH, 0,
                                           grid.rowVectorSpan(rows), ScratchSlot::kTaskInput);
      tapOffsets(p, grid, in, Cg, offsets);
      float* acc = kBlocks > 1 ? scratch(ScratchSlot::kTaskOutput, static_cast<size_t>(panels * kTileRows * ldc)) : nullptr;
      float* image = output + n * imageStride + g * Og * channelStride;
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
          const float* a = packed + ((g * panels + panel) * K + k0) * kTileRows;
          const int64_t panelRows = std::min<int64_t>(kTileRows, Og - panel * kTileRows);
          float* panelOut = image + panel * kTileRows * channelStride;
          float* panelAcc = acc ? acc + panel * kTileRows * ldc : nullptr;
          if (final) {
            withTileRows(panelRows, [&](auto height) {
              runTilesToOutput<decltype(height)::value>(kc, a, in.data, runs, (vectors + 1) / 2, offsets + k0,
                                                        kb > 0 ? panelAcc : nullptr, ldc,
                                                        biases + (g * panels + panel) * kTileRows, panelOut, channelStride,
                                                        panelRows);
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
// and half its tiles across a row end). At stride 1 the gather of KW shifted copies
// measured costlier than what it saves.
inline bool forwardTakesColumnPlanes(const ConvParams& p) {
  return p.strideW == 2 && p.dilationW == 1 && p.kernelWidth == 3;
}

// With rotatedWeights, see packWeightPanels.
inline void forward(ThreadPool& pool, const ConvParams& p, const float* input,
                    const float* weight, const float* bias, float* output, bool rotatedWeights) {
  const Grid grid(p, forwardTakesColumnPlanes(p));
  const float* packed = packWeightPanels(pool, p, weight, rotatedWeights);
  const float* biases = panelBiases(p, bias);
  if (grid.byRowVectors)
    forwardByRowVectors(pool, p, input, packed, biases, output);
  else
    forwardOnGrid(pool, p, grid, input, packed, biases, output);
}

inline void forward(ThreadPool& pool, const ConvParams& p, const float* input,
                    const float* weight, const float* bias, float* output) {
  forward(pool, p, input, weight, bias, output, false);
}

}  // namespace gemm
