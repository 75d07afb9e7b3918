#include "pool2d.h"

#include <algorithm>
#include <cmath>

#include "engine.h"
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

void maxPool2dForward(ThreadPool& pool, const PoolParams& p, const float* input, float* output,
                      int32_t* indices) {
  activeKernels().maxPoolForward(pool, p, input, output, indices);
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
