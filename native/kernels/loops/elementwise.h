// Element-wise ops with broadcasting, their gradients, and reductions (elementwise.h
// describes the layouts). Plain loops, specialised where the innermost strides are 0 or
// 1 so that the compiler vectorises them at this build's width; bound by memory
// bandwidth. Threads take fixed chunks of rows or of outputs: every element's result,
// and every reduction's order, is the same whatever the thread count.
// Part of engine_impl.h (ISA namespace).
#pragma once

namespace elementwise {

// Rows (runs of the innermost dimension) per task: about kElementChunk elements.
inline int64_t rowsPerTask(int64_t rowLength) { return std::max<int64_t>(1, kElementChunk / std::max<int64_t>(1, rowLength)); }

// Calls row(xOffset, yOffset, outOffset, conditionOffset, L) for rows [first, last) of
// the layout: row r is out[r·L, (r + 1)·L) with L the innermost size.
template <typename Row>
inline void forRows(const BroadcastLayout& l, int64_t first, int64_t last, const Row& row) {
  const int outer = l.rank - 1;
  const int64_t length = l.sizes[outer];
  int64_t index[kMaxLayoutRank] = {};
  int64_t xo = 0, yo = 0, co = 0, rest = first;
  for (int d = outer - 1; d >= 0; --d) {
    index[d] = rest % l.sizes[d];
    rest /= l.sizes[d];
    xo += index[d] * l.xStrides[d];
    yo += index[d] * l.yStrides[d];
    co += index[d] * l.cStrides[d];
  }
  for (int64_t r = first; r < last; ++r) {
    row(xo, yo, r * length, co, length);
    for (int d = outer - 1; d >= 0; --d) {  // the next row's coordinates (an odometer)
      xo += l.xStrides[d];
      yo += l.yStrides[d];
      co += l.cStrides[d];
      if (++index[d] < l.sizes[d]) break;
      xo -= l.xStrides[d] * l.sizes[d];
      yo -= l.yStrides[d] * l.sizes[d];
      co -= l.cStrides[d] * l.sizes[d];
      index[d] = 0;
    }
  }
}

// Every row of the layout, spread over the pool; rows longer than kElementChunk (a whole
// contiguous tensor is one row) in segments of it: row(…, n) gets a segment's offsets.
template <typename Row>
inline void forAllRows(ThreadPool& pool, const BroadcastLayout& l, const Row& row) {
  const int inner = l.rank - 1;
  const int64_t length = l.sizes[inner];
  if (length == 0) return;
  const int64_t rows = layoutCount(l.rank, l.sizes) / length;
  if (length > kElementChunk) {
    const int64_t segments = (length + kElementChunk - 1) / kElementChunk;
    pool.parallelFor(rows * segments, 1, [&](int64_t first, int64_t last) {
      for (int64_t unit = first; unit < last; ++unit) {
        const int64_t r = unit / segments, b = (unit % segments) * kElementChunk;
        const int64_t n = std::min(kElementChunk, length - b);
        forRows(l, r, r + 1, [&](int64_t xo, int64_t yo, int64_t oo, int64_t co, int64_t) {
          row(xo + b * l.xStrides[inner], yo + b * l.yStrides[inner], oo + b, co + b * l.cStrides[inner], n);
        });
      }
    });
    return;
  }
  const int64_t perTask = rowsPerTask(length);
  const int64_t tasks = (rows + perTask - 1) / perTask;
  if (tasks <= 1) return forRows(l, 0, rows, row);
  pool.parallelFor(tasks, 1, [&](int64_t first, int64_t last) {
    forRows(l, first * perTask, std::min(rows, last * perTask), row);
  });
}

// body(i, x[i·sx], y[i·sy]) for i < n, the strides 0 and 1 specialised so that the loops vectorise.
template <typename Body>
inline void forPairs(const float* x, int64_t sx, const float* y, int64_t sy, int64_t n, const Body& body) {
  if (sx == 1 && sy == 1) {
    for (int64_t i = 0; i < n; ++i) body(i, x[i], y[i]);
  } else if (sx == 1 && sy == 0) {
    const float b = y[0];
    for (int64_t i = 0; i < n; ++i) body(i, x[i], b);
  } else if (sx == 0 && sy == 1) {
    const float a = x[0];
    for (int64_t i = 0; i < n; ++i) body(i, a, y[i]);
  } else if (sx == 0 && sy == 0) {  // a scalar spread (a sum's or a mean's gradient)
    const float a = x[0], b = y[0];
    for (int64_t i = 0; i < n; ++i) body(i, a, b);
  } else {
    for (int64_t i = 0; i < n; ++i) body(i, x[i * sx], y[i * sy]);
  }
}

// PyTorch's maximum and minimum: NaN if either operand is NaN.
inline float maximumOf(float a, float b) { return (a > b || a != a) ? a : b; }
inline float minimumOf(float a, float b) { return (a < b || a != a) ? a : b; }

template <BinaryOp kOp>
inline float apply(float a, float b) {
  if constexpr (kOp == BinaryOp::kAdd) return a + b;
  if constexpr (kOp == BinaryOp::kSub) return a - b;
  if constexpr (kOp == BinaryOp::kMul) return a * b;
  if constexpr (kOp == BinaryOp::kDiv) return a / b;
  if constexpr (kOp == BinaryOp::kMaximum) return maximumOf(a, b);
  return minimumOf(a, b);
}

// o[i] = one(i) for i < n, the vectors at o's vector boundaries (vector(i): lanes i on)
// with streaming stores: for results past the caches, which then are not read into them
// before being overwritten (add on 8M floats: a fifth to a quarter less time at 1 and 2
// threads). one and vector must give the same bits.
template <typename One, typename Vector>
inline void streamedWrite(float* o, int64_t n, const One& one, const Vector& vector) {
  int64_t i = 0;
  for (; i < n && (reinterpret_cast<uintptr_t>(o + i) & (kVectorBytes - 1)) != 0; ++i) o[i] = one(i);
  for (; i + kLanes <= n; i += kLanes) streamStore(o + i, vector(i));
  for (; i < n; ++i) o[i] = one(i);
  streamFence();
}

// A row of a binary op over x contiguous and y contiguous (kYStride 1) or one value
// (kYStride 0), streamed.
template <BinaryOp kOp, int kYStride>
inline void streamedRow(const float* x, const float* y, float* o, int64_t n) {
  const auto op = [](Vec a, Vec b) {
    if constexpr (kOp == BinaryOp::kAdd) return add(a, b);
    if constexpr (kOp == BinaryOp::kSub) return sub(a, b);
    if constexpr (kOp == BinaryOp::kMul) return mul(a, b);
    if constexpr (kOp == BinaryOp::kDiv) return div(a, b);
    if constexpr (kOp == BinaryOp::kMaximum) return maxPropagatingNaN(a, b);
    if constexpr (kOp == BinaryOp::kMinimum) return minPropagatingNaN(a, b);
  };
  const Vec b = broadcast(y[0]);
  streamedWrite(o, n, [&](int64_t i) { return apply<kOp>(x[i], y[i * kYStride]); },
                [&](int64_t i) { return op(load(x + i), kYStride ? load(y + i) : b); });
}

template <BinaryOp kOp>
inline void binaryOf(ThreadPool& pool, const BroadcastLayout& l, const float* x, const float* y, float* out) {
  const int64_t sx = l.xStrides[l.rank - 1], sy = l.yStrides[l.rank - 1];
  const bool stream = sx == 1 && (sy == 0 || sy == 1) && layoutCount(l.rank, l.sizes) >= kStreamingOutputFloats;
  forAllRows(pool, l, [&](int64_t xo, int64_t yo, int64_t oo, int64_t, int64_t n) {
    float* o = out + oo;
    if (stream) return sy ? streamedRow<kOp, 1>(x + xo, y + yo, o, n) : streamedRow<kOp, 0>(x + xo, y + yo, o, n);
    forPairs(x + xo, sx, y + yo, sy, n, [&](int64_t i, float a, float b) { o[i] = apply<kOp>(a, b); });
  });
}

inline void binary(ThreadPool& pool, BinaryOp op, const BroadcastLayout& l, const float* x, const float* y,
                   float* out) {
  switch (op) {
    case BinaryOp::kAdd: return binaryOf<BinaryOp::kAdd>(pool, l, x, y, out);
    case BinaryOp::kSub: return binaryOf<BinaryOp::kSub>(pool, l, x, y, out);
    case BinaryOp::kMul: return binaryOf<BinaryOp::kMul>(pool, l, x, y, out);
    case BinaryOp::kDiv: return binaryOf<BinaryOp::kDiv>(pool, l, x, y, out);
    case BinaryOp::kMaximum: return binaryOf<BinaryOp::kMaximum>(pool, l, x, y, out);
    case BinaryOp::kMinimum: return binaryOf<BinaryOp::kMinimum>(pool, l, x, y, out);
  }
}

// gx and gy (either may be null) over the broadcast shape, from g of that shape: the
// caller sums them down to the operands' shapes. PyTorch's formulas; maximum and minimum
// split a tie's gradient in halves.
template <BinaryOp kOp>
inline void binaryBackwardOf(ThreadPool& pool, const BroadcastLayout& l, const float* g, const float* x,
                             const float* y, float* gx, float* gy) {
  const int64_t sx = l.xStrides[l.rank - 1], sy = l.yStrides[l.rank - 1];
  forAllRows(pool, l, [&](int64_t xo, int64_t yo, int64_t oo, int64_t, int64_t n) {
    const float* gr = g + oo;
    float* gxr = gx ? gx + oo : nullptr;
    float* gyr = gy ? gy + oo : nullptr;
    if (gxr) {
      forPairs(x + xo, sx, y + yo, sy, n, [&](int64_t i, float a, float b) {
        const float v = gr[i];
        if constexpr (kOp == BinaryOp::kAdd || kOp == BinaryOp::kSub) gxr[i] = v;
        if constexpr (kOp == BinaryOp::kMul) gxr[i] = v * b;
        if constexpr (kOp == BinaryOp::kDiv) gxr[i] = v / b;
        if constexpr (kOp == BinaryOp::kMaximum) gxr[i] = a < b ? 0.0f : (a == b ? v * 0.5f : v);
        if constexpr (kOp == BinaryOp::kMinimum) gxr[i] = a > b ? 0.0f : (a == b ? v * 0.5f : v);
      });
    }
    if (gyr) {
      forPairs(x + xo, sx, y + yo, sy, n, [&](int64_t i, float a, float b) {
        const float v = gr[i];
        if constexpr (kOp == BinaryOp::kAdd) gyr[i] = v;
        if constexpr (kOp == BinaryOp::kSub) gyr[i] = -v;
        if constexpr (kOp == BinaryOp::kMul) gyr[i] = v * a;
        if constexpr (kOp == BinaryOp::kDiv) gyr[i] = -v * a / (b * b);
        if constexpr (kOp == BinaryOp::kMaximum) gyr[i] = a > b ? 0.0f : (a == b ? v * 0.5f : v);
        if constexpr (kOp == BinaryOp::kMinimum) gyr[i] = a < b ? 0.0f : (a == b ? v * 0.5f : v);
      });
    }
  });
}

inline void binaryBackward(ThreadPool& pool, BinaryOp op, const BroadcastLayout& l, const float* g, const float* x,
                           const float* y, float* gx, float* gy) {
  switch (op) {
    case BinaryOp::kAdd: return binaryBackwardOf<BinaryOp::kAdd>(pool, l, g, x, y, gx, gy);
    case BinaryOp::kSub: return binaryBackwardOf<BinaryOp::kSub>(pool, l, g, x, y, gx, gy);
    case BinaryOp::kMul: return binaryBackwardOf<BinaryOp::kMul>(pool, l, g, x, y, gx, gy);
    case BinaryOp::kDiv: return binaryBackwardOf<BinaryOp::kDiv>(pool, l, g, x, y, gx, gy);
    case BinaryOp::kMaximum: return binaryBackwardOf<BinaryOp::kMaximum>(pool, l, g, x, y, gx, gy);
    case BinaryOp::kMinimum: return binaryBackwardOf<BinaryOp::kMinimum>(pool, l, g, x, y, gx, gy);
  }
}

// e^x within about 2 ulp in plain arithmetic that vectorises (libm's expf is a call per
// element): Cephes' expf, e^x = 2^n · e^r with n = round(x / ln 2) and |r| ≤ ln 2 / 2,
// the power of two built in two halves so that results down to the denormals come out.
inline float expOf(float x) {
  constexpr float kHigh = 88.72283935546875f;   // ln(FLT_MAX)
  constexpr float kLow = -103.97208404541016f;  // below: 0 (under the smallest denormal)
  const float c = x > kHigh ? kHigh : (x < kLow ? kLow : x);
  constexpr float kRound = 12582912.0f;  // 1.5 · 2^23: adding it rounds to an integer
  const float n = (c * 1.44269504088896341f + kRound) - kRound;
  const float r = (c - n * 0.693359375f) + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = p * r * r + r + 1.0f;
  const int32_t k = static_cast<int32_t>(n), k1 = k >> 1, k2 = k - k1;
  const float s1 = bitCast<float>((k1 + 127) << 23), s2 = bitCast<float>((k2 + 127) << 23);
  const float e = y * s1 * s2;
  return x != x ? x : (x > kHigh ? INFINITY : (x < kLow ? 0.0f : e));
}

// out = c ≠ 0 ? x : y, broadcast (NaN counts as true, as a bool of it in PyTorch).
inline void where(ThreadPool& pool, const BroadcastLayout& l, const float* c, const float* x, const float* y,
                  float* out) {
  const int inner = l.rank - 1;
  const int64_t sx = l.xStrides[inner], sy = l.yStrides[inner], sc = l.cStrides[inner];
  forAllRows(pool, l, [&](int64_t xo, int64_t yo, int64_t oo, int64_t co, int64_t n) {
    const float* cr = c + co;
    float* o = out + oo;
    if (sc == 1) forPairs(x + xo, sx, y + yo, sy, n, [&](int64_t i, float a, float b) { o[i] = cr[i] != 0.0f ? a : b; });
    else forPairs(x + xo, sx, y + yo, sy, n, [&](int64_t i, float a, float b) { o[i] = cr[i * sc] != 0.0f ? a : b; });
  });
}

// gx = c ? g : 0 and gy = c ? 0 : g at the broadcast shape (either may be null).
inline void whereBackward(ThreadPool& pool, const BroadcastLayout& l, const float* c, const float* g, float* gx,
                          float* gy) {
  const int inner = l.rank - 1;
  const int64_t sc = l.cStrides[inner];
  forAllRows(pool, l, [&](int64_t, int64_t, int64_t oo, int64_t co, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      const bool take = c[co + i * sc] != 0.0f;
      if (gx) gx[oo + i] = take ? g[oo + i] : 0.0f;
      if (gy) gy[oo + i] = take ? 0.0f : g[oo + i];
    }
  });
}

// The activations and their derivatives, one element each (PyTorch's formulas).
constexpr float kInvSqrt2 = 0.70710678118654752f, kInvSqrt2Pi = 0.39894228040143268f;
constexpr float kSqrt2OverPi = 0.79788456080286536f, kGeluCubic = 0.044715f;
inline float siluOf(float x) { return x / (1.0f + expOf(-x)); }
inline float siluGrad(float x) {
  const float s = 1.0f / (1.0f + expOf(-x));
  return s * (1.0f + x * (1.0f - s));
}
inline float geluOf(float x) { return 0.5f * x * (1.0f + std::erf(x * kInvSqrt2)); }
inline float geluGrad(float x) {
  return 0.5f * (1.0f + std::erf(x * kInvSqrt2)) + x * kInvSqrt2Pi * expOf(-0.5f * x * x);
}
inline float geluTanhOf(float x) {
  return 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * (x + kGeluCubic * x * x * x)));
}
inline float geluTanhGrad(float x) {
  const float t = std::tanh(kSqrt2OverPi * (x + kGeluCubic * x * x * x));
  return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * kSqrt2OverPi * (1.0f + 3.0f * kGeluCubic * x * x);
}
inline float hardswishOf(float x) { return x <= -3.0f ? 0.0f : (x >= 3.0f ? x : x * (x + 3.0f) / 6.0f); }
inline float hardswishGrad(float x) { return x < -3.0f ? 0.0f : (x <= 3.0f ? x / 3.0f + 0.5f : 1.0f); }

// clamp(x, lo, hi) over n elements, streamed. maxv then minv give the scalar formula's
// bits (NaN stays NaN) wherever lo ≤ hi or either is NaN.
inline void streamedClamp(const float* x, float* o, int64_t n, float lo, float hi) {
  const Vec low = broadcast(lo), high = broadcast(hi);
  streamedWrite(o, n, [&](int64_t i) { return x[i] < lo ? lo : (x[i] > hi ? hi : x[i]); },
                [&](int64_t i) { return minv(high, maxv(low, load(x + i))); });
}

// sqrt over n elements, streamed (a vector's square roots are correctly rounded, as std::sqrt).
inline void streamedSqrt(const float* x, float* o, int64_t n) {
  streamedWrite(o, n, [&](int64_t i) { return std::sqrt(x[i]); }, [&](int64_t i) { return sqrtv(load(x + i)); });
}

// out = op(x) over n contiguous elements (x and out may be the same buffer).
inline void unary(ThreadPool& pool, const UnaryParams& u, const float* x, int64_t n, float* out) {
  const bool clamp = u.op == UnaryOp::kClamp || u.op == UnaryOp::kHardtanh;
  const bool large = n >= kStreamingOutputFloats;
  const bool streamClamp = clamp && !(u.a > u.b) && large, streamSqrt = u.op == UnaryOp::kSqrt && large;
  // a and b copied into the body: read through the lambda's references they might alias
  // out, and the loops that use them would not vectorise.
  forChunks(pool, n, [&, a = u.a, b = u.b](int64_t begin, int64_t end) {
    if (streamClamp) return streamedClamp(x + begin, out + begin, end - begin, a, b);
    if (streamSqrt) return streamedSqrt(x + begin, out + begin, end - begin);
    switch (u.op) {
      case UnaryOp::kNeg: for (int64_t i = begin; i < end; ++i) out[i] = -x[i]; break;
      case UnaryOp::kSquare: for (int64_t i = begin; i < end; ++i) out[i] = x[i] * x[i]; break;
      case UnaryOp::kPow: for (int64_t i = begin; i < end; ++i) out[i] = std::pow(x[i], a); break;
      case UnaryOp::kExp: for (int64_t i = begin; i < end; ++i) out[i] = expOf(x[i]); break;
      case UnaryOp::kLog: for (int64_t i = begin; i < end; ++i) out[i] = std::log(x[i]); break;
      case UnaryOp::kSqrt: for (int64_t i = begin; i < end; ++i) out[i] = std::sqrt(x[i]); break;
      case UnaryOp::kRsqrt: for (int64_t i = begin; i < end; ++i) out[i] = 1.0f / std::sqrt(x[i]); break;
      case UnaryOp::kAbs: for (int64_t i = begin; i < end; ++i) out[i] = std::fabs(x[i]); break;
      case UnaryOp::kClamp:
      case UnaryOp::kHardtanh:
        // NaN stays NaN (both comparisons are false), as PyTorch's clamp.
        for (int64_t i = begin; i < end; ++i) out[i] = x[i] < a ? a : (x[i] > b ? b : x[i]);
        break;
      case UnaryOp::kLeakyRelu:
        for (int64_t i = begin; i < end; ++i) {
          // Both sides computed: a product under the condition may not be speculated
          // (it could raise a floating-point exception), and the loop would not vectorise.
          const float v = x[i], scaled = a * v;
          out[i] = v > 0.0f ? v : scaled;
        }
        break;
      case UnaryOp::kSilu: for (int64_t i = begin; i < end; ++i) out[i] = siluOf(x[i]); break;
      case UnaryOp::kGelu: for (int64_t i = begin; i < end; ++i) out[i] = geluOf(x[i]); break;
      case UnaryOp::kGeluTanh: for (int64_t i = begin; i < end; ++i) out[i] = geluTanhOf(x[i]); break;
      case UnaryOp::kHardswish: for (int64_t i = begin; i < end; ++i) out[i] = hardswishOf(x[i]); break;
    }
  });
}

// gx = op'(x) · g, from x and the saved output y (n contiguous elements).
inline void unaryBackward(ThreadPool& pool, const UnaryParams& u, const float* g, const float* x, const float* y,
                          int64_t n, float* gx) {
  forChunks(pool, n, [&, a = u.a, b = u.b](int64_t begin, int64_t end) {
    switch (u.op) {
      case UnaryOp::kNeg: for (int64_t i = begin; i < end; ++i) gx[i] = -g[i]; break;
      case UnaryOp::kSquare: for (int64_t i = begin; i < end; ++i) gx[i] = 2.0f * x[i] * g[i]; break;
      case UnaryOp::kPow:
        // PyTorch: grad · exponent · x^(exponent − 1), and 0 for the exponent 0.
        for (int64_t i = begin; i < end; ++i) gx[i] = a == 0.0f ? 0.0f : g[i] * a * std::pow(x[i], a - 1.0f);
        break;
      case UnaryOp::kExp: for (int64_t i = begin; i < end; ++i) gx[i] = g[i] * y[i]; break;
      case UnaryOp::kLog: for (int64_t i = begin; i < end; ++i) gx[i] = g[i] / x[i]; break;
      case UnaryOp::kSqrt: for (int64_t i = begin; i < end; ++i) gx[i] = g[i] / (2.0f * y[i]); break;
      case UnaryOp::kRsqrt: for (int64_t i = begin; i < end; ++i) gx[i] = -0.5f * g[i] * y[i] * y[i] * y[i]; break;
      case UnaryOp::kAbs:
        for (int64_t i = begin; i < end; ++i) {
          const float gi = g[i];  // read unconditionally: a vector select, not a branch per element
          gx[i] = x[i] > 0.0f ? gi : (x[i] < 0.0f ? -gi : 0.0f);
        }
        break;
      case UnaryOp::kClamp:
        for (int64_t i = begin; i < end; ++i) {
          const float gi = g[i];
          gx[i] = ((x[i] >= a) & (x[i] <= b)) ? gi : 0.0f;  // both compared: no branch
        }
        break;
      case UnaryOp::kLeakyRelu:
        for (int64_t i = begin; i < end; ++i) {
          const float gi = g[i], scaled = a * gi;  // both computed, as in the forward
          gx[i] = x[i] > 0.0f ? gi : scaled;
        }
        break;
      case UnaryOp::kSilu: for (int64_t i = begin; i < end; ++i) gx[i] = g[i] * siluGrad(x[i]); break;
      case UnaryOp::kGelu: for (int64_t i = begin; i < end; ++i) gx[i] = g[i] * geluGrad(x[i]); break;
      case UnaryOp::kGeluTanh: for (int64_t i = begin; i < end; ++i) gx[i] = g[i] * geluTanhGrad(x[i]); break;
      case UnaryOp::kHardswish: for (int64_t i = begin; i < end; ++i) gx[i] = g[i] * hardswishGrad(x[i]); break;
      case UnaryOp::kHardtanh:
        for (int64_t i = begin; i < end; ++i) {
          const float gi = g[i];
          gx[i] = ((x[i] > a) & (x[i] < b)) ? gi : 0.0f;
        }
        break;
    }
  });
}

// ---- reductions ---------------------------------------------------------------------

// A run is reduced in kRunLanes independent float lanes (eight vectors: enough chains to
// hide the adder's latency, where one float64 chain ran at a third of the bandwidth),
// in blocks of at most kRunBlock elements (128 additions a lane with AVX-512), so that
// the float32 partials stay short. A block's eight vectors are added pairwise into one,
// whose lanes go into float64: folding all kRunLanes lanes in float64 cost as much as
// the additions on runs of a few thousand (a mean over (32, 64, 64, 64)'s dims 0, 2, 3
// took twice a whole sum's time). The order depends on n and the ISA only. runSum and
// runExtreme stay out of line: inlined into ReduceWalk's recursion, GCC 12 kept the
// lanes on the stack, a store and a load per addition (a sum over dim 1 of (8, 1M) took
// 1.4 times the whole tensor's sum).
constexpr int kRunLanes = 8 * kLanes;
constexpr int64_t kRunBlock = 16384;

CONVCORE_NOINLINE inline double runSum(const float* x, int64_t n) {
  double total = 0;
  for (int64_t start = 0; start < n; start += kRunBlock) {
    const float* b = x + start;
    const int64_t m = std::min(kRunBlock, n - start);
    Vec lanes[8] = {zero(), zero(), zero(), zero(), zero(), zero(), zero(), zero()};
    int64_t i = 0;
    for (; i + kRunLanes <= m; i += kRunLanes)
      for (int v = 0; v < 8; ++v) lanes[v] = add(lanes[v], load(b + i + v * kLanes));
    const Vec folded = add(add(add(lanes[0], lanes[1]), add(lanes[2], lanes[3])),
                           add(add(lanes[4], lanes[5]), add(lanes[6], lanes[7])));
    float each[kLanes];
    store(each, folded);
    double pairs[kLanes];  // added pairwise: no chain of kLanes dependent additions
    for (int l = 0; l < kLanes; ++l) pairs[l] = each[l];
    for (int width = kLanes / 2; width >= 1; width /= 2)
      for (int l = 0; l < width; ++l) pairs[l] += pairs[l + width];
    double block = pairs[0];
    for (; i < m; ++i) block += b[i];
    total += block;
  }
  return total;
}

// The same lanes for max and min, as vectors (lane l holds elements l, l + kRunLanes, …,
// so the result's bits are those of the scalar lanes). NaN sticks in its lane.
template <bool kMax>
CONVCORE_NOINLINE float runExtreme(const float* x, int64_t n, float acc) {
  constexpr int kVectors = kRunLanes / kLanes;
  Vec lanes[kVectors];
  for (Vec& lane : lanes) lane = broadcast(acc);
  int64_t i = 0;
  for (; i + kRunLanes <= n; i += kRunLanes)
    for (int v = 0; v < kVectors; ++v) {
      const Vec xs = load(x + i + v * kLanes);
      lanes[v] = kMax ? maxPropagatingNaN(xs, lanes[v]) : minPropagatingNaN(xs, lanes[v]);
    }
  float folded[kRunLanes];
  for (int v = 0; v < kVectors; ++v) store(folded + v * kLanes, lanes[v]);
  for (int l = 0; l < kRunLanes; ++l) acc = kMax ? maximumOf(folded[l], acc) : minimumOf(folded[l], acc);
  for (; i < n; ++i) acc = kMax ? maximumOf(x[i], acc) : minimumOf(x[i], acc);
  return acc;
}

inline float runExtreme(bool max, const float* x, int64_t n, float acc) {
  return max ? runExtreme<true>(x, n, acc) : runExtreme<false>(x, n, acc);
}

// One reduction's walk over its input in memory order: acc[o] (sum: float64; max, min:
// float) for the outputs whose first kept coordinate is in [keptBegin, keptEnd).
struct ReduceWalk {
  const ReduceLayout& l;
  const float* x;
  int firstKept;  // the outermost kept dimension (rank when none)
  int64_t inStrides[kMaxLayoutRank] = {}, outStrides[kMaxLayoutRank] = {};
  double* sums = nullptr;
  float* extremes = nullptr;
  int64_t outBase = 0;  // the first output of this walk

  ReduceWalk(const ReduceLayout& layout, const float* input) : l(layout), x(input), firstKept(layout.rank) {
    int64_t in = 1, out = 1;
    for (int d = l.rank - 1; d >= 0; --d) {
      inStrides[d] = in;
      in *= l.sizes[d];
      outStrides[d] = l.reduced[d] ? 0 : out;
      if (!l.reduced[d]) {
        out *= l.sizes[d];
        firstKept = d;
      }
    }
  }

  // Outputs whose first kept coordinate is in [keptBegin, keptEnd): this walk's.
  int64_t keptBegin = 0, keptEnd = 0;

  void walk(int d, int64_t xo, int64_t oo) {
    const int64_t begin = d == firstKept ? keptBegin : 0, end = d == firstKept ? keptEnd : l.sizes[d];
    if (d == l.rank - 1) {
      const float* run = x + xo;
      if (l.reduced[d]) {
        if (sums) sums[oo - outBase] += runSum(run, end);
        else extremes[oo - outBase] = runExtreme(l.op == ReduceOp::kMax, run, end, extremes[oo - outBase]);
      } else if (sums) {
        double* s = sums + (oo - outBase);
        for (int64_t i = begin; i < end; ++i) s[i] += run[i];
      } else {
        float* e = extremes + (oo - outBase);
        if (l.op == ReduceOp::kMax) for (int64_t i = begin; i < end; ++i) e[i] = maximumOf(run[i], e[i]);
        else for (int64_t i = begin; i < end; ++i) e[i] = minimumOf(run[i], e[i]);
      }
      return;
    }
    for (int64_t i = begin; i < end; ++i) walk(d + 1, xo + i * inStrides[d], oo + i * outStrides[d]);
  }
};

// The partial sums (one per output and slice) of a sum walked slice by slice, at most.
constexpr int64_t kSlicePartials = int64_t(1) << 16;

inline void reduce(ThreadPool& pool, const ReduceLayout& l, const float* x, float* out) {
  const int64_t outputs = reducedCount(l), total = layoutCount(l.rank, l.sizes);
  const bool sum = l.op == ReduceOp::kSum;
  const float identity = l.op == ReduceOp::kMax ? -INFINITY : INFINITY;
  if (total == 0) {  // an empty reduction: 0 for a sum (a mean: NaN, 0·∞), ±∞ for max and min
    for (int64_t o = 0; o < outputs; ++o) out[o] = sum ? static_cast<float>(0.0 * l.scale) : identity;
    return;
  }
  ReduceWalk shape(l, x);
  if (shape.firstKept == l.rank) {
    // Everything reduced (one run, the caller having merged the dimensions): fixed
    // chunks of the run, their partial results combined in chunk order.
    const int64_t chunks = (total + kElementChunk - 1) / kElementChunk;
    std::vector<double> partialSums(sum ? chunks : 0);
    std::vector<float> partialExtremes(sum ? 0 : chunks, identity);
    pool.parallelFor(chunks, 1, [&](int64_t first, int64_t last) {
      for (int64_t c = first; c < last; ++c) {
        const int64_t begin = c * kElementChunk, n = std::min(total, begin + kElementChunk) - begin;
        if (sum) partialSums[c] = runSum(x + begin, n);
        else partialExtremes[c] = runExtreme(l.op == ReduceOp::kMax, x + begin, n, identity);
      }
    });
    double s = 0;
    float e = identity;
    for (int64_t c = 0; c < chunks; ++c) {
      if (sum) s += partialSums[c];
      else e = l.op == ReduceOp::kMax ? maximumOf(partialExtremes[c], e) : minimumOf(partialExtremes[c], e);
    }
    out[0] = sum ? static_cast<float>(s * l.scale) : e;
    return;
  }
  // A sum whose outermost dimension is reduced, over few outputs (per-channel sums: a
  // mean over (N, C, H, W)'s dims 0, 2, 3): a task per index of that dimension walks its
  // slice in memory order into partial sums of every output, added in index order (where
  // a slice holds one run per output, the bits of the walk below). Output by output, the
  // walk reads runs a slice apart: 35% slower on one core.
  const int64_t slices = l.sizes[0];
  if (sum && shape.firstKept > 0 && slices >= 2 && outputs * slices <= kSlicePartials) {
    std::vector<double> partials(static_cast<size_t>(slices * outputs), 0.0);
    pool.parallelFor(slices, 1, [&](int64_t first, int64_t last) {
      for (int64_t t = first; t < last; ++t) {
        ReduceWalk walk(l, x);
        walk.sums = partials.data() + t * outputs;
        walk.keptBegin = 0;
        walk.keptEnd = l.sizes[walk.firstKept];
        walk.walk(1, t * walk.inStrides[0], 0);
      }
    });
    for (int64_t o = 0; o < outputs; ++o) {
      double total = 0;
      for (int64_t t = 0; t < slices; ++t) total += partials[t * outputs + o];
      out[o] = static_cast<float>(total * l.scale);
    }
    return;
  }
  // Tasks over ranges of the outermost kept dimension: each output summed by one task,
  // over its reduced coordinates in memory order.
  const int64_t keptSize = l.sizes[shape.firstKept], perKept = outputs / keptSize;
  const int64_t perTask = std::max<int64_t>(1, kElementChunk / std::max<int64_t>(1, total / keptSize));
  const int64_t tasks = (keptSize + perTask - 1) / perTask;
  pool.parallelFor(tasks, 1, [&](int64_t first, int64_t last) {
    for (int64_t t = first; t < last; ++t) {
      const int64_t begin = t * perTask, end = std::min(keptSize, begin + perTask);
      ReduceWalk walk(l, x);
      const int64_t count = (end - begin) * perKept;
      std::vector<double> sums(sum ? count : 0, 0.0);
      std::vector<float> extremes(sum ? 0 : count, identity);
      walk.sums = sum ? sums.data() : nullptr;
      walk.extremes = sum ? nullptr : extremes.data();
      walk.outBase = begin * perKept;
      walk.keptBegin = begin;
      walk.keptEnd = end;
      walk.walk(0, 0, 0);
      for (int64_t o = 0; o < count; ++o)
        out[walk.outBase + o] = sum ? static_cast<float>(sums[o] * l.scale) : extremes[o];
    }
  });
}

// ---- argmax, argmin ---------------------------------------------------------------------
// The index of each output's extreme: the first on ties, the first NaN where there is one
// (as the sequential scan of lib/reference/elementwise.ts, and PyTorch). Exact however it
// is computed, so the split over threads cannot change it.

// Whether v takes over from best: NaN, or strictly more extreme.
template <bool kMax>
inline bool takesOver(float v, float best) {
  return v != v || (kMax ? v > best : v < best);
}

// The extreme of x[0, n) (n ≥ 1) and the index of its first occurrence.
struct ArgExtreme {
  float value;
  int64_t index;
};

// Two passes over a run that stays in L2 (a chunk): its extreme by vectors (runExtreme),
// then the first vector holding it (or, where the extreme is NaN, a NaN), scanned in order.
template <bool kMax>
ArgExtreme runArgExtreme(const float* x, int64_t n) {
  const float value = runExtreme<kMax>(x, n, kMax ? -INFINITY : INFINITY);
  const bool nan = value != value;
  const Vec target = broadcast(value);
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const Vec v = load(x + i);
    if (nan ? anyNaN(v) : anyEqual(v, target)) break;
  }
  for (; i < n; ++i)
    if (nan ? x[i] != x[i] : x[i] == value) break;
  return {value, i};
}

template <bool kMax>
void argReduceAs(ThreadPool& pool, const ArgReduceLayout& l, const float* x, float* out) {
  const int64_t outputs = l.outer * l.inner;
  if (outputs == 0) return;
  if (l.inner == 1) {
    // Runs of `length` contiguous elements, cut into chunks: each chunk's first extreme,
    // then, per output, the chunks' in order (a later one only where strictly better).
    const int64_t chunksPerRun = (l.length + kElementChunk - 1) / kElementChunk;
    std::vector<ArgExtreme> partial(static_cast<size_t>(outputs * chunksPerRun));
    pool.parallelFor(outputs * chunksPerRun, 1, [&](int64_t first, int64_t last) {
      for (int64_t t = first; t < last; ++t) {
        const int64_t o = t / chunksPerRun, c = t % chunksPerRun;
        const int64_t begin = c * kElementChunk, n = std::min(l.length, begin + kElementChunk) - begin;
        const ArgExtreme e = runArgExtreme<kMax>(x + o * l.length + begin, n);
        partial[t] = {e.value, begin + e.index};
      }
    });
    for (int64_t o = 0; o < outputs; ++o) {
      ArgExtreme best = partial[o * chunksPerRun];
      for (int64_t c = 1; c < chunksPerRun && best.value == best.value; ++c)
        if (takesOver<kMax>(partial[o * chunksPerRun + c].value, best.value)) best = partial[o * chunksPerRun + c];
      out[o] = static_cast<float>(best.index);
    }
    return;
  }
  // Strided: outputs side by side, each row of `inner` compared with the best so far.
  const int64_t span = std::max<int64_t>(1, std::min(l.inner, kElementChunk / std::max<int64_t>(1, l.length)));
  const int64_t spansPerOuter = (l.inner + span - 1) / span;
  pool.parallelFor(l.outer * spansPerOuter, 1, [&](int64_t first, int64_t last) {
    std::vector<float> best(static_cast<size_t>(span));
    for (int64_t t = first; t < last; ++t) {
      const int64_t o = t / spansPerOuter, i0 = t % spansPerOuter * span, width = std::min(span, l.inner - i0);
      const float* base = x + o * l.length * l.inner + i0;
      float* at = out + o * l.inner + i0;
      for (int64_t i = 0; i < width; ++i) {
        best[i] = base[i];
        at[i] = 0.0f;
      }
      for (int64_t k = 1; k < l.length; ++k) {
        const float* row = base + k * l.inner;
        const float index = static_cast<float>(k);
        // Both stores unconditional, so that the compiler keeps the loop in vectors.
        for (int64_t i = 0; i < width; ++i) {
          const float b = best[i], v = row[i];
          const bool take = (b == b) & takesOver<kMax>(v, b);
          best[i] = take ? v : b;
          at[i] = take ? index : at[i];
        }
      }
    }
  });
}

inline void argReduce(ThreadPool& pool, const ArgReduceLayout& l, const float* x, float* out) {
  if (l.max) argReduceAs<true>(pool, l, x, out);
  else argReduceAs<false>(pool, l, x, out);
}

}  // namespace elementwise
