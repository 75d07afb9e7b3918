// Convolutions of small images (a few output positions, many channels: a ResNet's last
// stages on MNIST- or CIFAR-sized inputs; small_image.h has the rule). Each output
// position is its own GEMM over the taps that read the input there, so no product
// meets padding (a 3 × 3 kernel over a 2 × 2 image reads 4 of its 9 taps at each
// position). The batch is the tile's rows and channels its vector columns: activations
// and gradients are laid out position-major first (small: one pass over each), the
// weights once per call (their one pass costs about what the products do here), and
// the micro-kernel reads both operands through offset tables, with no im2col matrix.
// Part of engine_impl.h (ISA namespace).
#pragma once

namespace small_image {

using gemm::roundUp;

// dst[col · dstStride + r] = src[r · rowStride + col] for r < rows and col < cols, for
// the columns col with keep[col % period] (all when keep is null): 8 × 8 blocks by
// shuffles (simd.h), column strip by column strip so that each destination row is
// written in order.
inline void transposeInto(const float* src, int64_t rowStride, int64_t rows, int64_t cols, float* dst,
                          int64_t dstStride, const char* keep = nullptr, int64_t period = 1) {
  const int64_t fullRows = rows / 8 * 8, fullCols = cols / 8 * 8;
  auto kept = [&](int64_t col) { return keep == nullptr || keep[col % period]; };
  auto column = [&](int64_t col, int64_t from) {
    if (kept(col))
      for (int64_t r = from; r < rows; ++r) dst[col * dstStride + r] = src[r * rowStride + col];
  };
  for (int64_t c0 = 0; c0 < fullCols; c0 += 8) {
    unsigned mask = 0;
    for (int i = 0; i < 8; ++i)
      if (kept(c0 + i)) mask |= 1u << i;
    if (mask == 0) continue;
    for (int64_t r0 = 0; r0 < fullRows; r0 += 8)
      transpose8x8(src + r0 * rowStride + c0, rowStride, dst + c0 * dstStride + r0, dstStride, mask);
    for (int64_t col = c0; col < c0 + 8; ++col) column(col, fullRows);
  }
  for (int64_t col = fullCols; col < cols; ++col) column(col, 0);
}

// A table of int64 offsets in a scratch slot.
inline int64_t* offsetTable(ScratchSlot slot, int64_t entries) {
  return reinterpret_cast<int64_t*>(scratch(slot, static_cast<size_t>(2 * std::max<int64_t>(1, entries))));
}

// Threads over the tasks: enough tile work per chunk to pay for waking a thread.
inline int64_t tileGrain(int64_t reduction) { return grainFor(kTileRows * kTileCols * std::max<int64_t>(1, reduction)); }

// Whether none of v[0, n) is ±∞ or NaN (exponent bits all ones). padded_taps.h's
// allFinite answers the same, built for the baseline ISA: here, on the weights this
// build packs, it made the 512-channel 1 × 1 forward 0.48-0.70 -> 0.72-0.78 ms.
inline bool finiteValues(const float* v, int64_t n) {
  uint32_t special = 0;
  for (int64_t i = 0; i < n; ++i) {
    uint32_t bits;
    std::memcpy(&bits, v + i, sizeof bits);
    special |= static_cast<uint32_t>((bits & 0x7f800000u) == 0x7f800000u);
  }
  return special == 0;
}

// The index of tap t among the taps some position reads (s.usedTaps, in order).
inline int64_t usedSlot(const SmallImageTaps& s, int64_t t) {
  int64_t u = 0;
  while (s.usedTaps[u] != t) ++u;
  return u;
}

// The forward's weights for output channels [o0, o0 + 16) of a group, in panels of a
// tile's kTileCols output channels, over the taps some position reads (u indexes
// s.usedTaps): w[((panel · Cg + c) · used + u) · kTileCols + o − panel · kTileCols], zero
// past Og. A tile then reads its weights from one contiguous panel, a channel's taps side
// by side. With every tap read, 8 × 8 blocks transpose them; otherwise they are gathered
// tap by tap (a padded 3 × 3 over a 1 × 1 image reads its centre alone). Returns whether
// every weight of these channels (read or not) is finite.
inline bool packForwardWeights(const SmallImageTaps& s, const float* weight, int64_t Cg, int64_t taps, int64_t o0,
                               int64_t Og, float* w) {
  const int64_t real = std::max<int64_t>(0, std::min<int64_t>(16, Og - o0)), row = Cg * taps;
  const int64_t used = static_cast<int64_t>(s.usedTaps.size());
  const float* src = weight + o0 * row;
  float* panel = w + (o0 / kTileCols) * Cg * used * kTileCols + o0 % kTileCols;
  const bool finite = finiteValues(src, real * row);
  if (used < taps) {
    for (int64_t c = 0; c < Cg; ++c)
      for (int64_t u = 0; u < used; ++u) {
        float* dst = panel + (c * used + u) * kTileCols;
        for (int64_t i = 0; i < real; ++i) dst[i] = src[i * row + c * taps + s.usedTaps[u]];
        fillZero(dst + real, 16 - real);
      }
    return finite;
  }
  transposeInto(src, row, real, row, panel, kTileCols);
  if (real < 16)
    for (int64_t f = 0; f < row; ++f) fillZero(panel + f * kTileCols + real, 16 - real);
  return finite;
}

// output[n][o][q] = bias[o] + Σ over the taps v read at q, channels c of
// input[n][c][offset v] · weight[o][c][tap v]: rows n, columns o, reduction (v, c).
// Returns whether every weight is finite (it reads them all to lay them out), so that
// the caller need not look again for non-finite weights that meet padding.
inline bool forward(ThreadPool& pool, const ConvParams& p, const SmallImageTaps& s, const float* input,
                    const float* weight, const float* bias, float* output) {
  const int64_t N = p.batch, Cg = p.inChannelsPerGroup(), Og = p.outChannelsPerGroup();
  const int64_t P = p.outHeight * p.outWidth, plane = p.inHeight * p.inWidth, taps = p.kernelHeight * p.kernelWidth;
  const int64_t OgPad = roundUp(Og, kTileCols), pairs = static_cast<int64_t>(s.tap.size());
  // x[(c · plane + position) · N + n]: a tile's rows (the batch) side by side; the tail
  // lets a tile's padding rows read in bounds.
  float* x = scratch(ScratchSlot::kSmallImageInput, static_cast<size_t>(plane * Cg * N + kTileRows));
  // Weight panels of kTileCols output channels (packForwardWeights), zero past Og.
  const int64_t used = static_cast<int64_t>(s.usedTaps.size());
  float* w = scratch(ScratchSlot::kSmallImageWeights, static_cast<size_t>(std::max<int64_t>(1, used * Cg * OgPad)));
  // Position q's reduction, entries [Cg · first[q], Cg · first[q + 1]): channel by channel,
  // the taps q reads within each, so that consecutive steps read neighbouring weights.
  int64_t* xAt = offsetTable(ScratchSlot::kSmallImageOffsets, 2 * Cg * pairs + pairs);
  int64_t* wAt = xAt + Cg * pairs;
  int64_t* slotOf = wAt + Cg * pairs;  // pair v's tap among the taps read
  for (int64_t v = 0; v < pairs; ++v) slotOf[v] = usedSlot(s, s.tap[v]);
  auto offsetsOf = [&](int64_t q) {
    int64_t e = Cg * s.first[q];
    for (int64_t c = 0; c < Cg; ++c)
      for (int64_t v = s.first[q]; v < s.first[q + 1]; ++v, ++e) {
        xAt[e] = (c * plane + s.offset[v]) * N;
        wAt[e] = (c * used + slotOf[v]) * kTileCols;
      }
  };
  fillZero(x + plane * Cg * N, kTileRows);
  const int64_t rowPanels = (N + kTileRows - 1) / kTileRows, colPanels = OgPad / kTileCols;
  // Threads split the tiles by images when the input is the larger operand (each then
  // reads only its images), else by output channels (each reads only its weights). The
  // layout tasks go in the same order, so a thread mostly lays out what it reads.
  const bool byImages = plane * Cg >= Og * static_cast<int64_t>(s.usedTaps.size());
  constexpr int64_t kImageBlock = 16;
  const int64_t imageBlocks = (N + kImageBlock - 1) / kImageBlock;
  const int64_t inputTasks = Cg * imageBlocks, weightBlocks = OgPad / 16;
  std::atomic<bool> finite{true};
  for (int64_t g = 0; g < p.groups; ++g) {
    // The layout tasks, and with the first group the offset tables, a task per position
    // (built serially they kept the other threads waiting for a tenth of the call).
    const int64_t layoutTasks = inputTasks + weightBlocks, tableTasks = g == 0 ? P : 0;
    pool.parallelFor(layoutTasks + tableTasks, grainFor(16 * Cg * taps), [&](int64_t first, int64_t last) {
      for (int64_t task = first; task < last; ++task) {
        if (task >= layoutTasks) {
          offsetsOf(task - layoutTasks);
          continue;
        }
        const int64_t k = byImages ? task : (task + weightBlocks) % layoutTasks;
        if (k < inputTasks) {
          const int64_t c = k % Cg, n0 = k / Cg * kImageBlock, images = std::min(kImageBlock, N - n0);
          transposeInto(input + (n0 * p.inChannels + g * Cg + c) * plane, p.inChannels * plane, images, plane,
                        x + c * plane * N + n0, N);
          continue;
        }
        if (!packForwardWeights(s, weight + g * Og * Cg * taps, Cg, taps, (k - inputTasks) * 16, Og, w))
          finite.store(false, std::memory_order_relaxed);
      }
    });
    // A task: a block of images × output channels at every position, in order. An output
    // line (image, channel) takes a value per position: the tiles of 8 positions are kept
    // and written 8 floats a line by 8 × 8 transposes (a value a line per position cost a
    // tenth of the call).
    constexpr int64_t kTileSize = kTileRows * kTileCols, kPositionBlock = 8;
    pool.parallelFor(colPanels * rowPanels, tileGrain(Cg * pairs), [&](int64_t first, int64_t last) {
      alignas(64) float tiles[kPositionBlock * kTileSize];
      for (int64_t task = first; task < last; ++task) {
        const int64_t r = byImages ? task / colPanels : task % rowPanels;
        const int64_t j = byImages ? task % colPanels : task / rowPanels;
        const int64_t n0 = r * kTileRows, rows = std::min(kTileRows, N - n0);
        const int64_t o0 = j * kTileCols, cols = std::min(kTileCols, Og - o0);
        const float* b = bias == nullptr ? nullptr : bias + g * Og + o0;
        for (int64_t q0 = 0; q0 < P; q0 += kPositionBlock) {
          const int64_t positions = std::min(kPositionBlock, P - q0);
          for (int64_t k = 0; k < positions; ++k) {
            const int64_t v0 = s.first[q0 + k], K = (s.first[q0 + k + 1] - v0) * Cg;
            float* tile = tiles + k * kTileSize;
            tileToBuffer(rows, false, K, IndexedRows{x + n0, xAt + v0 * Cg}, contiguousHalves(w + j * Cg * used * kTileCols),
                         wAt + v0 * Cg, tile, kTileCols);
            if (b != nullptr)
              for (int64_t i = 0; i < rows; ++i)
                for (int64_t col = 0; col < cols; ++col) tile[i * kTileCols + col] += b[col];
          }
          for (int64_t i = 0; i < rows; ++i) {
            float* line = output + ((n0 + i) * p.outChannels + g * Og + o0) * P + q0;
            const float* src = tiles + i * kTileCols;
            int64_t col = 0;
            if (positions == kPositionBlock)
              for (; col + 8 <= cols; col += 8) transpose8x8(src + col, kTileSize, line + col * P, P, 0xffu);
            for (int64_t k = 0; k < positions; ++k)
              for (int64_t c = col; c < cols; ++c) line[c * P + k] = src[k * kTileSize + c];
          }
        }
      }
    });
  }
  return finite.load();
}

// gradInput[n][c][offset v] = Σ over the (q, v) that read it, output channels o of
// gradOutput[n][o][q] · weight[o][c][tap v]: rows n, columns c, reduction o. A task owns
// a block of images × channels of gradInput and adds its positions' tiles in order.
inline void backwardData(ThreadPool& pool, const ConvParams& p, const SmallImageTaps& s, const float* gradOutput,
                         const float* weight, float* gradInput) {
  const int64_t N = p.batch, Cg = p.inChannelsPerGroup(), Og = p.outChannelsPerGroup();
  const int64_t P = p.outHeight * p.outWidth, plane = p.inHeight * p.inWidth, taps = p.kernelHeight * p.kernelWidth;
  const int64_t CgPad = roundUp(Cg, kTileCols), pairs = static_cast<int64_t>(s.tap.size());
  // g[(q · Og + o) · N + n] and w[(tap · Og + o) · CgPad + c], zero past Cg.
  float* g = scratch(ScratchSlot::kSmallImageGrad, static_cast<size_t>(P * Og * N + kTileRows));
  float* w = scratch(ScratchSlot::kSmallImageWeights, static_cast<size_t>(taps * Og * CgPad));
  int64_t* gAt = offsetTable(ScratchSlot::kSmallImageOffsets, 2 * Og);
  int64_t* wAt = gAt + Og;
  for (int64_t o = 0; o < Og; ++o) {
    gAt[o] = o * N;
    wAt[o] = o * CgPad;
  }
  fillZero(g + P * Og * N, kTileRows);
  const int64_t rowPanels = (N + kTileRows - 1) / kTileRows, colPanels = CgPad / kTileCols;
  for (int64_t group = 0; group < p.groups; ++group) {
    pool.parallelFor(Og, grainFor(N * P + Cg * taps), [&](int64_t first, int64_t last) {
      for (int64_t o = first; o < last; ++o) {
        transposeInto(gradOutput + (group * Og + o) * P, p.outChannels * P, N, P, g + o * N, Og * N);
        transposeInto(weight + (group * Og + o) * Cg * taps, taps, Cg, taps, w + o * CgPad, Og * CgPad, s.used.data(),
                      taps);
        for (int64_t t = 0; t < taps; ++t)
          if (s.used[t]) fillZero(w + (t * Og + o) * CgPad + Cg, CgPad - Cg);
      }
    });
    pool.parallelFor(colPanels * rowPanels, tileGrain(Og * pairs), [&](int64_t first, int64_t last) {
      alignas(64) float tile[kTileRows * kTileCols];
      for (int64_t task = first; task < last; ++task) {
        const int64_t r = task % rowPanels, j = task / rowPanels;
        const int64_t n0 = r * kTileRows, rows = std::min(kTileRows, N - n0);
        const int64_t c0 = j * kTileCols, cols = std::min(kTileCols, Cg - c0);
        for (int64_t i = 0; i < rows; ++i)
          fillZero(gradInput + ((n0 + i) * p.inChannels + group * Cg + c0) * plane, cols * plane);
        for (int64_t q = 0; q < P; ++q) {
          for (int64_t v = s.first[q]; v < s.first[q + 1]; ++v) {
            tileToBuffer(rows, false, Og, IndexedRows{g + q * Og * N + n0, gAt},
                         contiguousHalves(w + s.tap[v] * Og * CgPad + c0), wAt, tile, kTileCols);
            for (int64_t i = 0; i < rows; ++i) {
              float* dst = gradInput + ((n0 + i) * p.inChannels + group * Cg + c0) * plane + s.offset[v];
              for (int64_t col = 0; col < cols; ++col) dst[col * plane] += tile[i * kTileCols + col];
            }
          }
        }
      }
    });
  }
}

// gradWeight[o][c][t] = Σ over the positions q that read tap t and images n of
// gradOutput[n][o][q] · input[n][c][offset]: rows o, columns c, reduction (q, n); taps
// no position reads get 0. Each task writes its own block of gradWeight, zeros and all
// (one pass over its lines). Returns whether every entry is finite.
inline bool backwardWeight(ThreadPool& pool, const ConvParams& p, const SmallImageTaps& s, const float* input,
                           const float* gradOutput, float* gradWeight) {
  const int64_t N = p.batch, Cg = p.inChannelsPerGroup(), Og = p.outChannelsPerGroup();
  const int64_t P = p.outHeight * p.outWidth, plane = p.inHeight * p.inWidth, taps = p.kernelHeight * p.kernelWidth;
  const int64_t CgPad = roundUp(Cg, kTileCols), pairs = static_cast<int64_t>(s.tap.size());
  // g[(q · N + n) · Og + o] (rows o side by side) and x[(position · N + n) · CgPad + c].
  float* g = scratch(ScratchSlot::kSmallImageGrad, static_cast<size_t>(P * N * Og + kTileRows));
  float* x = scratch(ScratchSlot::kSmallImageInput, static_cast<size_t>(plane * N * CgPad));
  // Tap t's reduction: its (position, image) pairs k in [N · byTapFirst[t], N · byTapFirst[t + 1]).
  int64_t* gAt = offsetTable(ScratchSlot::kSmallImageOffsets, 2 * pairs * N);
  int64_t* xAt = gAt + pairs * N;
  auto offsetsOf = [&](int64_t e) {
    for (int64_t n = 0; n < N; ++n) {
      gAt[e * N + n] = (s.byTapPosition[e] * N + n) * Og;
      xAt[e * N + n] = (s.byTapOffset[e] * N + n) * CgPad;
    }
  };
  fillZero(g + P * N * Og, kTileRows);
  const std::vector<int64_t>& usedTaps = s.usedTaps;
  const int64_t used = static_cast<int64_t>(usedTaps.size());
  const bool someUnread = used < taps;
  const int64_t rowPanels = (Og + kTileRows - 1) / kTileRows, colPanels = CgPad / kTileCols;
  std::atomic<bool> finite{true};
  for (int64_t group = 0; group < p.groups; ++group) {
    // The layout tasks, an image each, and with the first group the offset tables, a
    // (position, tap) pair each.
    const int64_t tableTasks = group == 0 ? pairs : 0;
    pool.parallelFor(N + tableTasks, grainFor(P * Og + plane * CgPad), [&](int64_t first, int64_t last) {
      for (int64_t n = first; n < last; ++n) {
        if (n >= N) {
          offsetsOf(n - N);
          continue;
        }
        transposeInto(gradOutput + (n * p.outChannels + group * Og) * P, P, Og, P, g + n * Og, N * Og);
        transposeInto(input + (n * p.inChannels + group * Cg) * plane, plane, Cg, plane, x + n * CgPad, N * CgPad);
        for (int64_t i = 0; i < plane; ++i) {
          float* dst = x + (i * N + n) * CgPad;
          for (int64_t c = Cg; c < CgPad; ++c) dst[c] = 0.0f;
        }
      }
    });
    float* groupGrad = gradWeight + group * Og * Cg * taps;
    if (used == 0) {
      // No position reads any tap (all padding): the gradient is zero.
      fillZero(groupGrad, Og * Cg * taps);
      continue;
    }
    // Tasks (column panel, row panel), each every tap of its block (consecutive ones share
    // the input columns): with taps that no position reads, the block's rows are zeroed
    // first, each a contiguous run of gradWeight, then the read taps written over.
    pool.parallelFor(colPanels * rowPanels, tileGrain(N * pairs), [&](int64_t first, int64_t last) {
      alignas(64) float tile[kTileRows * kTileCols];
      uint32_t special = 0;
      for (int64_t task = first; task < last; ++task) {
        const int64_t r = task % rowPanels, j = task / rowPanels;
        const int64_t o0 = r * kTileRows, rows = std::min(kTileRows, Og - o0);
        const int64_t c0 = j * kTileCols, cols = std::min(kTileCols, Cg - c0);
        if (someUnread)
          for (int64_t i = 0; i < rows; ++i) fillZero(groupGrad + ((o0 + i) * Cg + c0) * taps, cols * taps);
        for (const int64_t t : usedTaps) {
          const int64_t k0 = N * s.byTapFirst[t], K = N * s.byTapFirst[t + 1] - k0;
          tileToBuffer(rows, false, K, IndexedRows{g + o0, gAt + k0}, contiguousHalves(x + c0), xAt + k0, tile,
                       kTileCols);
          for (int64_t i = 0; i < rows; ++i) {
            float* dst = groupGrad + ((o0 + i) * Cg + c0) * taps + t;
            const float* values = tile + i * kTileCols;
            for (int64_t col = 0; col < cols; ++col) dst[col * taps] = values[col];
            special |= static_cast<uint32_t>(!finiteValues(values, cols));
          }
        }
      }
      if (special) finite.store(false, std::memory_order_relaxed);
    });
  }
  return finite.load();
}

}  // namespace small_image
