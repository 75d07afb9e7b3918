// The direct path: for few channels (image filters, depthwise convolutions) a GEMM
// would waste its register tile, so each output row is computed in registers straight
// from the input rows. Part of engine_impl.h (ISA namespace).
#pragma once

namespace direct {

// The output columns whose every tap reads inside the row (stride 1): [begin, end).
inline ColumnRange interiorColumns(const ConvParams& p) {
  const int64_t begin = std::min(std::max<int64_t>(p.padLeft, 0), p.outWidth);
  const int64_t end =
      std::min(p.outWidth, p.inWidth - (p.kernelWidth - 1) * p.dilationW + p.padLeft);
  return {begin, std::max(begin, end)};
}

// One output column the slow way (borders, strided convolutions): the taps inside the
// image, their ranges clipped once rather than each tap checked.
inline float column(const ConvParams& p, const float* image, const float* taps, float bias,
                    int64_t oh, int64_t ow) {
  const int64_t Cg = p.inChannelsPerGroup(), KH = p.kernelHeight, KW = p.kernelWidth;
  const int64_t H = p.inHeight, W = p.inWidth, dW = p.dilationW;
  const int64_t iw0 = ow * p.strideW - p.padLeft;
  const ColumnRange kws = validColumns(iw0, dW, W, KW);  // the kw with 0 <= iw0 + kw·dW < W
  float acc = bias;
  for (int64_t c = 0; c < Cg; ++c) {
    for (int64_t kh = 0; kh < KH; ++kh) {
      const int64_t ih = oh * p.strideH - p.padTop + kh * p.dilationH;
      if (ih < 0 || ih >= H) continue;
      const float* row = image + (c * H + ih) * W;
      const float* w = taps + (c * KH + kh) * KW;
      for (int64_t kw = kws.begin; kw < kws.end; ++kw) acc += row[iw0 + kw * dW] * w[kw];
    }
  }
  return acc;
}

// column() for kRows output rows from oh at once, at each column in [x0, x1), where every
// tap row of those rows is inside the image (the row tiles' rows): the rows' sums are
// independent, so they overlap instead of waiting on one another's adds (the border of a
// full-HD 5×5 filter, one column's 25 dependent adds at a time, was a twentieth of its
// time). Each output sums as column() does, so with its bits. `out` is row oh's output,
// rows ldo apart.
template <int kRows>
inline void columnsOfRows(const ConvParams& p, const float* image, const float* taps, float bias,
                          int64_t oh, int64_t x0, int64_t x1, float* out, int64_t ldo) {
  const int64_t Cg = p.inChannelsPerGroup(), KH = p.kernelHeight, KW = p.kernelWidth;
  const int64_t H = p.inHeight, W = p.inWidth, dW = p.dilationW, rowStep = p.strideH * W;
  for (int64_t x = x0; x < x1; ++x) {
    const int64_t iw0 = x * p.strideW - p.padLeft;
    const ColumnRange kws = validColumns(iw0, dW, W, KW);
    float acc[kRows];
CONVCORE_UNROLL(8)
    for (int r = 0; r < kRows; ++r) acc[r] = bias;
    for (int64_t c = 0; c < Cg; ++c) {
      for (int64_t kh = 0; kh < KH; ++kh) {
        const float* row = image + (c * H + oh * p.strideH - p.padTop + kh * p.dilationH) * W + iw0;
        const float* w = taps + (c * KH + kh) * KW;
        for (int64_t kw = kws.begin; kw < kws.end; ++kw) {
          const float wk = w[kw];
CONVCORE_UNROLL(8)
          for (int r = 0; r < kRows; ++r) acc[r] += row[r * rowStep + kw * dW] * wk;
        }
      }
    }
CONVCORE_UNROLL(8)
    for (int r = 0; r < kRows; ++r) out[r * ldo + x] = acc[r];
  }
}

// visit(src, weight) for each tap (c, kh, kw) of output row oh whose input row is inside
// the image, in column()'s order: src is what the tap reads for output column ow, and
// `weight` points at the tap's weight (stride 1).
template <typename Visit>
inline void forEachTap(const ConvParams& p, const float* image, const float* taps, int64_t oh, int64_t ow,
                       const Visit& visit) {
  const int64_t Cg = p.inChannelsPerGroup(), KH = p.kernelHeight, KW = p.kernelWidth;
  const int64_t H = p.inHeight, W = p.inWidth;
  for (int64_t c = 0; c < Cg; ++c) {
    for (int64_t kh = 0; kh < KH; ++kh) {
      const int64_t ih = oh - p.padTop + kh * p.dilationH;
      if (ih < 0 || ih >= H) continue;
      const float* row = image + (c * H + ih) * W + ow - p.padLeft;
      const float* w = taps + (c * KH + kh) * KW;
      for (int64_t kw = 0; kw < KW; ++kw) visit(row + kw * p.dilationW, w + kw);
    }
  }
}

// Interior columns [ow, ow + count) with count < 8 (stride 1, every tap inside the
// row: rows narrower than a vector, like the book's 6×8 example), summed side by side
// in column()'s order (so with its bits), without its bounds checks along the row.
inline void narrowInterior(const ConvParams& p, const float* image, const float* taps, float bias,
                           int64_t oh, int64_t ow, int64_t count, float* out) {
  float acc[kLanes];
  for (int64_t x = 0; x < count; ++x) acc[x] = bias;
  forEachTap(p, image, taps, oh, ow, [&](const float* src, const float* w) {
    for (int64_t x = 0; x < count; ++x) acc[x] += src[x] * *w;
  });
  for (int64_t x = 0; x < count; ++x) out[x] = acc[x];
}

// `count` vectors of outputs starting at column ow (stride 1, all taps in bounds),
// accumulated over channels and taps in the same order as column().
template <int kCount>
inline void vectors(const ConvParams& p, const float* image, const float* taps, float bias,
                    int64_t oh, int64_t ow, float* out) {
  Vec acc[kCount];  // compile-time indices only: kept in registers
  unrolled<kCount>([&](auto i) { acc[i] = broadcast(bias); });
  forEachTap(p, image, taps, oh, ow, [&](const float* src, const float* w) {
    const Vec wv = broadcast(w);
    unrolled<kCount>([&](auto i) { acc[i] = fmadd(wv, load(src + i * kLanes), acc[i]); });
  });
  unrolled<kCount>([&](auto i) { store(out + i * kLanes, acc[i]); });
}

// The interior columns [inner.begin, inner.end) of RowTile's rows from oh, tile by tile
// along the row. Where the image is far larger than the caches (`prefetch`), it asks
// for the rows the next tile down reads while this one computes: the hardware
// prefetchers, which follow a stream within a page, miss the kernel's several rows.
template <int kSize, bool kOneChannel>
CONVCORE_NOINLINE void interiorRowTiles(const ConvParams& p, const float* image, const float* taps, float bias,
                                                int64_t oh, ColumnRange inner, float* out, bool prefetch) {
  constexpr int kRows = RowTile<kSize>::kRows, kCount = RowTile<kSize>::kVectors;
  const int64_t W = p.inWidth, plane = p.inHeight * W, Cg = p.inChannelsPerGroup(), ldo = p.outWidth;
  const float* rows = image + (oh - p.padTop) * W - p.padLeft;
  const int64_t nextRow = oh - p.padTop + kRows + kSize - 1;
  const int64_t ahead = prefetch ? std::max<int64_t>(0, std::min<int64_t>(kRows, p.inHeight - nextRow)) : 0;
  const float* next = image + nextRow * W;
  alignas(kVectorBytes) float broadcastTaps[kOneChannel ? kSize * kSize * kLanes : 1];
  if constexpr (kOneChannel) {
    for (int t = 0; t < kSize * kSize; ++t) store(broadcastTaps + t * kLanes, broadcast(taps + t));
    taps = broadcastTaps;
  }
  int64_t ow = inner.begin;
  for (; ow + kCount * kLanes <= inner.end; ow += kCount * kLanes) {
    for (int64_t q = 0; q < ahead; ++q)
      for (int64_t b = 0; b < kCount * kLanes; b += 16) CONVCORE_PREFETCH(next + q * W + ow + b);
    rowTile<kRows, kCount, kSize, kOneChannel>(rows + ow, W, plane, Cg, taps, bias, out + ow, ldo);
  }
  for (; ow + kLanes <= inner.end; ow += kLanes)
    rowTile<kRows, 1, kSize, kOneChannel>(rows + ow, W, plane, Cg, taps, bias, out + ow, ldo);
  // The last few columns: one more vector, overlapping columns already done
  // (recomputed in the same order, so with the same bits).
  if (ow < inner.end)
    rowTile<kRows, 1, kSize, kOneChannel>(rows + inner.end - kLanes, W, plane, Cg, taps, bias, out + inner.end - kLanes, ldo);
}

// Output rows per task of the direct forward: one row tile's height, so that every task
// but an image's first and last is tiled whole (and streamed out as soon as it is done).
inline int64_t directTaskRows(const ConvParams& p) {
  return p.kernelHeight == 7 && p.kernelWidth == 7 ? RowTile<7>::kRows : RowTile<3>::kRows;
}

// Output rows [begin, end).
struct RowSpan {
  int64_t begin;
  int64_t end;
};

template <int kSize>
inline RowSpan interiorByRowTilesOf(const ConvParams& p, const float* image, const float* taps, float bias,
                                    int64_t oh0, int64_t count, ColumnRange inner, float* out, bool prefetch) {
  constexpr int kRows = RowTile<kSize>::kRows;
  const int64_t begin = std::max(oh0, p.padTop);
  const int64_t end = std::min(oh0 + count, p.inHeight + p.padTop - (kSize - 1));
  const int64_t tiles = std::max<int64_t>(0, (end - begin) / kRows);
  for (int64_t t = 0; t < tiles; ++t) {
    const int64_t oh = begin + t * kRows;
    float* at = out + (oh - oh0) * p.outWidth;
    if (p.inChannelsPerGroup() == 1) {
      interiorRowTiles<kSize, true>(p, image, taps, bias, oh, inner, at, prefetch);
    } else {
      interiorRowTiles<kSize, false>(p, image, taps, bias, oh, inner, at, prefetch);
    }
  }
  return {begin, begin + tiles * kRows};
}

// Of the output rows [oh0, oh0 + count), those whose interiors row tiles compute (a
// 3×3, 5×5 or 7×7 kernel, dilation 1, every tap row inside the image), done; returns
// them (empty where no tile applies).
inline RowSpan interiorByRowTiles(const ConvParams& p, const float* image, const float* taps, float bias,
                                  int64_t oh0, int64_t count, ColumnRange inner, float* out, bool prefetch) {
  const bool square = p.kernelHeight == p.kernelWidth && p.dilationH == 1 && p.dilationW == 1;
  if (!square || inner.end - inner.begin < kLanes) return {oh0, oh0};
  switch (p.kernelHeight) {
    case 3: return interiorByRowTilesOf<3>(p, image, taps, bias, oh0, count, inner, out, prefetch);
    case 5: return interiorByRowTilesOf<5>(p, image, taps, bias, oh0, count, inner, out, prefetch);
    case 7: return interiorByRowTilesOf<7>(p, image, taps, bias, oh0, count, inner, out, prefetch);
    default: return {oh0, oh0};
  }
}

// One output row's interior columns, a vector (or several) at a time; returns the
// first column it left.
inline int64_t interiorOfRow(const ConvParams& p, const float* image, const float* taps, float bias,
                             int64_t oh, ColumnRange inner, float* out) {
  int64_t ow = inner.begin;
  // Eight accumulators hide the FMA latency (4 cycles, 2 per cycle).
  for (; ow + 8 * kLanes <= inner.end; ow += 8 * kLanes) vectors<8>(p, image, taps, bias, oh, ow, out + ow);
  for (; ow + 4 * kLanes <= inner.end; ow += 4 * kLanes) vectors<4>(p, image, taps, bias, oh, ow, out + ow);
  for (; ow + kLanes <= inner.end; ow += kLanes) vectors<1>(p, image, taps, bias, oh, ow, out + ow);
  if (ow < inner.end && inner.end - inner.begin >= kLanes) {
    vectors<1>(p, image, taps, bias, oh, inner.end - kLanes, out + inner.end - kLanes);
    ow = inner.end;
  }
  if (ow < inner.end) {
    narrowInterior(p, image, taps, bias, oh, ow, inner.end - ow, out + ow);
    ow = inner.end;
  }
  return ow;
}

// The columns left and right of the interior of the row tiles' rows (`rows`), several
// rows at a time (columnsOfRows); `out` is their first row's output.
inline void bordersOfRows(const ConvParams& p, const float* image, const float* taps, float bias,
                          RowSpan rows, ColumnRange inner, float* out) {
  const int64_t OW = p.outWidth;
  const auto leftAndRight = [&](auto group, int64_t oh) {
    constexpr int kRows = decltype(group)::value;
    float* line = out + (oh - rows.begin) * OW;
    columnsOfRows<kRows>(p, image, taps, bias, oh, 0, inner.begin, line, OW);
    columnsOfRows<kRows>(p, image, taps, bias, oh, inner.end, OW, line, OW);
  };
  int64_t oh = rows.begin;
  for (; oh + 6 <= rows.end; oh += 6) leftAndRight(std::integral_constant<int, 6>{}, oh);
  for (; oh + 4 <= rows.end; oh += 4) leftAndRight(std::integral_constant<int, 4>{}, oh);
  for (; oh < rows.end; ++oh) leftAndRight(std::integral_constant<int, 1>{}, oh);
}

inline void forward(ThreadPool& pool, const ConvParams& p, const float* input,
                    const float* weight, const float* bias, float* output) {
  const int64_t C = p.inChannels, H = p.inHeight, W = p.inWidth, O = p.outChannels;
  const int64_t OH = p.outHeight, OW = p.outWidth, Cg = p.inChannelsPerGroup();
  const int64_t Og = p.outChannelsPerGroup(), taps = Cg * p.kernelHeight * p.kernelWidth;
  const ColumnRange inner = p.strideW == 1 && p.strideH == 1 ? interiorColumns(p)
                                                             : ColumnRange{0, 0};
  const bool stream = p.outputSize() > kStreamingOutputFloats;
  const int64_t taskRows = directTaskRows(p), blocks = (OH + taskRows - 1) / taskRows;
  const int64_t tasks = p.batch * O * blocks;
  // A streamed image's tasks go to the threads in runs (an eighth of a thread's share),
  // so that the rows a tile prefetches for the tile below are for the same thread: with
  // one task at a time, the next task down was usually the other thread's, and its rows
  // landed in the wrong core's L2 (rgbbatch at 2 threads: 5.1 -> 3.4 ms).
  const int64_t grain = std::max(grainFor(taskRows * OW * taps), stream ? tasks / (8 * pool.size()) : 1);
  pool.parallelFor(tasks, grain, [&](int64_t first, int64_t last) {
    // Large outputs are computed into L1-resident rows, then streamed out (and their
    // inputs, as large, prefetched by the row tiles).
    float* lines = stream ? scratch(ScratchSlot::kTaskOutput, static_cast<size_t>(taskRows * OW)) : nullptr;
    for (int64_t task = first; task < last; ++task) {
      const int64_t block = task % blocks, o = (task / blocks) % O, n = task / (blocks * O);
      const int64_t oh0 = block * taskRows, rows = std::min(taskRows, OH - oh0);
      const float* image = input + (n * C + (o / Og) * Cg) * H * W;
      const float* w = weight + o * taps;
      const float b = bias ? bias[o] : 0.0f;
      float* dst = output + ((n * O + o) * OH + oh0) * OW;
      float* out = stream ? lines : dst;
      // Rows whose every tap row is inside the image go by row tiles.
      const RowSpan tiled = interiorByRowTiles(p, image, w, b, oh0, rows, inner, out, stream);
      bordersOfRows(p, image, w, b, tiled, inner, out + (tiled.begin - oh0) * OW);
      for (int64_t r = 0; r < rows; ++r) {
        float* line = out + r * OW;
        const bool done = oh0 + r >= tiled.begin && oh0 + r < tiled.end;
        if (!done) {
          const int64_t ow = interiorOfRow(p, image, w, b, oh0 + r, inner, line);
          for (int64_t x = 0; x < inner.begin; ++x) line[x] = column(p, image, w, b, oh0 + r, x);
          for (int64_t x = ow; x < OW; ++x) line[x] = column(p, image, w, b, oh0 + r, x);
        }
        if (stream) storeRow(dst + r * OW, line, OW, 0.0f, true);
      }
    }
    streamFence();
  });
}

// Backward-data for any stride: one task per gradInput row gathers every (output
// channel, tap, output row) that read it.
inline void backwardDataGather(ThreadPool& pool, const ConvParams& p, const float* gradOutput,
                               const float* weight, float* gradInput) {
  const int64_t C = p.inChannels, H = p.inHeight, W = p.inWidth;
  const int64_t O = p.outChannels, OH = p.outHeight, OW = p.outWidth;
  const int64_t KH = p.kernelHeight, KW = p.kernelWidth;
  const int64_t Cg = p.inChannelsPerGroup(), Og = p.outChannelsPerGroup();
  const int64_t macsPerRow = Og * KH * KW * OW / p.strideH + 1;
  pool.parallelFor(p.batch * C * H, grainFor(macsPerRow), [&](int64_t first, int64_t last) {
    for (int64_t r = first; r < last; ++r) {
      const int64_t ih = r % H, channel = (r / H) % C, n = r / (H * C);
      const int64_t g = channel / Cg, c = channel % Cg;
      float* gin = gradInput + r * W;
      for (int64_t iw = 0; iw < W; ++iw) gin[iw] = 0.0f;
      for (int64_t o = g * Og; o < (g + 1) * Og; ++o) {
        const float* taps = weight + (o * Cg + c) * KH * KW;
        for (int64_t kh = 0; kh < KH; ++kh) {
          const int64_t t = ih + p.padTop - kh * p.dilationH;
          if (t < 0 || t % p.strideH != 0 || t / p.strideH >= OH) continue;
          const float* gout = gradOutput + ((n * O + o) * OH + t / p.strideH) * OW;
          for (int64_t kw = 0; kw < KW; ++kw) {
            const int64_t offset = kw * p.dilationW - p.padLeft;
            const ColumnRange cols = validColumns(offset, p.strideW, W, OW);
            const float w = taps[kh * KW + kw];
            if (p.strideW == 1) {
              float* dst = gin + offset;
              for (int64_t ow = cols.begin; ow < cols.end; ++ow) dst[ow] += w * gout[ow];
            } else {
              for (int64_t ow = cols.begin; ow < cols.end; ++ow)
                gin[ow * p.strideW + offset] += w * gout[ow];
            }
          }
        }
      }
    }
  });
}

// Backward-data with stride 1 is a forward convolution of gradOutput with the kernel
// rotated by 180° and its channel axes swapped, padded by dilation·(k − 1) − pad.
// `forwardPass`: the direct or small-image forward (the GEMM packs the rotated kernel
// from the weights itself: entry_points.h).
template <typename Forward>
inline void backwardDataAsForward(ThreadPool& pool, const ConvParams& p, const float* gradOutput,
                                  const float* weight, float* gradInput, const Forward& forwardPass) {
  const int64_t G = p.groups, Cg = p.inChannelsPerGroup(), Og = p.outChannelsPerGroup();
  const int64_t KH = p.kernelHeight, KW = p.kernelWidth;
  float* flipped = scratch(ScratchSlot::kFlippedWeights, static_cast<size_t>(p.weightSize()));
  // A transpose of the channel axes, in 16 × 16 tiles of (input, output) channels so
  // that the rows a tile reads stay in L1 (row by row, a 256 × 256 transpose missed the
  // cache on every read: 7% of res1x1's backward-data).
  constexpr int64_t kTile = 16;
  const int64_t taps = KH * KW, cTiles = (Cg + kTile - 1) / kTile;
  pool.parallelFor(G * cTiles, grainFor(kTile * Og * taps), [&](int64_t first, int64_t last) {
    for (int64_t task = first; task < last; ++task) {
      const int64_t g = task / cTiles, c0 = (task % cTiles) * kTile, c1 = std::min(Cg, c0 + kTile);
      for (int64_t o0 = 0; o0 < Og; o0 += kTile) {
        const int64_t o1 = std::min(Og, o0 + kTile);
        for (int64_t c = c0; c < c1; ++c)
          for (int64_t o = o0; o < o1; ++o) {
            const float* src = weight + ((g * Og + o) * Cg + c) * taps;
            float* dst = flipped + ((g * Cg + c) * Og + o) * taps;
            for (int64_t t = 0; t < taps; ++t) dst[t] = src[taps - 1 - t];  // (kh, kw) → (KH−1−kh, KW−1−kw)
          }
      }
    }
  });
  forwardPass(pool, backwardDataAsForwardParams(p), gradOutput, flipped, nullptr, gradInput);
}

// sums[kw] = Σ gout[ow] · src[ow + kw·dW] over the vector columns from `begin` while a
// vector fits before `end`, for kw < kKW; returns the first column left. kU vectors at a
// time: kU · kKW independent sums keep both FMA pipes busy (one sum per kw would wait
// on the FMA latency), each kept in a register (compile-time indices).
template <int kKW, int kU>
inline int64_t rowDotsOf(const float* gout, const float* src, int64_t begin, int64_t end, int64_t dW, float* sums) {
  Vec acc[kU * kKW];
  unrolled<kU * kKW>([&](auto a) { acc[a] = zero(); });
  int64_t ow = begin;
  for (; ow + kU * kLanes <= end; ow += kU * kLanes) {
    unrolled<kU>([&](auto u) {
      const Vec gv = load(gout + ow + u * kLanes);
      const float* at = src + ow + u * kLanes;
      unrolled<kKW>([&](auto kw) { acc[u * kKW + kw] = fmadd(gv, load(at + kw * dW), acc[u * kKW + kw]); });
    });
  }
  for (; ow + kLanes <= end; ow += kLanes) {
    const Vec gv = load(gout + ow);
    unrolled<kKW>([&](auto kw) { acc[kw] = fmadd(gv, load(src + ow + kw * dW), acc[kw]); });
  }
  unrolled<kKW>([&](auto kw) {
    Vec v = acc[kw];
    unrolled<kU - 1>([&](auto u) { v = add(v, acc[(u + 1) * kKW + kw]); });
    float four[4];
    sum4(v, zero(), zero(), zero(), four);
    sums[kw] = four[0];
  });
  return ow;
}

inline int64_t rowDots(int64_t KW, const float* gout, const float* src, int64_t begin, int64_t end, int64_t dW,
                       float* sums) {
  switch (KW) {
    case 1: return rowDotsOf<1, 4>(gout, src, begin, end, dW, sums);
    case 2: return rowDotsOf<2, 3>(gout, src, begin, end, dW, sums);
    case 3: return rowDotsOf<3, 2>(gout, src, begin, end, dW, sums);
    case 4: return rowDotsOf<4, 2>(gout, src, begin, end, dW, sums);
    case 5: return rowDotsOf<5, 2>(gout, src, begin, end, dW, sums);
    case 6: return rowDotsOf<6, 1>(gout, src, begin, end, dW, sums);
    case 7: return rowDotsOf<7, 1>(gout, src, begin, end, dW, sums);
    default: return rowDotsOf<8, 1>(gout, src, begin, end, dW, sums);
  }
}

// Backward-weight for few channels: per (output channel, input channel) pair, the rows
// are split into shape-determined chunks; each row's KW taps share one load of the
// gradient vector; partial sums are float64 and added in chunk order.
inline void backwardWeight(ThreadPool& pool, const ConvParams& p, const float* input,
                           const float* gradOutput, float* gradWeight) {
  const int64_t C = p.inChannels, H = p.inHeight, W = p.inWidth;
  const int64_t O = p.outChannels, OH = p.outHeight, OW = p.outWidth;
  const int64_t KH = p.kernelHeight, KW = p.kernelWidth, taps = KH * KW;
  const int64_t Cg = p.inChannelsPerGroup(), Og = p.outChannelsPerGroup();
  const int64_t pairs = O * Cg, rowsTotal = p.batch * OH;
  const int64_t chunks = std::min(rowsTotal, std::max<int64_t>(1, 32 / pairs));
  double* partials = reinterpret_cast<double*>(
      scratch(ScratchSlot::kPartials, static_cast<size_t>(2 * pairs * chunks * taps)));
  for (int64_t i = 0; i < pairs * chunks * taps; ++i) partials[i] = 0.0;
  const bool vectorized = p.strideW == 1 && KW <= 8;
  const ColumnRange inner = vectorized ? interiorColumns(p) : ColumnRange{0, 0};

  pool.parallelFor(pairs * chunks, grainFor((rowsTotal / chunks + 1) * OW * taps),
                   [&](int64_t first, int64_t last) {
    for (int64_t task = first; task < last; ++task) {
      const int64_t pair = task / chunks, chunk = task % chunks;
      const int64_t o = pair / Cg, c = pair % Cg, g = o / Og;
      double* acc = partials + task * taps;
      for (int64_t row = chunk * rowsTotal / chunks; row < (chunk + 1) * rowsTotal / chunks; ++row) {
        const int64_t n = row / OH, oh = row % OH;
        const float* gout = gradOutput + ((n * O + o) * OH + oh) * OW;
        const float* plane = input + (n * C + g * Cg + c) * H * W;
        for (int64_t kh = 0; kh < KH; ++kh) {
          const int64_t ih = oh * p.strideH - p.padTop + kh * p.dilationH;
          if (ih < 0 || ih >= H) continue;
          const float* in = plane + ih * W;
          float sums[8] = {0, 0, 0, 0, 0, 0, 0, 0};
          int64_t ow = inner.begin;
          if (vectorized && inner.end - inner.begin >= kLanes) {
            ow = rowDots(KW, gout, in - p.padLeft, inner.begin, inner.end, p.dilationW, sums);
          } else {
            ow = 0;
          }
          // Columns outside the vectorised run [skipBegin, skipEnd), with bounds checks.
          const int64_t skipBegin = ow > inner.begin ? inner.begin : 0;
          const int64_t skipEnd = ow > inner.begin ? ow : 0;
          for (int64_t kw = 0; kw < KW; ++kw) {
            const int64_t offset = kw * p.dilationW - p.padLeft;
            const ColumnRange cols = validColumns(offset, p.strideW, W, OW);
            double rest = 0.0;
            for (int64_t x = cols.begin; x < std::min(cols.end, skipBegin); ++x)
              rest += gout[x] * in[x * p.strideW + offset];
            for (int64_t x = std::max(cols.begin, skipEnd); x < cols.end; ++x)
              rest += gout[x] * in[x * p.strideW + offset];
            acc[kh * KW + kw] += static_cast<double>(kw < 8 ? sums[kw] : 0.0f) + rest;
          }
        }
      }
    }
  });

  for (int64_t pair = 0; pair < pairs; ++pair) {
    for (int64_t t = 0; t < taps; ++t) {
      double sum = 0.0;
      for (int64_t chunk = 0; chunk < chunks; ++chunk) sum += partials[(pair * chunks + chunk) * taps + t];
      gradWeight[pair * taps + t] = static_cast<float>(sum);
    }
  }
}

}  // namespace direct
