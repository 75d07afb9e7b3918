// Max pooling's forward (pool2d.h), three ways: 2 × 2 windows at stride 2 pair by pair;
// small planes (up to kGroupFloats elements padded) a group at a time, laid end to end
// as one array; larger planes row by row. Every way takes each window's first maximum in
// row-major order, or its first NaN (the running maximum's result, as PyTorch): the
// same values and indices whichever runs.
// Part of engine_impl.h (ISA namespace).
#pragma once

namespace max_pool {

// Padded planes of up to this many elements go a group at a time, the group this large
// or less: its six arrays (the padded planes and the maxima along the rows and down
// them, each with its positions: 192 KiB) then stay in L2.
constexpr int64_t kGroupFloats = 8192;

// One step of a running maximum, without branches (the comparison is unpredictable on
// real data): v replaces best when v > best, or when v is the first NaN.
inline void maxStep(float v, int32_t position, float& best, int32_t& at) {
  const int32_t take = -static_cast<int32_t>((v > best) | ((v != v) & (best == best)));
  best = bitCast<float>((bitCast<int32_t>(v) & take) | (bitCast<int32_t>(best) & ~take));
  at = (position & take) | (at & ~take);
}

// The window of output (oh, ow) clipped to the plane, from −∞ with the first element it
// covers, in row-major order.
inline void clippedWindow(const PoolParams& p, const float* x, int64_t oh, int64_t ow, float* y, int32_t* idx) {
  const int64_t hs = oh * p.strideH - p.padTop, ws = ow * p.strideW - p.padLeft;
  const int64_t h0 = std::max<int64_t>(hs, 0), h1 = std::min(hs + p.kernelHeight, p.inHeight);
  const int64_t w0 = std::max<int64_t>(ws, 0), w1 = std::min(ws + p.kernelWidth, p.inWidth);
  float best = -std::numeric_limits<float>::infinity();
  int32_t at = static_cast<int32_t>(h0 * p.inWidth + w0);
  for (int64_t h = h0; h < h1; ++h)
    for (int64_t c = w0; c < w1; ++c) maxStep(x[h * p.inWidth + c], static_cast<int32_t>(h * p.inWidth + c), best, at);
  *y = best;
  *idx = at;
}

// 2×2 windows at stride 2, unpadded, every window whole (most CNNs' pooling): each
// output is the pairs' winner of its two rows, then the winner of the two pairs (each a
// maxStep), which is the running maximum's result without its per-window bookkeeping.
inline bool pairPooling(const PoolParams& p) {
  return p.kernelHeight == 2 && p.kernelWidth == 2 && p.strideH == 2 && p.strideW == 2 && p.padTop == 0 &&
         p.padLeft == 0 && 2 * p.outHeight <= p.inHeight && 2 * p.outWidth <= p.inWidth;
}

inline void pairsPlane(const PoolParams& p, const float* x, float* y, int32_t* idx) {
  const int32_t below = static_cast<int32_t>(p.inWidth);
  for (int64_t oh = 0; oh < p.outHeight; ++oh) {
    const float* top = x + 2 * oh * p.inWidth;
    const float* bottom = top + p.inWidth;
    const int32_t start = static_cast<int32_t>(2 * oh * p.inWidth);
    float* yRow = y + oh * p.outWidth;
    int32_t* idxRow = idx + oh * p.outWidth;
    for (int64_t ow = 0; ow < p.outWidth; ++ow) {
      const int32_t at = start + static_cast<int32_t>(2 * ow);
      float upper = top[2 * ow], lower = bottom[2 * ow];
      int32_t upperAt = at, lowerAt = at + below;
      maxStep(top[2 * ow + 1], at + 1, upper, upperAt);
      maxStep(bottom[2 * ow + 1], at + below + 1, lower, lowerAt);
      maxStep(lower, lowerAt, upper, upperAt);
      yRow[ow] = upper;
      idxRow[ow] = upperAt;
    }
  }
}

// Small planes are laid out with their padding made explicit (−∞, at position −1), so
// that every window lies inside its padded plane, and a group of them end to end: rows
// of a 14 × 14 plane are too short for vectors, the group's rows are not.
struct PaddedPlanes {
  int64_t height, width, size, group;  // a padded plane, and planes per group
};

inline PaddedPlanes paddedPlanes(const PoolParams& p) {
  const int64_t height = std::max(p.padTop + p.inHeight, (p.outHeight - 1) * p.strideH + p.kernelHeight);
  const int64_t width = std::max(p.padLeft + p.inWidth, (p.outWidth - 1) * p.strideW + p.kernelWidth);
  return {height, width, height * width, std::max<int64_t>(1, kGroupFloats / (height * width))};
}

// best[i] (at bestAt[i]) = the running maximum of v[i], v[i + step], … over `taps`
// elements, as far as the array goes.
inline void slidingMaxima(const float* v, const int32_t* at, int64_t total, int64_t step, int64_t taps, float* best,
                          int32_t* bestAt) {
  for (int64_t i = 0; i < total; ++i) {
    best[i] = v[i];
    bestAt[i] = at[i];
  }
  for (int64_t k = 1; k < taps; ++k) {
    const int64_t shift = k * step;
    for (int64_t i = 0; i + shift < total; ++i) maxStep(v[i + shift], at[i + shift], best[i], bestAt[i]);
  }
}

// Two passes over a group of padded planes xp (positions at: the element's index in its
// plane, −1 for padding): each element's maximum along its row over the kernel's
// columns from it, then down the rows over the kernel's rows from it; output (oh, ow)
// is element (oh · strideH, ow · strideW) of the second. Windows that cross a row's end
// mix in the next row's values, but no output reads them. Row first, then down the
// rows, keeps the first maximum in row-major order (a row keeps its leftmost, a later
// row replaces it only when strictly greater). A window of −∞ alone keeps its first
// element's position, −1 where that is padding: such windows are computed again,
// clipped to the plane.
inline void paddedGroup(const PoolParams& p, const PaddedPlanes& pp, const float* x, int64_t planes, const float* xp,
                        const int32_t* at, float* output, int32_t* indices, float* alongBest, int32_t* alongAt,
                        float* downBest, int32_t* downAt) {
  const int64_t total = planes * pp.size, outPlane = p.outHeight * p.outWidth, Wp = pp.width;
  slidingMaxima(xp, at, total, 1, p.kernelWidth, alongBest, alongAt);
  slidingMaxima(alongBest, alongAt, total, Wp, p.kernelHeight, downBest, downAt);
  for (int64_t j = 0; j < planes; ++j)
    for (int64_t oh = 0; oh < p.outHeight; ++oh) {
      const int64_t i0 = j * pp.size + oh * p.strideH * Wp;
      float* y = output + j * outPlane + oh * p.outWidth;
      int32_t* idx = indices + j * outPlane + oh * p.outWidth;
      for (int64_t ow = 0; ow < p.outWidth; ++ow) {
        y[ow] = downBest[i0 + ow * p.strideW];
        idx[ow] = downAt[i0 + ow * p.strideW];
      }
      for (int64_t ow = 0; ow < p.outWidth; ++ow)
        if (idx[ow] < 0) clippedWindow(p, x + j * p.inHeight * p.inWidth, oh, ow, y + ow, idx + ow);
    }
}

// A larger plane row by row: each input row's maxima along the row, one per output
// column, over a copy of the row padded with −∞ (so that no window is clipped), computed
// once however many windows share the row; then each output row runs down its window's
// rows.
inline void largePlane(const PoolParams& p, const float* x, float* y, int32_t* idx, float* padded, float* rowBest,
                       int32_t* rowAt) {
  constexpr float kNone = -std::numeric_limits<float>::infinity();  // never replaces a running maximum
  const int64_t width = (p.outWidth - 1) * p.strideW + p.kernelWidth;
  const int64_t copied = std::min(p.inWidth, width - p.padLeft), stride = p.strideW;
  for (int64_t h = 0; h < p.inHeight; ++h) {
    for (int64_t c = 0; c < width; ++c) padded[c] = kNone;
    copyFloats(padded + p.padLeft, x + h * p.inWidth, copied);
    const int32_t rowStart = static_cast<int32_t>(h * p.inWidth);
    float* best = rowBest + h * p.outWidth;
    int32_t* at = rowAt + h * p.outWidth;
    for (int64_t ow = 0; ow < p.outWidth; ++ow) {
      best[ow] = kNone;
      at[ow] = rowStart + static_cast<int32_t>(std::max<int64_t>(ow * stride - p.padLeft, 0));  // the first real column
    }
    for (int64_t kc = 0; kc < p.kernelWidth; ++kc) {
      const float* src = padded + kc;
      const int32_t position = rowStart + static_cast<int32_t>(kc - p.padLeft);
      for (int64_t ow = 0; ow < p.outWidth; ++ow)
        maxStep(src[ow * stride], position + static_cast<int32_t>(ow * stride), best[ow], at[ow]);
    }
  }
  for (int64_t oh = 0; oh < p.outHeight; ++oh) {
    const int64_t hs = oh * p.strideH - p.padTop;
    const int64_t h0 = std::max<int64_t>(hs, 0), h1 = std::min(hs + p.kernelHeight, p.inHeight);
    float* yRow = y + oh * p.outWidth;
    int32_t* idxRow = idx + oh * p.outWidth;
    copyFloats(yRow, rowBest + h0 * p.outWidth, p.outWidth);
    for (int64_t ow = 0; ow < p.outWidth; ++ow) idxRow[ow] = rowAt[h0 * p.outWidth + ow];
    for (int64_t h = h0 + 1; h < h1; ++h)
      for (int64_t ow = 0; ow < p.outWidth; ++ow) maxStep(rowBest[h * p.outWidth + ow], rowAt[h * p.outWidth + ow], yRow[ow], idxRow[ow]);
  }
}

inline void forward(ThreadPool& pool, const PoolParams& p, const float* input, float* output, int32_t* indices) {
  const int64_t inPlane = p.inHeight * p.inWidth, outPlane = p.outHeight * p.outWidth;
  const int64_t grain = grainFor(outPlane * p.kernelHeight * p.kernelWidth);
  if (pairPooling(p)) {
    pool.parallelFor(p.planes, grain, [&](int64_t first, int64_t last) {
      for (int64_t plane = first; plane < last; ++plane)
        pairsPlane(p, input + plane * inPlane, output + plane * outPlane, indices + plane * outPlane);
    });
    return;
  }
  const PaddedPlanes pp = paddedPlanes(p);
  if (pp.size <= kGroupFloats) {
    pool.parallelFor(p.planes, std::max(grain, pp.group), [&](int64_t first, int64_t last) {
      const int64_t most = std::min(pp.group, last - first) * pp.size;
      float* values = scratch(ScratchSlot::kPoolMaxima, static_cast<size_t>(3 * most));
      int32_t* positions = reinterpret_cast<int32_t*>(scratch(ScratchSlot::kPoolPositions, static_cast<size_t>(3 * most)));
      float* xp = values;
      int32_t* at = positions;
      // The padding and the positions are the same for every group: laid out once a chunk.
      for (int64_t i = 0; i < most; ++i) xp[i] = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j < most / pp.size; ++j)
        for (int64_t r = -p.padTop; r < pp.height - p.padTop; ++r) {
          int32_t* row = at + j * pp.size + (r + p.padTop) * pp.width + p.padLeft;
          const bool realRow = r >= 0 && r < p.inHeight;
          for (int64_t c = -p.padLeft; c < pp.width - p.padLeft; ++c)
            row[c] = realRow && c >= 0 && c < p.inWidth ? static_cast<int32_t>(r * p.inWidth + c) : -1;
        }
      for (int64_t g0 = first; g0 < last; g0 += pp.group) {
        const int64_t planes = std::min(pp.group, last - g0);
        for (int64_t j = 0; j < planes; ++j)
          for (int64_t h = 0; h < p.inHeight; ++h)
            copyFloats(xp + j * pp.size + (h + p.padTop) * pp.width + p.padLeft, input + (g0 + j) * inPlane + h * p.inWidth,
                       p.inWidth);
        paddedGroup(p, pp, input + g0 * inPlane, planes, xp, at, output + g0 * outPlane, indices + g0 * outPlane,
                    values + most, positions + most, values + 2 * most, positions + 2 * most);
      }
    });
    return;
  }
  pool.parallelFor(p.planes, grain, [&](int64_t first, int64_t last) {
    const int64_t width = (p.outWidth - 1) * p.strideW + p.kernelWidth, rowsOut = p.inHeight * p.outWidth;
    float* padded = scratch(ScratchSlot::kPoolMaxima, static_cast<size_t>(width + rowsOut));
    int32_t* rowAt = reinterpret_cast<int32_t*>(scratch(ScratchSlot::kPoolPositions, static_cast<size_t>(rowsOut)));
    for (int64_t plane = first; plane < last; ++plane)
      largePlane(p, input + plane * inPlane, output + plane * outPlane, indices + plane * outPlane, padded,
                 padded + width, rowAt);
  });
}

}  // namespace max_pool
