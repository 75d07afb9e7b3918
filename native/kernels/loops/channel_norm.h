// Per-channel moments, gradient sums and affine maps over [outer, channels, inner]
// (channel_norm.h). Memory-bound: one read of the data per statistic pass, one read and
// one write per affine pass. Sums run in float lanes over short blocks added into
// float64 partials, one per task, combined in task order: tasks are fixed by the
// layout, so the bits do not depend on the thread count.
// Part of engine_impl.h (ISA namespace).
#pragma once

namespace channel_norm {

// Below this inner size a channel's runs are too short to sum one by one: tasks take
// whole outer rows and sum the plane element by element instead (and the affine map
// runs along whole planes, with its coefficients spread over the plane).
constexpr int64_t kShortRun = 32;
constexpr int kSumLanes = 2 * kLanes;
// Float sums take at most about this many elements per lane group before they are added
// into float64.
constexpr int64_t kSumBlock = 2048;

// A task's running sums Σd and Σd·e: float lanes, added into float64 every kSumBlock
// elements, so that many short runs cost one horizontal sum, not one each.
struct LaneSums {
  float l1[kSumLanes] = {}, l2[kSumLanes] = {};
  int64_t pending = 0;
  double s1 = 0, s2 = 0;

  void flush() {
    double b1 = 0, b2 = 0;
    for (int l = 0; l < kSumLanes; ++l) {
      b1 += l1[l];
      b2 += l2[l];
      l1[l] = l2[l] = 0.0f;
    }
    s1 += b1;
    s2 += b2;
    pending = 0;
  }

  // Adds Σ(p[i] − shift) and Σ(p[i] − shift)·(q[i] − qShift) over n elements. With q = p
  // (and qShift = shift), the second is the sum of squares about the shift.
  void add(const float* p, float shift, const float* q, float qShift, int64_t n) {
    for (int64_t start = 0; start < n; start += kSumBlock) {
      const int64_t m = std::min(kSumBlock, n - start);
      const float* pb = p + start;
      const float* qb = q + start;
      int64_t i = 0;
      for (; i + kSumLanes <= m; i += kSumLanes) {
        for (int l = 0; l < kSumLanes; ++l) {
          const float d = pb[i + l] - shift;
          l1[l] += d;
          l2[l] += d * (qb[i + l] - qShift);
        }
      }
      for (int l = 0; i + l < m; ++l) {
        const float d = pb[i + l] - shift;
        l1[l] += d;
        l2[l] += d * (qb[i + l] - qShift);
      }
      pending += m;
      if (pending >= kSumBlock) flush();
    }
  }
};

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
        LaneSums sums;
        for (int64_t o = begin; o < end; ++o) {
          const int64_t at = o * plane + c * S;
          sums.add(p + at, pShift[c], q + at, qShift[c], S);
        }
        sums.flush();
        partial[2 * t] = sums.s1;
        partial[2 * t + 1] = sums.s2;
      }
    });
    for (int64_t t = 0; t < C * blocks; ++t) {
      s1[t / blocks] += partial[2 * t];
      s2[t / blocks] += partial[2 * t + 1];
    }
    return;
  }
  // Short runs: tasks over blocks of outer rows (at most kMaxBlocks, so the partials stay
  // a bounded multiple of one plane). Each sums its rows element by element along the
  // plane (the shifts spread over it), in float over groups of kRowGroup rows, each
  // group then added into the task's float64 partial for that element.
  constexpr int64_t kMaxBlocks = 64, kRowGroup = 16, kColumns = 512;
  const int64_t wanted = (l.outer * plane + kElementChunk - 1) / kElementChunk;
  const int64_t blocks = std::max<int64_t>(1, std::min({wanted, kMaxBlocks, l.outer}));
  const int64_t perTask = (l.outer + blocks - 1) / blocks;
  std::vector<float> pShifts(static_cast<size_t>(plane)), qShifts(static_cast<size_t>(plane));
  for (int64_t c = 0; c < C; ++c)
    for (int64_t s = 0; s < S; ++s) {
      pShifts[c * S + s] = pShift[c];
      qShifts[c * S + s] = qShift[c];
    }
  std::vector<double> partial(static_cast<size_t>(2 * plane * blocks), 0.0);
  pool.parallelFor(blocks, 1, [&](int64_t first, int64_t last) {
    alignas(64) float f1[kColumns], f2[kColumns];
    for (int64_t block = first; block < last; ++block) {
      double* a = partial.data() + 2 * plane * block;
      double* b = a + plane;
      const int64_t begin = block * perTask, end = std::min(l.outer, begin + perTask);
      for (int64_t j0 = 0; j0 < plane; j0 += kColumns) {
        const int64_t n = std::min(kColumns, plane - j0);
        const float* ps = pShifts.data() + j0;
        const float* qs = qShifts.data() + j0;
        for (int64_t o0 = begin; o0 < end; o0 += kRowGroup) {
          fillZero(f1, n);
          fillZero(f2, n);
          for (int64_t o = o0; o < std::min(end, o0 + kRowGroup); ++o) {
            const float* pr = p + o * plane + j0;
            const float* qr = q + o * plane + j0;
            for (int64_t j = 0; j < n; ++j) {
              const float d = pr[j] - ps[j];
              f1[j] += d;
              f2[j] += d * (qr[j] - qs[j]);
            }
          }
          for (int64_t j = 0; j < n; ++j) {
            a[j0 + j] += f1[j];
            b[j0 + j] += f2[j];
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
  if (S < kShortRun) {
    // Short runs: whole planes [channels × inner] at a time, with a coefficient per element
    // (spread over the plane unless inner is 1).
    const int64_t plane = C * S;
    std::vector<float> spread(S == 1 ? 0 : static_cast<size_t>(4 * plane));
    auto perElement = [&](const float* perChannel, int64_t k) -> const float* {
      if (perChannel == nullptr || S == 1) return perChannel;
      float* dst = spread.data() + k * plane;
      for (int64_t c = 0; c < C; ++c)
        for (int64_t s = 0; s < S; ++s) dst[c * S + s] = perChannel[c];
      return dst;
    };
    const float* A = perElement(t.u == nullptr ? nullptr : t.a, 0);
    const float* B = perElement(t.v == nullptr ? nullptr : t.b, 1);
    const float* M = perElement(t.v == nullptr ? nullptr : t.m, 2);
    const float* D = perElement(t.d, 3);
    const int64_t rowsPerTask = std::max<int64_t>(1, kElementChunk / plane);
    const int64_t tasks = (l.outer + rowsPerTask - 1) / rowsPerTask;
    pool.parallelFor(tasks, 1, [&](int64_t first, int64_t last) {
      for (int64_t o = first * rowsPerTask; o < std::min(l.outer, last * rowsPerTask); ++o) {
        const float* ur = t.u == nullptr ? nullptr : t.u + o * plane;
        const float* vr = t.v == nullptr ? nullptr : t.v + o * plane;
        float* orow = out + o * plane;
        if (ur == nullptr) {
          for (int64_t j = 0; j < plane; ++j) orow[j] = B[j] * (vr[j] - M[j]) + D[j];
        } else if (vr == nullptr) {
          for (int64_t j = 0; j < plane; ++j) orow[j] = A[j] * ur[j] + D[j];
        } else {
          for (int64_t j = 0; j < plane; ++j) orow[j] = A[j] * ur[j] + B[j] * (vr[j] - M[j]) + D[j];
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
