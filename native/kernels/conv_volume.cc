#include "conv_volume.h"

#include "conv2d.h"
#include "scratch.h"

namespace convcore {

namespace {

// The 2-D convolution of one output depth: C·KD input channels, batch 1.
ConvParams slabParams(const VolumeParams& p) {
  ConvParams s = p.plane;
  s.batch = 1;
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

}  // namespace

void convForward(ThreadPool& pool, const VolumeParams& p, const float* input, const float* weight,
                 const float* bias, float* output) {
  if (p.flat()) return conv2dForward(pool, p.plane, input, weight, bias, output);
  const ConvParams s = slabParams(p);
  const int64_t O = p.plane.outChannels, plane = planeOut(p);
  float* slab = scratch(ScratchSlot::kSlab, static_cast<size_t>(s.inputSize()));
  float* out2d = scratch(ScratchSlot::kSlabOutput, static_cast<size_t>(s.outputSize()));
  for (int64_t n = 0; n < p.plane.batch; ++n) {
    for (int64_t od = 0; od < p.outDepth; ++od) {
      gatherSlab(p, input, n, od, slab);
      conv2dForward(pool, s, slab, weight, bias, out2d);
      for (int64_t o = 0; o < O; ++o) {
        float* dst = output + ((n * O + o) * p.outDepth + od) * plane;
        for (int64_t i = 0; i < plane; ++i) dst[i] = out2d[o * plane + i];
      }
    }
  }
}

void convBackwardData(ThreadPool& pool, const VolumeParams& p, const float* gradOutput,
                      const float* weight, float* gradInput) {
  if (p.flat()) return conv2dBackwardData(pool, p.plane, gradOutput, weight, gradInput);
  const ConvParams s = slabParams(p);
  const int64_t C = p.plane.inChannels, KD = p.kernelDepth, plane = planeIn(p);
  for (int64_t i = 0; i < p.inputSize(); ++i) gradInput[i] = 0.0f;
  float* out2d = scratch(ScratchSlot::kSlabOutput, static_cast<size_t>(s.outputSize()));
  float* slabGrad = scratch(ScratchSlot::kSlabGrad, static_cast<size_t>(s.inputSize()));
  // Output depths in order: each adds its slab gradient into the input depths it read.
  for (int64_t n = 0; n < p.plane.batch; ++n) {
    for (int64_t od = 0; od < p.outDepth; ++od) {
      gatherOutputDepth(p, gradOutput, n, od, out2d);
      conv2dBackwardData(pool, s, out2d, weight, slabGrad);
      for (int64_t c = 0; c < C; ++c) {
        for (int64_t kd = 0; kd < KD; ++kd) {
          const int64_t d = inputDepth(p, od, kd);
          if (d < 0) continue;
          float* dst = gradInput + ((n * C + c) * p.inDepth + d) * plane;
          const float* src = slabGrad + (c * KD + kd) * plane;
          for (int64_t i = 0; i < plane; ++i) dst[i] += src[i];
        }
      }
    }
  }
}

void convBackwardWeight(ThreadPool& pool, const VolumeParams& p, const float* input,
                        const float* gradOutput, float* gradWeight) {
  if (p.flat()) return conv2dBackwardWeight(pool, p.plane, input, gradOutput, gradWeight);
  const ConvParams s = slabParams(p);
  const int64_t size = p.weightSize();
  float* slab = scratch(ScratchSlot::kSlab, static_cast<size_t>(s.inputSize()));
  float* out2d = scratch(ScratchSlot::kSlabOutput, static_cast<size_t>(s.outputSize()));
  float* slice = scratch(ScratchSlot::kSlabGrad, static_cast<size_t>(size));
  double* sum = reinterpret_cast<double*>(scratch(ScratchSlot::kWeightSum, static_cast<size_t>(2 * size)));
  for (int64_t i = 0; i < size; ++i) sum[i] = 0.0;
  // Each output depth's weight gradient, summed in a fixed order.
  for (int64_t n = 0; n < p.plane.batch; ++n) {
    for (int64_t od = 0; od < p.outDepth; ++od) {
      gatherSlab(p, input, n, od, slab);
      gatherOutputDepth(p, gradOutput, n, od, out2d);
      conv2dBackwardWeight(pool, s, slab, out2d, slice);
      for (int64_t i = 0; i < size; ++i) sum[i] += slice[i];
    }
  }
  for (int64_t i = 0; i < size; ++i) gradWeight[i] = static_cast<float>(sum[i]);
}

void convBackwardBias(ThreadPool& pool, const VolumeParams& p, const float* gradOutput,
                      float* gradBias) {
  // The bias sees every (depth, row, column) alike: one plane of OD·OH rows.
  ConvParams flat = p.plane;
  flat.outHeight *= p.outDepth;
  conv2dBackwardBias(pool, flat, gradOutput, gradBias);
}

}  // namespace convcore
