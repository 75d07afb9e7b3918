#include "small_image.h"

#include <memory>
#include <vector>

#include "matmul.h"

namespace convcore {

namespace {

// Output positions per image up to which the matrix path runs, and the largest matrix
// (floats) it builds.
constexpr int64_t kMaxPositions = 16;
constexpr int64_t kMaxMatrix = int64_t(1) << 24;

// A buffer every element of which the caller writes (no zero fill).
std::unique_ptr<float[]> scratch(int64_t n) { return std::unique_ptr<float[]>(new float[static_cast<size_t>(n)]); }

// The input position (row, column) that output position (y, x) reads through tap
// (ky, kx), or false where it is padding.
inline bool source(const ConvParams& p, int64_t y, int64_t x, int64_t ky, int64_t kx, int64_t& row, int64_t& col) {
  row = y * p.strideH - p.padTop + ky * p.dilationH;
  col = x * p.strideW - p.padLeft + kx * p.dilationW;
  return row >= 0 && row < p.inHeight && col >= 0 && col < p.inWidth;
}

// The kernel taps (ky · KW + kx) that read the input for at least one output position:
// the others only ever meet padding (a 3 × 3 kernel with padding 1 over a 1 × 1 image
// uses its centre alone), so the matrix leaves them out.
std::vector<int64_t> usedTaps(const ConvParams& p) {
  std::vector<int64_t> used;
  for (int64_t ky = 0; ky < p.kernelHeight; ++ky) {
    for (int64_t kx = 0; kx < p.kernelWidth; ++kx) {
      bool reads = false;
      for (int64_t y = 0; y < p.outHeight && !reads; ++y)
        for (int64_t x = 0; x < p.outWidth && !reads; ++x) {
          int64_t iy, ix;
          reads = source(p, y, x, ky, kx, iy, ix);
        }
      if (reads) used.push_back(ky * p.kernelWidth + kx);
    }
  }
  return used;
}

// For each output position q and used tap t: the offset in an input plane that it reads,
// or −1 where that is padding (P × T entries, computed once a call).
std::vector<int64_t> tapOffsets(const ConvParams& p, const std::vector<int64_t>& taps) {
  const int64_t P = p.outHeight * p.outWidth, T = static_cast<int64_t>(taps.size());
  std::vector<int64_t> offsets(static_cast<size_t>(P * T));
  for (int64_t q = 0; q < P; ++q) {
    for (int64_t t = 0; t < T; ++t) {
      int64_t iy, ix;
      const bool inside = source(p, q / p.outWidth, q % p.outWidth, taps[t] / p.kernelWidth, taps[t] % p.kernelWidth, iy, ix);
      offsets[q * T + t] = inside ? iy * p.inWidth + ix : -1;
    }
  }
  return offsets;
}

// cols[(n, q)][(c, used tap)] of group g: rows = batch × positions, K = Cg × used taps.
void im2col(ThreadPool& pool, const ConvParams& p, const std::vector<int64_t>& offsets, int64_t T, int64_t g,
            const float* input, float* cols) {
  const int64_t Cg = p.inChannelsPerGroup(), P = p.outHeight * p.outWidth, K = Cg * T;
  const int64_t planeSize = p.inHeight * p.inWidth;
  pool.parallelFor(p.batch * P, 16, [&](int64_t first, int64_t last) {
    for (int64_t r = first; r < last; ++r) {
      const int64_t n = r / P, q = r % P;
      const int64_t* at = offsets.data() + q * T;
      float* row = cols + r * K;
      const float* plane = input + (n * p.inChannels + g * Cg) * planeSize;
      for (int64_t c = 0; c < Cg; ++c, plane += planeSize, row += T)
        for (int64_t t = 0; t < T; ++t) row[t] = at[t] < 0 ? 0.0f : plane[at[t]];
    }
  });
}

// The weights of group g at the used taps: Og × (Cg · T).
std::vector<float> usedWeights(const ConvParams& p, const std::vector<int64_t>& taps, int64_t g, const float* weight) {
  const int64_t Cg = p.inChannelsPerGroup(), Og = p.outChannelsPerGroup(), all = p.kernelHeight * p.kernelWidth;
  const int64_t T = static_cast<int64_t>(taps.size());
  std::vector<float> w(static_cast<size_t>(Og * Cg * T));
  for (int64_t o = 0; o < Og; ++o)
    for (int64_t c = 0; c < Cg; ++c)
      for (int64_t t = 0; t < T; ++t) w[(o * Cg + c) * T + t] = weight[((g * Og + o) * Cg + c) * all + taps[t]];
  return w;
}

// rows[(n, y, x)][o] of group g = gradOutput[n][g·Og + o][y, x].
void outputRows(const ConvParams& p, int64_t g, const float* gradOutput, float* rows) {
  const int64_t Og = p.outChannelsPerGroup(), P = p.outHeight * p.outWidth;
  for (int64_t n = 0; n < p.batch; ++n)
    for (int64_t o = 0; o < Og; ++o)
      for (int64_t q = 0; q < P; ++q) rows[(n * P + q) * Og + o] = gradOutput[(n * p.outChannels + g * Og + o) * P + q];
}

}  // namespace

bool smallImageConv(const ConvParams& p) {
  if (p.planeTable != nullptr) return false;
  const int64_t P = p.outHeight * p.outWidth, K = p.inChannelsPerGroup() * p.kernelHeight * p.kernelWidth;
  return P <= kMaxPositions && K >= 64 && p.outChannelsPerGroup() >= 16 && p.batch * P * K <= kMaxMatrix;
}

void smallImageForward(ThreadPool& pool, const ConvParams& p, const float* input, const float* weight,
                       const float* bias, float* output) {
  const std::vector<int64_t> taps = usedTaps(p), offsets = tapOffsets(p, taps);
  const int64_t T = static_cast<int64_t>(taps.size());
  const int64_t Cg = p.inChannelsPerGroup(), Og = p.outChannelsPerGroup(), P = p.outHeight * p.outWidth;
  const int64_t K = Cg * T, M = p.batch * P;
  const auto cols = scratch(M * K), rows = scratch(M * Og);
  for (int64_t g = 0; g < p.groups; ++g) {
    im2col(pool, p, offsets, T, g, input, cols.get());
    const std::vector<float> w = usedWeights(p, taps, g, weight);
    // rows (M × Og) = cols · Wᵀ (+ bias per column).
    matmul(pool, MatmulParams{M, Og, K, false, true, false}, cols.get(), w.data(),
           bias == nullptr ? nullptr : bias + g * Og, rows.get());
    for (int64_t n = 0; n < p.batch; ++n)
      for (int64_t o = 0; o < Og; ++o)
        for (int64_t q = 0; q < P; ++q) output[(n * p.outChannels + g * Og + o) * P + q] = rows[(n * P + q) * Og + o];
  }
}

void smallImageBackwardData(ThreadPool& pool, const ConvParams& p, const float* gradOutput, const float* weight,
                            float* gradInput) {
  const std::vector<int64_t> taps = usedTaps(p), offsets = tapOffsets(p, taps);
  const int64_t T = static_cast<int64_t>(taps.size());
  const int64_t Cg = p.inChannelsPerGroup(), Og = p.outChannelsPerGroup(), P = p.outHeight * p.outWidth;
  const int64_t K = Cg * T, M = p.batch * P;
  const auto rows = scratch(M * Og), cols = scratch(M * K);
  for (int64_t i = 0; i < p.inputSize(); ++i) gradInput[i] = 0.0f;
  for (int64_t g = 0; g < p.groups; ++g) {
    outputRows(p, g, gradOutput, rows.get());
    const std::vector<float> w = usedWeights(p, taps, g, weight);
    // The column gradient (M × K) = rows · W, then added back where each column came from
    // (images in parallel: each writes only its own planes).
    matmul(pool, MatmulParams{M, K, Og, false, false, false}, rows.get(), w.data(), nullptr, cols.get());
    pool.parallelFor(p.batch, 1, [&](int64_t first, int64_t last) {
      for (int64_t n = first; n < last; ++n) {
        for (int64_t q = 0; q < P; ++q) {
          const int64_t* at = offsets.data() + q * T;
          const float* row = cols.get() + (n * P + q) * K;
          float* plane = gradInput + (n * p.inChannels + g * Cg) * p.inHeight * p.inWidth;
          for (int64_t c = 0; c < Cg; ++c, plane += p.inHeight * p.inWidth, row += T)
            for (int64_t t = 0; t < T; ++t)
              if (at[t] >= 0) plane[at[t]] += row[t];
        }
      }
    });
  }
}

void smallImageBackwardWeight(ThreadPool& pool, const ConvParams& p, const float* input, const float* gradOutput,
                              float* gradWeight) {
  const std::vector<int64_t> taps = usedTaps(p), offsets = tapOffsets(p, taps);
  const int64_t T = static_cast<int64_t>(taps.size()), all = p.kernelHeight * p.kernelWidth;
  const int64_t Cg = p.inChannelsPerGroup(), Og = p.outChannelsPerGroup(), P = p.outHeight * p.outWidth;
  const int64_t K = Cg * T, M = p.batch * P;
  const auto rows = scratch(M * Og), cols = scratch(M * K), gw = scratch(Og * K);
  // Taps left out read only padding: their gradient is 0.
  for (int64_t i = 0; i < p.weightSize(); ++i) gradWeight[i] = 0.0f;
  for (int64_t g = 0; g < p.groups; ++g) {
    outputRows(p, g, gradOutput, rows.get());
    im2col(pool, p, offsets, T, g, input, cols.get());
    // gW (Og × K) = rowsᵀ · cols, then put at the used taps.
    matmul(pool, MatmulParams{Og, K, M, true, false, false}, rows.get(), cols.get(), nullptr, gw.get());
    for (int64_t o = 0; o < Og; ++o)
      for (int64_t c = 0; c < Cg; ++c)
        for (int64_t t = 0; t < T; ++t) gradWeight[((g * Og + o) * Cg + c) * all + taps[t]] = gw[(o * Cg + c) * T + t];
  }
}

}  // namespace convcore
