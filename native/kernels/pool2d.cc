#include "pool2d.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "row_range.h"

namespace convcore {

const char* checkPoolParams(const PoolParams& p) {
  constexpr int64_t kLimit = int64_t(1) << 31;  // indices are int32
  if (p.planes < 1 || p.planes >= kLimit) return "planes must be a positive integer below 2^31";
  if (p.inHeight < 1 || p.inWidth < 1 || p.inHeight * p.inWidth >= kLimit) return "the input plane is empty or too large";
  if (p.kernelHeight < 1 || p.kernelWidth < 1) return "the kernel must be at least 1x1";
  if (p.strideH < 1 || p.strideW < 1) return "strides must be positive";
  if (p.padTop < 0 || p.padLeft < 0 || 2 * p.padTop > p.kernelHeight || 2 * p.padLeft > p.kernelWidth) {
    return "padding must be between 0 and half the kernel";
  }
  if (p.outHeight < 1 || p.outWidth < 1) return "the output must be at least 1x1";
  // Every window must start inside the padded input, and the buffers must fit.
  if ((p.outHeight - 1) * p.strideH - p.padTop >= p.inHeight || (p.outWidth - 1) * p.strideW - p.padLeft >= p.inWidth) {
    return "the output is larger than the padded input allows";
  }
  if (p.inputSize() / p.planes != p.inHeight * p.inWidth || p.outputSize() >= (int64_t(1) << 40)) {
    return "the tensors are too large";
  }
  return nullptr;
}

namespace {

// The window of output (oh, ow) clipped to the plane: rows [h0, h1), columns [w0, w1).
struct Window {
  int64_t h0, h1, w0, w1;
};

inline Window windowAt(const PoolParams& p, int64_t oh, int64_t ow) {
  const int64_t hs = oh * p.strideH - p.padTop, ws = ow * p.strideW - p.padLeft;
  return {std::max<int64_t>(hs, 0), std::min(hs + p.kernelHeight, p.inHeight),
          std::max<int64_t>(ws, 0), std::min(ws + p.kernelWidth, p.inWidth)};
}

// Average pooling's divisor: the window clipped to the padded input (PyTorch's
// count_include_pad), or only the real elements it covers.
inline int64_t divisor(const PoolParams& p, const Window& w, int64_t oh, int64_t ow) {
  if (!p.countIncludePad) return (w.h1 - w.h0) * (w.w1 - w.w0);
  const int64_t hs = oh * p.strideH - p.padTop, ws = ow * p.strideW - p.padLeft;
  const int64_t he = std::min(hs + p.kernelHeight, p.inHeight + p.padTop);
  const int64_t we = std::min(ws + p.kernelWidth, p.inWidth + p.padLeft);
  return (he - hs) * (we - ws);
}

int64_t planeGrain(const PoolParams& p) {
  return grainFor(p.outHeight * p.outWidth * p.kernelHeight * p.kernelWidth);
}

// One unpadded window covering each whole plane (global average pooling, a ResNet's last
// pooling): no window bookkeeping per output, which cost more than the sum on 1 × 1
// planes (64 × 512 of them: 0.9 ms). Same sums in the same order as the general loop.
bool wholePlaneWindow(const PoolParams& p) {
  return p.outHeight == 1 && p.outWidth == 1 && p.padTop == 0 && p.padLeft == 0 &&
         p.kernelHeight == p.inHeight && p.kernelWidth == p.inWidth;
}

}  // namespace

namespace {

inline int32_t floatBits(float v) {
  int32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits;
}

inline float bitsFloat(int32_t bits) {
  float v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

// One step of a running maximum, without branches (the comparison is unpredictable on
// real data): v replaces best when v > best, or when v is the first NaN.
inline void maxStep(float v, int32_t position, float& best, int32_t& at) {
  const int32_t take = -static_cast<int32_t>((v > best) | ((v != v) & (best == best)));
  best = bitsFloat((floatBits(v) & take) | (floatBits(best) & ~take));
  at = (position & take) | (at & ~take);
}

// 2×2 windows at stride 2, unpadded, every window whole (most CNNs' pooling): each
// output is the pairs' winner of its two rows, then the winner of the two pairs (each a
// maxStep), which is the running maximum's result (the first NaN, else the first maximum in the window's
// order) without its per-window bookkeeping.
bool pairPooling(const PoolParams& p) {
  return p.kernelHeight == 2 && p.kernelWidth == 2 && p.strideH == 2 && p.strideW == 2 && p.padTop == 0 &&
         p.padLeft == 0 && 2 * p.outHeight <= p.inHeight && 2 * p.outWidth <= p.inWidth;
}

void maxPoolPairsRow(const PoolParams& p, const float* x, int64_t oh, float* y, int32_t* idx) {
  const float* top = x + 2 * oh * p.inWidth;
  const float* bottom = top + p.inWidth;
  const int32_t start = static_cast<int32_t>(2 * oh * p.inWidth), below = static_cast<int32_t>(p.inWidth);
  for (int64_t ow = 0; ow < p.outWidth; ++ow) {
    const int32_t at = start + static_cast<int32_t>(2 * ow);
    float upper = top[2 * ow], lower = bottom[2 * ow];
    int32_t upperAt = at, lowerAt = at + below;
    maxStep(top[2 * ow + 1], at + 1, upper, upperAt);
    maxStep(bottom[2 * ow + 1], at + below + 1, lower, lowerAt);
    maxStep(lower, lowerAt, upper, upperAt);
    y[ow] = upper;
    idx[ow] = upperAt;
  }
}


// Any other window, in two passes per plane. Each input row's maxima along the row, one
// per output column (over a copy of the row padded with −∞, so that no window is
// clipped), computed once however many windows share the row; then
// each output row runs down its window's rows. Row first, then down the rows, gives the
// first maximum in row-major order (a row keeps its leftmost, a later row replaces it
// only when strictly greater) and the first NaN: the running maximum's result.
class SeparableMaxPool {
 public:
  explicit SeparableMaxPool(const PoolParams& p)
      : p_(p), starts_((p.outWidth - 1) * p.strideW + 1),
        padded_(starts_ + p.kernelWidth - 1), rowBest_(p.inHeight * p.outWidth), rowAt_(p.inHeight * p.outWidth) {}

  void plane(const float* x, float* y, int32_t* idx) {
    for (int64_t h = 0; h < p_.inHeight; ++h) alongRow(x, h);
    for (int64_t oh = 0; oh < p_.outHeight; ++oh) downRows(oh, y + oh * p_.outWidth, idx + oh * p_.outWidth);
  }

 private:
  void alongRow(const float* x, int64_t h) {
    constexpr float kNone = -std::numeric_limits<float>::infinity();  // never replaces a running maximum
    const int64_t width = static_cast<int64_t>(padded_.size()), copied = std::min(p_.inWidth, width - p_.padLeft);
    float* row = padded_.data();
    std::fill(row, row + p_.padLeft, kNone);
    std::copy(x + h * p_.inWidth, x + h * p_.inWidth + copied, row + p_.padLeft);
    std::fill(row + p_.padLeft + copied, row + width, kNone);
    const int32_t rowStart = static_cast<int32_t>(h * p_.inWidth);
    const int64_t stride = p_.strideW;
    float* best = rowBest_.data() + h * p_.outWidth;
    int32_t* at = rowAt_.data() + h * p_.outWidth;
    for (int64_t ow = 0; ow < p_.outWidth; ++ow) {
      best[ow] = kNone;
      at[ow] = rowStart + static_cast<int32_t>(std::max<int64_t>(ow * stride - p_.padLeft, 0));  // the window's first real column
    }
    for (int64_t kc = 0; kc < p_.kernelWidth; ++kc) {
      const float* src = row + kc;
      const int32_t position = rowStart + static_cast<int32_t>(kc - p_.padLeft);
      for (int64_t ow = 0; ow < p_.outWidth; ++ow) {
        maxStep(src[ow * stride], position + static_cast<int32_t>(ow * stride), best[ow], at[ow]);
      }
    }
  }

  void downRows(int64_t oh, float* y, int32_t* idx) const {
    const int64_t hs = oh * p_.strideH - p_.padTop;
    const int64_t h0 = std::max<int64_t>(hs, 0), h1 = std::min(hs + p_.kernelHeight, p_.inHeight);
    std::copy(rowBest_.data() + h0 * p_.outWidth, rowBest_.data() + (h0 + 1) * p_.outWidth, y);
    std::copy(rowAt_.data() + h0 * p_.outWidth, rowAt_.data() + (h0 + 1) * p_.outWidth, idx);
    for (int64_t h = h0 + 1; h < h1; ++h) {
      const float* best = rowBest_.data() + h * p_.outWidth;
      const int32_t* at = rowAt_.data() + h * p_.outWidth;
      for (int64_t ow = 0; ow < p_.outWidth; ++ow) maxStep(best[ow], at[ow], y[ow], idx[ow]);
    }
  }

  const PoolParams& p_;
  const int64_t starts_;  // columns of the padded row a window can start on
  std::vector<float> padded_;
  std::vector<float> rowBest_;  // per input row, per output column
  std::vector<int32_t> rowAt_;
};

}  // namespace

void maxPool2dForward(ThreadPool& pool, const PoolParams& p, const float* input, float* output,
                      int32_t* indices) {
  const int64_t inPlane = p.inHeight * p.inWidth, outPlane = p.outHeight * p.outWidth;
  const bool pairs = pairPooling(p);
  pool.parallelFor(p.planes, planeGrain(p), [&](int64_t first, int64_t last) {
    if (pairs) {
      for (int64_t plane = first; plane < last; ++plane) {
        for (int64_t oh = 0; oh < p.outHeight; ++oh) {
          const int64_t at = plane * outPlane + oh * p.outWidth;
          maxPoolPairsRow(p, input + plane * inPlane, oh, output + at, indices + at);
        }
      }
      return;
    }
    SeparableMaxPool separable(p);
    for (int64_t plane = first; plane < last; ++plane) {
      separable.plane(input + plane * inPlane, output + plane * outPlane, indices + plane * outPlane);
    }
  });
}

void maxPool2dBackward(ThreadPool& pool, const PoolParams& p, const float* gradOutput,
                       const int32_t* indices, float* gradInput) {
  const int64_t inPlane = p.inHeight * p.inWidth, outPlane = p.outHeight * p.outWidth;
  pool.parallelFor(p.planes, grainFor(inPlane + outPlane), [&](int64_t first, int64_t last) {
    for (int64_t plane = first; plane < last; ++plane) {
      float* gx = gradInput + plane * inPlane;
      const float* gy = gradOutput + plane * outPlane;
      const int32_t* idx = indices + plane * outPlane;
      std::fill(gx, gx + inPlane, 0.0f);
      for (int64_t i = 0; i < outPlane; ++i) {
        const int32_t at = idx[i];
        // Indices come from JavaScript: one outside the plane is skipped, never written.
        if (at >= 0 && at < inPlane) gx[at] += gy[i];
      }
    }
  });
}

void avgPool2dForward(ThreadPool& pool, const PoolParams& p, const float* input, float* output) {
  const int64_t inPlane = p.inHeight * p.inWidth, outPlane = p.outHeight * p.outWidth;
  if (wholePlaneWindow(p)) {
    const float count = static_cast<float>(inPlane);
    pool.parallelFor(p.planes, grainFor(inPlane), [&](int64_t first, int64_t last) {
      for (int64_t plane = first; plane < last; ++plane) {
        const float* x = input + plane * inPlane;
        float sum = 0.0f;
        for (int64_t i = 0; i < inPlane; ++i) sum += x[i];
        output[plane] = sum / count;
      }
    });
    return;
  }
  pool.parallelFor(p.planes, planeGrain(p), [&](int64_t first, int64_t last) {
    for (int64_t plane = first; plane < last; ++plane) {
      const float* x = input + plane * inPlane;
      float* y = output + plane * outPlane;
      for (int64_t oh = 0; oh < p.outHeight; ++oh) {
        for (int64_t ow = 0; ow < p.outWidth; ++ow) {
          const Window w = windowAt(p, oh, ow);
          float sum = 0.0f;
          for (int64_t h = w.h0; h < w.h1; ++h)
            for (int64_t c = w.w0; c < w.w1; ++c) sum += x[h * p.inWidth + c];
          y[oh * p.outWidth + ow] = sum / static_cast<float>(divisor(p, w, oh, ow));
        }
      }
    }
  });
}

void avgPool2dBackward(ThreadPool& pool, const PoolParams& p, const float* gradOutput, float* gradInput) {
  const int64_t inPlane = p.inHeight * p.inWidth, outPlane = p.outHeight * p.outWidth;
  if (wholePlaneWindow(p)) {
    const float count = static_cast<float>(inPlane);
    pool.parallelFor(p.planes, grainFor(inPlane), [&](int64_t first, int64_t last) {
      for (int64_t plane = first; plane < last; ++plane) {
        const float g = gradOutput[plane] / count;
        float* gx = gradInput + plane * inPlane;
        for (int64_t i = 0; i < inPlane; ++i) gx[i] = g;
      }
    });
    return;
  }
  pool.parallelFor(p.planes, planeGrain(p), [&](int64_t first, int64_t last) {
    for (int64_t plane = first; plane < last; ++plane) {
      float* gx = gradInput + plane * inPlane;
      const float* gy = gradOutput + plane * outPlane;
      std::fill(gx, gx + inPlane, 0.0f);
      for (int64_t oh = 0; oh < p.outHeight; ++oh) {
        for (int64_t ow = 0; ow < p.outWidth; ++ow) {
          const Window w = windowAt(p, oh, ow);
          const float g = gy[oh * p.outWidth + ow] / static_cast<float>(divisor(p, w, oh, ow));
          for (int64_t h = w.h0; h < w.h1; ++h)
            for (int64_t c = w.w0; c < w.w1; ++c) gx[h * p.inWidth + c] += g;
        }
      }
    }
  });
}

}  // namespace convcore
