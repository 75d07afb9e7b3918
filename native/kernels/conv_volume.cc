#include "conv_volume.h"

#include <algorithm>

#include "conv2d.h"
#include "padded_taps.h"
#include "scratch.h"
#include "small_image.h"

namespace convcore {

namespace {

// Output depths handled by one 2-D call (a batch of slabs): enough to give every thread
// work and to pack the weights once, within a bounded scratch of 4 MB of slab (shape-
// determined, so the results do not depend on the thread count).
constexpr int64_t kSlabBudgetFloats = int64_t(1) << 20;

// The most output depths one call takes.
int64_t depthsPerCall(const VolumeParams& p) {
  const int64_t slab = p.plane.inChannels * p.kernelDepth * p.plane.inHeight * p.plane.inWidth;
  return std::max<int64_t>(1, std::min(p.outDepth, kSlabBudgetFloats / std::max<int64_t>(1, slab)));
}

// The 2-D convolution of `depths` output depths: a batch of slabs with C·KD channels.
ConvParams slabParams(const VolumeParams& p, int64_t depths) {
  ConvParams s = p.plane;
  s.batch = depths;
  s.inChannels = p.plane.inChannels * p.kernelDepth;
  return s;
}

int64_t planeIn(const VolumeParams& p) { return p.plane.inHeight * p.plane.inWidth; }
int64_t planeOut(const VolumeParams& p) { return p.plane.outHeight * p.plane.outWidth; }

// The input depth that depth tap kd of output depth od reads, or -1 (padding).
int64_t inputDepth(const VolumeParams& p, int64_t od, int64_t kd) {
  const int64_t d = od * p.strideD - p.padFront + kd * p.dilationD;
  return d >= 0 && d < p.inDepth ? d : -1;
}

// slab[(c·KD + kd)] = input[n][c][depth read by (od, kd)], zero planes for padding.
void gatherSlab(const VolumeParams& p, const float* input, int64_t n, int64_t od, float* slab) {
  const int64_t C = p.plane.inChannels, KD = p.kernelDepth, plane = planeIn(p);
  for (int64_t c = 0; c < C; ++c) {
    for (int64_t kd = 0; kd < KD; ++kd) {
      float* dst = slab + (c * KD + kd) * plane;
      const int64_t d = inputDepth(p, od, kd);
      if (d < 0) {
        for (int64_t i = 0; i < plane; ++i) dst[i] = 0.0f;
      } else {
        const float* src = input + ((n * C + c) * p.inDepth + d) * plane;
        for (int64_t i = 0; i < plane; ++i) dst[i] = src[i];
      }
    }
  }
}

// out2d[o] = gradOutput[n][o][od]: the output gradient of one depth, made contiguous.
void gatherOutputDepth(const VolumeParams& p, const float* gradOutput, int64_t n, int64_t od, float* out2d) {
  const int64_t O = p.plane.outChannels, plane = planeOut(p);
  for (int64_t o = 0; o < O; ++o) {
    const float* src = gradOutput + ((n * O + o) * p.outDepth + od) * plane;
    for (int64_t i = 0; i < plane; ++i) out2d[o * plane + i] = src[i];
  }
}

// The input planes of `count` output depths from od0 of image n, in place:
// table[(i · C + c) · KD + kd] = the plane slab i's channel (c, kd) reads, or null (the GEMM
// paths read them so, uncopied).
const float* const* inputPlaneTable(const VolumeParams& p, const float* input, int64_t n, int64_t od0,
                                    int64_t count) {
  const int64_t C = p.plane.inChannels, KD = p.kernelDepth, plane = planeIn(p);
  const float** table = reinterpret_cast<const float**>(
      scratch(ScratchSlot::kSlab, static_cast<size_t>(2 * depthsPerCall(p) * C * KD)));
  for (int64_t i = 0; i < count; ++i)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t kd = 0; kd < KD; ++kd) {
        const int64_t d = inputDepth(p, od0 + i, kd);
        table[(i * C + c) * KD + kd] = d < 0 ? nullptr : input + ((n * C + c) * p.inDepth + d) * plane;
      }
  return table;
}

// gradOutput's planes of `count` output depths from od0 of image n, in place:
// table[i · O + o] = plane o of depth od0 + i (the GEMM paths read them so, uncopied).
const float* const* gradPlaneTable(const VolumeParams& p, const float* gradOutput, int64_t n, int64_t od0,
                                   int64_t count) {
  const int64_t O = p.plane.outChannels, plane = planeOut(p);
  const float** table = reinterpret_cast<const float**>(
      scratch(ScratchSlot::kSlabOutput, static_cast<size_t>(2 * depthsPerCall(p) * O)));
  for (int64_t i = 0; i < count; ++i)
    for (int64_t o = 0; o < O; ++o) table[i * O + o] = gradOutput + ((n * O + o) * p.outDepth + od0 + i) * plane;
  return table;
}

// Calls fn(n, od0, count) for batches of consecutive output depths of each image, as
// few as depthsPerCall allows and of sizes differing by at most one (32 depths in
// batches of at most 5: 5,5,5,5,4,4,4 rather than a last call of 2 leaving a thread idle).
template <typename Fn>
void forEachDepthBatch(const VolumeParams& p, const Fn& fn) {
  const int64_t calls = (p.outDepth + depthsPerCall(p) - 1) / depthsPerCall(p);
  for (int64_t n = 0; n < p.plane.batch; ++n)
    for (int64_t i = 0; i < calls; ++i) {
      const int64_t od0 = i * p.outDepth / calls, od1 = (i + 1) * p.outDepth / calls;
      fn(n, od0, od1 - od0);
    }
}

void forwardOfSlabs(ThreadPool& pool, const VolumeParams& p, const float* input, const float* weight,
                    const float* bias, float* output) {
  const int64_t O = p.plane.outChannels, plane = planeOut(p), batch = depthsPerCall(p);
  const ConvParams one = slabParams(p, 1);
  // The GEMM path reads the slabs' planes where they are, through a table, and writes
  // each depth's planes straight into the output (its images a plane apart, its channels
  // outDepth planes apart); the direct path needs them copied in and out.
  const bool inPlace = forwardUsesGemm(one);
  float* slabs = inPlace ? nullptr : scratch(ScratchSlot::kSlab, static_cast<size_t>(one.inputSize() * batch));
  float* out2d = inPlace ? nullptr : scratch(ScratchSlot::kSlabOutput, static_cast<size_t>(one.outputSize() * batch));
  forEachDepthBatch(p, [&](int64_t n, int64_t od0, int64_t count) {
    ConvParams s = slabParams(p, count);
    if (inPlace) {
      s.planeTable = inputPlaneTable(p, input, n, od0, count);
      s.outImageStride = plane;
      s.outChannelStride = p.outDepth * plane;
      conv2dForward(pool, s, nullptr, weight, bias, output + (n * O * p.outDepth + od0) * plane);
      return;
    }
    // The copies in and out run on the pool too, so the second thread does not idle.
    pool.parallelFor(count, 1, [&](int64_t first, int64_t last) {
      for (int64_t i = first; i < last; ++i) gatherSlab(p, input, n, od0 + i, slabs + i * one.inputSize());
    });
    conv2dForward(pool, s, slabs, weight, bias, out2d);
    pool.parallelFor(count * O, 1, [&](int64_t first, int64_t last) {
      for (int64_t t = first; t < last; ++t) {
        const int64_t i = t / O, o = t % O;
        float* dst = output + ((n * O + o) * p.outDepth + od0 + i) * plane;
        const float* src = out2d + (i * O + o) * plane;
        for (int64_t j = 0; j < plane; ++j) dst[j] = src[j];
      }
    });
  });
}

}  // namespace

void convForward(ThreadPool& pool, const VolumeParams& p, const float* input, const float* weight,
                 const float* bias, float* output) {
  bool weightsFinite = false;
  if (p.flat()) weightsFinite = conv2dForward(pool, p.plane, input, weight, bias, output);
  else forwardOfSlabs(pool, p, input, weight, bias, output);
  if (!weightsFinite) markPaddedTapsInOutput(p, weight, output);
}

void convBackwardData(ThreadPool& pool, const VolumeParams& p, const float* gradOutput,
                      const float* weight, float* gradInput) {
  if (p.flat()) return conv2dBackwardData(pool, p.plane, gradOutput, weight, gradInput);
  const int64_t C = p.plane.inChannels, KD = p.kernelDepth, plane = planeIn(p), batch = depthsPerCall(p);
  const ConvParams one = slabParams(p, 1);
  // The GEMM forward over gradOutput reads its planes in place; the other 2-D paths
  // (and any with a non-finite weight: dispatch.cc) need them copied together.
  const bool table = !smallImageConv(one) && backwardDataUsesForwardGemm(one) && allFinite(weight, p.weightSize());
  for (int64_t i = 0; i < p.inputSize(); ++i) gradInput[i] = 0.0f;
  float* out2d = table ? nullptr : scratch(ScratchSlot::kSlabOutput, static_cast<size_t>(one.outputSize() * batch));
  float* slabGrad = scratch(ScratchSlot::kSlabGrad, static_cast<size_t>(one.inputSize() * batch));
  // Output depths in order: each adds its slab gradient into the input depths it read.
  forEachDepthBatch(p, [&](int64_t n, int64_t od0, int64_t count) {
    ConvParams s = slabParams(p, count);
    if (table) {
      s.gradPlaneTable = gradPlaneTable(p, gradOutput, n, od0, count);
    } else {
      pool.parallelFor(count, 1, [&](int64_t first, int64_t last) {
        for (int64_t i = first; i < last; ++i) gatherOutputDepth(p, gradOutput, n, od0 + i, out2d + i * one.outputSize());
      });
    }
    conv2dBackwardData(pool, s, out2d, weight, slabGrad);
    // One task per input channel: its planes receive in a fixed (depth, tap) order.
    pool.parallelFor(C, 1, [&](int64_t first, int64_t last) {
      for (int64_t c = first; c < last; ++c)
        for (int64_t i = 0; i < count; ++i)
          for (int64_t kd = 0; kd < KD; ++kd) {
            const int64_t d = inputDepth(p, od0 + i, kd);
            if (d < 0) continue;
            float* dst = gradInput + ((n * C + c) * p.inDepth + d) * plane;
            const float* src = slabGrad + i * one.inputSize() + (c * KD + kd) * plane;
            for (int64_t j = 0; j < plane; ++j) dst[j] += src[j];
          }
    });
  });
}

namespace {

// `table`: the GEMM path reads the input planes in place (when it would take the GEMM
// path at all); otherwise each batch of depths is gathered into slabs.
void weightGradOfSlabs(ThreadPool& pool, const VolumeParams& p, const float* input, const float* gradOutput,
                       float* gradWeight, bool table) {
  const int64_t size = p.weightSize(), batch = depthsPerCall(p);
  const ConvParams one = slabParams(p, 1);
  float* slabs = table ? nullptr : scratch(ScratchSlot::kSlab, static_cast<size_t>(one.inputSize() * batch));
  float* out2d = table ? nullptr : scratch(ScratchSlot::kSlabOutput, static_cast<size_t>(one.outputSize() * batch));
  float* slice = scratch(ScratchSlot::kSlabGrad, static_cast<size_t>(size));
  double* sum = reinterpret_cast<double*>(scratch(ScratchSlot::kWeightSum, static_cast<size_t>(2 * size)));
  for (int64_t i = 0; i < size; ++i) sum[i] = 0.0;
  // Each batch of depths' weight gradient, summed in a fixed order.
  forEachDepthBatch(p, [&](int64_t n, int64_t od0, int64_t count) {
    ConvParams s = slabParams(p, count);
    if (table) {
      s.planeTable = inputPlaneTable(p, input, n, od0, count);
      s.gradPlaneTable = gradPlaneTable(p, gradOutput, n, od0, count);
    } else {
      pool.parallelFor(count, 1, [&](int64_t first, int64_t last) {
        for (int64_t i = first; i < last; ++i) {
          gatherSlab(p, input, n, od0 + i, slabs + i * one.inputSize());
          gatherOutputDepth(p, gradOutput, n, od0 + i, out2d + i * one.outputSize());
        }
      });
    }
    conv2dBackwardWeight(pool, s, slabs, out2d, slice);
    for (int64_t i = 0; i < size; ++i) sum[i] += slice[i];
  });
  for (int64_t i = 0; i < size; ++i) gradWeight[i] = static_cast<float>(sum[i]);
}

}  // namespace

void convBackwardWeight(ThreadPool& pool, const VolumeParams& p, const float* input,
                        const float* gradOutput, float* gradWeight) {
  bool finite = false;
  if (p.flat()) {
    finite = conv2dBackwardWeight(pool, p.plane, input, gradOutput, gradWeight);
  } else {
    const bool table = weightGradUsesGemm(slabParams(p, 1));
    weightGradOfSlabs(pool, p, input, gradOutput, gradWeight, table);
    // A NaN may come of the GEMM grid's spare columns (see backwardWeight): gathered
    // slabs let the 2-D pass redo it exactly.
    if (table && !allFinite(gradWeight, p.weightSize())) weightGradOfSlabs(pool, p, input, gradOutput, gradWeight, false);
  }
  markPaddedTapsInWeightGrad(p, gradOutput, gradWeight, finite);
}

void convBackwardBias(ThreadPool& pool, const VolumeParams& p, const float* gradOutput,
                      float* gradBias) {
  // The bias sees every (depth, row, column) alike: one plane of OD·OH rows.
  ConvParams flat = p.plane;
  flat.outHeight *= p.outDepth;
  conv2dBackwardBias(pool, flat, gradOutput, gradBias);
}

}  // namespace convcore
