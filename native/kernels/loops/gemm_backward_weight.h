// The backward-weight of the implicit-GEMM path: dot products of gradient rows with the
// taps' input runs (micro/f32_dot_tile.h) over units of pixels, summed in shape-fixed
// chunks so that the result is the same whatever the thread count.
// Part of engine_impl.h (ISA namespace).
#pragma once

namespace gemm {

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
//
// Tasks run split by split, each split's chunks in turn, and the partials are added up
// split by split too: a thread's share of the sums is then, where the splits divide
// among the threads, the partial columns it wrote, still in its cache. Added up by rows
// instead, half of every partial crossed to the other core and back each call (res1x1's
// 2-thread time: zeroing the partials 0.7% of it at 1 thread, 7% at 2).
template <typename Prepare>
inline void reduceWeightGrad(ThreadPool& pool, const ConvParams& p, int64_t units, int64_t ldg,
                             float* gradWeight, const Prepare& prepare) {
  const int64_t G = p.groups, Og = p.outChannelsPerGroup(), Cg = p.inChannelsPerGroup();
  const int64_t taps = p.kernelHeight * p.kernelWidth, K = Cg * taps;
  const int64_t chunks = std::min<int64_t>(units, 16);
  // At least about kMinTasks tasks, splitting channels where there are few chunks.
  constexpr int64_t kMinTasks = 6;
  const int64_t splits = std::min(Cg, std::max<int64_t>(1, (kMinTasks + G * chunks - 1) / (G * chunks)));
  const int64_t partialSize = Og * K;
  // Split s's columns of a partial: taps of input channels [s·Cg/splits, (s + 1)·Cg/splits).
  const auto splitBegin = [&](int64_t s) { return s * Cg / splits * taps; };
  float* partials = scratch(ScratchSlot::kPartials, static_cast<size_t>(G * chunks * partialSize));

  pool.parallelFor(G * chunks * splits, 1, [&](int64_t first, int64_t last) {
    int64_t* offsets = reinterpret_cast<int64_t*>(scratch(ScratchSlot::kTaskOutput, static_cast<size_t>(2 * K)));
    float* grads = scratch(ScratchSlot::kTaskGrad, static_cast<size_t>(Og * ldg));
    for (int64_t task = first; task < last; ++task) {
      const int64_t chunk = task % chunks, split = (task / chunks) % splits, g = task / chunks / splits;
      const int64_t k0 = splitBegin(split), k1 = splitBegin(split + 1), c0 = k0 / taps, c1 = k1 / taps;
      float* partial = partials + (g * chunks + chunk) * partialSize;
      const int64_t firstUnit = chunk * units / chunks;
      for (int64_t unit = firstUnit; unit < (chunk + 1) * units / chunks; ++unit) {
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
              dotFor(mo, mk, u.positions != nullptr, unit == firstUnit)(
                  u.padded, grads + o0 * ldg, ldg, u.base, offsets + (k - k0), u.positions, partial + o0 * K + k, K);
            }
          }
        }
      }
    }
  });

  // Runs of up to 16 elements summed side by side: one element's chain of dependent
  // float64 adds would leave the adder idle (each element's order is still chunk order).
  // Tasks of about 4096 elements: rows of one split's columns.
  constexpr int64_t kSide = 16, kSumElements = 4096;
  const int64_t rowsPerSum = std::max<int64_t>(1, kSumElements / (ceilDiv(Cg, splits) * taps));
  const int64_t rowBlocks = ceilDiv(Og, rowsPerSum);
  pool.parallelFor(G * splits * rowBlocks, 1, [&](int64_t first, int64_t last) {
    for (int64_t task = first; task < last; ++task) {
      const int64_t block = task % rowBlocks, split = (task / rowBlocks) % splits, g = task / rowBlocks / splits;
      const int64_t k0 = splitBegin(split), k1 = splitBegin(split + 1);
      const int64_t o1 = std::min(Og, (block + 1) * rowsPerSum);
      for (int64_t o = block * rowsPerSum; o < o1; ++o) {
        for (int64_t k = k0; k < k1; k += kSide) {
          const int64_t count = std::min(kSide, k1 - k), j = o * K + k;
          double sums[kSide] = {};
          for (int64_t chunk = 0; chunk < chunks; ++chunk) {
            const float* row = partials + (g * chunks + chunk) * partialSize + j;
            for (int64_t l = 0; l < count; ++l) sums[l] += row[l];
          }
          for (int64_t l = 0; l < count; ++l) gradWeight[g * partialSize + j + l] = static_cast<float>(sums[l]);
        }
      }
    }
  });
}

inline void backwardWeight(ThreadPool& pool, const ConvParams& p, const float* input,
                           const float* gradOutput, float* gradWeight) {
  const Grid grid(p);
  const int64_t Cg = p.inChannelsPerGroup(), Og = p.outChannelsPerGroup();
  const int64_t OH = p.outHeight, OW = p.outWidth, gw = grid.gridW;
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
  // Stacked, the rows are shared evenly between as many units as the largest whole
  // number of images a unit may hold needs (a unit may start mid-image): three units of
  // 42, 42 and 28 rows left two threads with 126 and 98 rows' work on res1x1.
  const int64_t totalRows = stack ? p.batch * rowsPerImage : 0;
  const int64_t stackedUnits = stack ? ceilDiv(totalRows, (kWeightGradPixels / imagePixels) * rowsPerImage) : 0;
  const int64_t unitRows = stack ? ceilDiv(totalRows, stackedUnits) : ceilDiv(OH, evenBlocks);
  const int64_t blocksPerImage = ceilDiv(OH, unitRows);  // every block has rows
  const int64_t units = stack ? ceilDiv(totalRows, unitRows) : p.batch * blocksPerImage;
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
          copyFloats(dst, gradOutputPlane(p, gradOutput, image, g * Og + o) + row * OW, OW);
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
        copyFloats(line, gradOutputPlane(p, gradOutput, image, g * Og + o) + row * OW, run * OW);
        fillZero(line + run * OW, run * (gw - OW));
      }
      fillZero(dst + rows * gw, padded - rows * gw);
    }
    return WeightGradUnit{in.data, padded, nullptr, grid.planesPerChannel(p) * in.planeSize};
  });
}

}  // namespace gemm
