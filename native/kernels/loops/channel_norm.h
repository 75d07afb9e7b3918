// Per-channel moments, gradient sums and affine maps over [outer, channels, inner]
// (channel_norm.h). Memory-bound: one read of the data per statistic pass, one read and
// one write per affine pass. Sums run in float lanes over short blocks added into
// float64 partials, one per task, combined in task order: tasks are fixed by the
// layout, so the bits do not depend on the thread count.
// Part of engine_impl.h (ISA namespace).
#pragma once

namespace channel_norm {

// Below this inner size a channel's runs are too short to sum one by one: tasks take
// whole outer rows and keep a float64 partial per (channel, inner) element instead.
constexpr int64_t kShortRun = 32;
constexpr int kSumLanes = 2 * kLanes;
constexpr int64_t kSumBlock = 2048;

// Σ(p[i] − shift) and Σ(p[i] − shift)·(q[i] − qShift) over n elements, added to s1, s2.
// With q = p (and qShift = shift), s2 is the sum of squares about the shift.
inline void shiftedSums(const float* p, float shift, const float* q, float qShift, int64_t n, double& s1,
                        double& s2) {
  for (int64_t start = 0; start < n; start += kSumBlock) {
    const int64_t m = std::min(kSumBlock, n - start);
    const float* pb = p + start;
    const float* qb = q + start;
    float l1[kSumLanes] = {}, l2[kSumLanes] = {};
    int64_t i = 0;
    for (; i + kSumLanes <= m; i += kSumLanes) {
      for (int l = 0; l < kSumLanes; ++l) {
        const float d = pb[i + l] - shift;
        l1[l] += d;
        l2[l] += d * (qb[i + l] - qShift);
      }
    }
    double b1 = 0, b2 = 0;
    for (int l = 0; l < kSumLanes; ++l) {
      b1 += l1[l];
      b2 += l2[l];
    }
    for (; i < m; ++i) {
      const float d = pb[i] - shift;
      b1 += d;
      b2 += static_cast<double>(d) * (qb[i] - qShift);
    }
    s1 += b1;
    s2 += b2;
  }
}

// For each channel c: s1[c] = Σ(p − pShift[c]), s2[c] = Σ(p − pShift[c])·(q − qShift[c])
// over outer × inner, in a fixed order.
inline void channelSums(ThreadPool& pool, const ChannelLayout& l, const float* p, const float* pShift,
                        const float* q, const float* qShift, double* s1, double* s2) {
  const int64_t C = l.channels, S = l.inner, plane = C * S;
  for (int64_t c = 0; c < C; ++c) s1[c] = s2[c] = 0;
  if (l.outer == 0 || plane == 0) return;
  if (S >= kShortRun) {
    // Tasks: (channel, block of outer rows), each summing its runs one after another.
    const int64_t perTask = std::max<int64_t>(1, kElementChunk / S);
    const int64_t blocks = (l.outer + perTask - 1) / perTask;
    std::vector<double> partial(static_cast<size_t>(2 * C * blocks));
    pool.parallelFor(C * blocks, 1, [&](int64_t first, int64_t last) {
      for (int64_t t = first; t < last; ++t) {
        const int64_t c = t / blocks, block = t % blocks;
        const int64_t begin = block * perTask, end = std::min(l.outer, begin + perTask);
        double a = 0, b = 0;
        for (int64_t o = begin; o < end; ++o) {
          const int64_t at = o * plane + c * S;
          shiftedSums(p + at, pShift[c], q + at, qShift[c], S, a, b);
        }
        partial[2 * t] = a;
        partial[2 * t + 1] = b;
      }
    });
    for (int64_t t = 0; t < C * blocks; ++t) {
      s1[t / blocks] += partial[2 * t];
      s2[t / blocks] += partial[2 * t + 1];
    }
    return;
  }
  // Short runs: tasks over blocks of outer rows (at most kMaxBlocks, so the partials stay
  // a bounded multiple of one plane), each adding every element into its (c, s) slot.
  constexpr int64_t kMaxBlocks = 64;
  const int64_t wanted = (l.outer * plane + kElementChunk - 1) / kElementChunk;
  const int64_t blocks = std::max<int64_t>(1, std::min({wanted, kMaxBlocks, l.outer}));
  const int64_t perTask = (l.outer + blocks - 1) / blocks;
  std::vector<double> partial(static_cast<size_t>(2 * plane * blocks), 0.0);
  pool.parallelFor(blocks, 1, [&](int64_t first, int64_t last) {
    for (int64_t block = first; block < last; ++block) {
      double* a = partial.data() + 2 * plane * block;
      double* b = a + plane;
      const int64_t begin = block * perTask, end = std::min(l.outer, begin + perTask);
      for (int64_t o = begin; o < end; ++o) {
        const float* pr = p + o * plane;
        const float* qr = q + o * plane;
        for (int64_t c = 0; c < C; ++c) {
          for (int64_t s = 0; s < S; ++s) {
            const float d = pr[c * S + s] - pShift[c];
            a[c * S + s] += d;
            b[c * S + s] += static_cast<double>(d) * (qr[c * S + s] - qShift[c]);
          }
        }
      }
    }
  });
  for (int64_t block = 0; block < blocks; ++block) {
    const double* a = partial.data() + 2 * plane * block;
    const double* b = a + plane;
    for (int64_t c = 0; c < C; ++c) {
      for (int64_t s = 0; s < S; ++s) {
        s1[c] += a[c * S + s];
        s2[c] += b[c * S + s];
      }
    }
  }
}

inline void moments(ThreadPool& pool, const ChannelLayout& l, const float* x, float* mean, float* variance) {
  const int64_t C = l.channels, count = l.outer * l.inner;
  // Sums about each channel's first element: close enough to the mean that the sum of
  // squares does not cancel (a plain Σx² − (Σx)²/n loses everything on data far from 0).
  std::vector<float> shift(static_cast<size_t>(C), 0.0f);
  if (count > 0)
    for (int64_t c = 0; c < C; ++c) shift[c] = x[c * l.inner];
  std::vector<double> s1(static_cast<size_t>(C)), s2(static_cast<size_t>(C));
  channelSums(pool, l, x, shift.data(), x, shift.data(), s1.data(), s2.data());
  for (int64_t c = 0; c < C; ++c) {
    const double m = s1[c] / static_cast<double>(count);
    const double v = s2[c] / static_cast<double>(count) - m * m;
    mean[c] = static_cast<float>(shift[c] + m);
    variance[c] = static_cast<float>(v > 0 || v != v ? v : 0.0);  // rounding can dip below 0; NaN stays
  }
}

inline void gradSums(ThreadPool& pool, const ChannelLayout& l, const float* g, const float* x, const float* mean,
                     float* sumG, float* sumGX) {
  const int64_t C = l.channels;
  const std::vector<float> zeros(static_cast<size_t>(C), 0.0f);
  std::vector<double> s1(static_cast<size_t>(C)), s2(static_cast<size_t>(C));
  // Σ g and Σ g·(x − mean): g about 0, x about its mean.
  channelSums(pool, l, g, zeros.data(), x, mean, s1.data(), s2.data());
  for (int64_t c = 0; c < C; ++c) {
    sumG[c] = static_cast<float>(s1[c]);
    sumGX[c] = static_cast<float>(s2[c]);
  }
}

// One row of n elements: out = a·u + b·(v − m) + d, with the terms the row has.
inline void affineRow(const float* u, float a, const float* v, float b, float m, float d, int64_t n, float* out) {
  if (u == nullptr) {
    for (int64_t s = 0; s < n; ++s) out[s] = b * (v[s] - m) + d;
  } else if (v == nullptr) {
    for (int64_t s = 0; s < n; ++s) out[s] = a * u[s] + d;
  } else {
    for (int64_t s = 0; s < n; ++s) out[s] = a * u[s] + b * (v[s] - m) + d;
  }
}

inline void affine(ThreadPool& pool, const ChannelLayout& l, const ChannelAffineTerms& t, float* out) {
  const int64_t C = l.channels, S = l.inner, total = l.outer * C * S;
  if (total == 0) return;
  if (S == 1) {
    // [outer, channels]: rows of C with a coefficient per element.
    const int64_t rowsPerTask = std::max<int64_t>(1, kElementChunk / C);
    const int64_t tasks = (l.outer + rowsPerTask - 1) / rowsPerTask;
    pool.parallelFor(tasks, 1, [&](int64_t first, int64_t last) {
      for (int64_t o = first * rowsPerTask; o < std::min(l.outer, last * rowsPerTask); ++o) {
        const float* ur = t.u == nullptr ? nullptr : t.u + o * C;
        const float* vr = t.v == nullptr ? nullptr : t.v + o * C;
        float* orow = out + o * C;
        if (ur == nullptr) {
          for (int64_t c = 0; c < C; ++c) orow[c] = t.b[c] * (vr[c] - t.m[c]) + t.d[c];
        } else if (vr == nullptr) {
          for (int64_t c = 0; c < C; ++c) orow[c] = t.a[c] * ur[c] + t.d[c];
        } else {
          for (int64_t c = 0; c < C; ++c) orow[c] = t.a[c] * ur[c] + t.b[c] * (vr[c] - t.m[c]) + t.d[c];
        }
      }
    });
    return;
  }
  // Rows (o, c) of S elements with one coefficient set each.
  const int64_t rows = l.outer * C;
  const int64_t rowsPerTask = std::max<int64_t>(1, kElementChunk / S);
  const int64_t tasks = (rows + rowsPerTask - 1) / rowsPerTask;
  pool.parallelFor(tasks, 1, [&](int64_t first, int64_t last) {
    for (int64_t r = first * rowsPerTask; r < std::min(rows, last * rowsPerTask); ++r) {
      const int64_t c = r % C;
      affineRow(t.u == nullptr ? nullptr : t.u + r * S, t.u == nullptr ? 0.0f : t.a[c],
                t.v == nullptr ? nullptr : t.v + r * S, t.v == nullptr ? 0.0f : t.b[c],
                t.v == nullptr ? 0.0f : t.m[c], t.d[c], S, out + r * S);
    }
  });
}

}  // namespace channel_norm
