#include "padded_taps.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "row_range.h"

namespace convcore {

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

bool isFinite(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return (bits & 0x7f800000u) != 0x7f800000u;  // exponent all ones: ±∞ or NaN
}

// The outputs [begin, end) along one axis at which a tap reads the input; the others
// read padding.
struct Inside {
  int64_t begin, end;
  bool contains(int64_t o) const { return o >= begin && o < end; }
};

// One axis of the convolution: which outputs each of its taps reads inside the input.
struct Axis {
  int64_t in, out, kernel, stride, pad, dilation;

  Inside tap(int64_t k) const {
    const ColumnRange r = validColumns(k * dilation - pad, stride, in, out);
    const int64_t begin = std::min(r.begin, out);
    return {begin, std::max(begin, std::min(r.end, out))};
  }
  // Where every tap reads inside: the first tap's start (later taps start earlier) up to
  // the last tap's end (earlier taps end later).
  Inside interior() const {
    const Inside first = tap(0), last = tap(kernel - 1);
    return {first.begin, std::max(first.begin, last.end)};
  }
  bool padded() const {
    const Inside all = interior();
    return all.begin > 0 || all.end < out;
  }
  // uncovered[o]: no tap reads inside at output o (the kernel fits in the padding there).
  bool uncovered(std::vector<char>& uncovered) const {
    uncovered.assign(static_cast<size_t>(out), 1);
    for (int64_t k = 0; k < kernel; ++k) {
      const Inside r = tap(k);
      std::fill(uncovered.begin() + r.begin, uncovered.begin() + r.end, 0);
    }
    return std::find(uncovered.begin(), uncovered.end(), 1) != uncovered.end();
  }
};

struct Axes {
  Axis depth, height, width;
  explicit Axes(const VolumeParams& v)
      : depth{v.inDepth, v.outDepth, v.kernelDepth, v.strideD, v.padFront, v.dilationD},
        height{v.plane.inHeight, v.plane.outHeight, v.plane.kernelHeight, v.plane.strideH, v.plane.padTop, v.plane.dilationH},
        width{v.plane.inWidth, v.plane.outWidth, v.plane.kernelWidth, v.plane.strideW, v.plane.padLeft, v.plane.dilationW} {}
  bool padded() const { return depth.padded() || height.padded() || width.padded(); }
  // Whether tap t (kd, kh, kw in row-major order) reads padding at (od, oh, ow).
  bool tapReadsPadding(int64_t t, int64_t od, int64_t oh, int64_t ow) const {
    return !depth.tap(t / (height.kernel * width.kernel)).contains(od) ||
           !height.tap((t / width.kernel) % height.kernel).contains(oh) || !width.tap(t % width.kernel).contains(ow);
  }
};

int64_t tapCount(const VolumeParams& v) { return v.kernelDepth * v.plane.kernelHeight * v.plane.kernelWidth; }

}  // namespace

bool allFinite(const float* data, int64_t count) {
  // An OR over whole blocks (no early exit inside one) lets the compiler vectorise it.
  constexpr int64_t kBlock = 4096;
  for (int64_t start = 0; start < count; start += kBlock) {
    const int64_t end = std::min(count, start + kBlock);
    uint32_t special = 0;
    for (int64_t i = start; i < end; ++i) special |= static_cast<uint32_t>(!isFinite(data[i]));
    if (special) return false;
  }
  return true;
}

void markPaddedTapsInOutput(const VolumeParams& v, const float* weight, float* output) {
  const Axes axes(v);
  if (!axes.padded() || allFinite(weight, v.weightSize())) return;
  const ConvParams& p = v.plane;
  const int64_t taps = tapCount(v), Cg = p.inChannelsPerGroup(), KH = p.kernelHeight, KW = p.kernelWidth;
  const int64_t O = p.outChannels, OD = v.outDepth, OH = p.outHeight, OW = p.outWidth;
  std::vector<char> bad(static_cast<size_t>(taps));
  for (int64_t o = 0; o < O; ++o) {
    // The taps with a non-finite weight for any input channel: padding is zero in all.
    std::fill(bad.begin(), bad.end(), 0);
    for (int64_t c = 0; c < Cg; ++c)
      for (int64_t t = 0; t < taps; ++t)
        if (!isFinite(weight[(o * Cg + c) * taps + t])) bad[t] = 1;
    for (int64_t t = 0; t < taps; ++t) {
      if (!bad[t]) continue;
      const Inside d = axes.depth.tap(t / (KH * KW)), h = axes.height.tap((t / KW) % KH), w = axes.width.tap(t % KW);
      for (int64_t n = 0; n < p.batch; ++n)
        for (int64_t od = 0; od < OD; ++od)
          for (int64_t oh = 0; oh < OH; ++oh) {
            float* row = output + (((n * O + o) * OD + od) * OH + oh) * OW;
            if (!d.contains(od) || !h.contains(oh)) {
              std::fill(row, row + OW, kNaN);
            } else {
              std::fill(row, row + w.begin, kNaN);
              std::fill(row + w.end, row + OW, kNaN);
            }
          }
    }
  }
}

void markPaddedTapsInWeightGrad(const VolumeParams& v, const float* gradOutput, float* gradWeight, bool knownFinite) {
  const Axes axes(v);
  if (!axes.padded()) return;
  const ConvParams& p = v.plane;
  const int64_t taps = tapCount(v), Cg = p.inChannelsPerGroup();
  const int64_t O = p.outChannels, OD = v.outDepth, OH = p.outHeight, OW = p.outWidth;
  const Inside id = axes.depth.interior(), ih = axes.height.interior(), iw = axes.width.interior();
  // A non-finite gradient where some tap reads inside already makes that tap's sums
  // non-finite, for every input channel (∞ · x is ±∞ or NaN, 0 included). So an output
  // channel whose weight gradient is all finite has finite gradients wherever a tap
  // reads inside, and only the outputs no tap reads inside at need looking at: usually
  // none. That keeps this pass off the border's cache lines in the common case.
  std::vector<char> ud, uh, uw;
  const bool d = axes.depth.uncovered(ud), h = axes.height.uncovered(uh), w = axes.width.uncovered(uw);
  const bool anyUncovered = d || h || w;
  if (knownFinite && !anyUncovered) return;
  std::vector<char> bad;
  for (int64_t o = 0; o < O; ++o) {
    const bool finite = knownFinite || allFinite(gradWeight + o * Cg * taps, Cg * taps);
    if (finite && !anyUncovered) continue;
    bool any = false;
    // A non-finite gradient at (od, oh, ow) poisons every tap that reads padding there.
    auto look = [&](const float* row, int64_t od, int64_t oh, int64_t ow) {
      if (isFinite(row[ow])) return;
      if (!any) bad.assign(static_cast<size_t>(taps), 0);
      any = true;
      for (int64_t t = 0; t < taps; ++t)
        if (axes.tapReadsPadding(t, od, oh, ow)) bad[t] = 1;
    };
    for (int64_t n = 0; n < p.batch; ++n)
      for (int64_t od = 0; od < OD; ++od)
        for (int64_t oh = 0; oh < OH; ++oh) {
          const float* row = gradOutput + (((n * O + o) * OD + od) * OH + oh) * OW;
          const bool wholeRow = finite ? ud[od] || uh[oh] : !id.contains(od) || !ih.contains(oh);
          if (wholeRow) {
            if (allFinite(row, OW)) continue;
            for (int64_t ow = 0; ow < OW; ++ow) look(row, od, oh, ow);
          } else if (finite) {
            if (w) for (int64_t ow = 0; ow < OW; ++ow) if (uw[ow]) look(row, od, oh, ow);
          } else {
            for (int64_t ow = 0; ow < iw.begin; ++ow) look(row, od, oh, ow);
            for (int64_t ow = iw.end; ow < OW; ++ow) look(row, od, oh, ow);
          }
        }
    if (!any) continue;
    for (int64_t c = 0; c < Cg; ++c)
      for (int64_t t = 0; t < taps; ++t)
        if (bad[t]) gradWeight[(o * Cg + c) * taps + t] = kNaN;
  }
}

}  // namespace convcore
