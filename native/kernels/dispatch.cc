// The one dispatch table: for each call, which path runs it (from the shape, and from the
// values where a non-finite one would meet a zero that is not in the sum) and which
// instruction set's build of that path (the best the CPU allows, except where a lower
// level measured faster). Never the thread count, so the result's bits do not depend on it.
#include <cstdlib>
#include <cstring>

#include "conv2d.h"
#include "cpu_features.h"
#include "engine.h"
#include "padded_taps.h"
#include "small_image.h"
#include "streaming.h"

namespace convcore {

const ConvKernels& kernelsOf(Isa isa) {
  switch (isa) {
    case Isa::kAvx512: return avx512::kernels();
    case Isa::kAvx2: return avx2::kernels();
    case Isa::kNeon: return neon::kernels();
    default: return generic::kernels();
  }
}

namespace {

enum class Path { kForwardGemm, kForwardDirect, kBackwardDataGemm, kBackwardDataGather, kBackwardWeightGemm, kBackwardWeightDirect };

// Whether the AVX-512 build (16-float vectors, GEMM tiles of 8 × 32: blocking.h) of `path`
// beats the AVX2 build (8 floats, 6 × 16) on shape p, as npm run bench:isa-paths measures
// it path by path on two kinds of core: Zen 5, whose 512-bit FMAs run at twice the
// 256-bit rate (bench/results/isa-paths-zen5.md), and Zen 4, which runs them as two
// 256-bit halves (cpuSplitsAvx512; isa-paths-zen4.md, isa-ab-zen4.md). Elsewhere the
// AVX2 build runs.
bool avx512Wins(Path path, const ConvParams& p) {
  const int64_t reduction = p.inChannelsPerGroup() * p.kernelHeight * p.kernelWidth;
  // Output rows of 8 or fewer pixels go as runs of a vector each (loops/grid.h: row vectors):
  // half a 16-float vector is then thrown away (LeNet's 8 × 8: 30-100% slower).
  const bool narrowRows = p.outWidth <= 8 && p.kernelWidth > 1;
  // Where AVX-512 has AVX2's peak (Zen 4), its larger tiles keep the GEMM forward (VGG's
  // first layer 6-17% faster, ResNet's 1×1 and stride-2 1% slower to 7% faster, its
  // 56×56 3×3 from 12% faster to 7% slower run to run) and the column gradient (VGG's 2-10%), but lose
  // it on 8-pixel rows (LeNet's second layer: 17-59% slower) and lose the weight
  // gradient of rows under 256 pixels (ResNet's shapes 6-9%; seq1d's 4,096-pixel rows:
  // AVX-512 3-7% faster): npm run bench:isa-ab, the builds' calls alternated in one
  // process, two runs (isa-ab-zen4.md). A third (isa-ab-zen4-b.md) agreed but for the
  // weight gradient of ResNet's 1×1 at 1 thread and VGG's at 2 (AVX-512 6-9% faster):
  // rules within this machine's noise, kept as measured first.
  static const bool split = cpuSplitsAvx512();
  switch (path) {
    case Path::kForwardGemm:
      // A reduction shorter than 27 (3 channels × 3 × 3) pays a tile's fixed costs over
      // too few multiply-adds.
      return reduction >= 27 && !narrowRows;
    case Path::kBackwardDataGemm:
      return !(split && narrowRows);
    case Path::kBackwardWeightGemm:
      // A 1×1 kernel's weight gradient as a plain GEMM (loops/pointwise_weight_grad.h):
      // AVX-512's 8 × 32 tile 8% faster than AVX2's 6 × 16 on res1x1 (Zen 4).
      if (weightGradIsPointwise(p)) return true;
      // Its runs are a row's width long: rows under 12 pixels waste the wider vector.
      return reduction >= 27 && (p.outWidth >= 12 || p.kernelWidth == 1) && (!split || p.outWidth >= 256);
    case Path::kForwardDirect:
      // Row tiles of 5×5 and 7×7 kernels gain from the wider vector (a full-HD 5×5
      // filter: 25% faster on Zen 5, 13-29% on Zen 4). On Zen 4 so do 3×3 filters of one
      // channel (image filters, depthwise) 28 or more pixels wide, 10-28% faster, except
      // where the output is streamed (16 RGB 512² images: from 12% faster to 20% slower
      // run to run); narrower rows fill no 16-float vector (14 wide: 73% slower). (On Zen 5
      // 3×3 filters were recorded as no faster.)
      return (p.kernelHeight >= 5 && p.outWidth >= 64) ||
             (split && p.kernelHeight == 3 && p.kernelWidth == 3 && p.inChannelsPerGroup() == 1 &&
              p.outWidth >= 28 && p.outputSize() <= kStreamingOutputFloats);
    default:
      // The direct weight gradient's row dot products and the gather: 35-55% slower.
      return false;
  }
}

// CONVCORE_ISA_EVERYWHERE=1 runs every path and the sums on the active level: for
// the benchmarks that compare the levels (bench/isa-paths.mjs), and for the suites that
// test the AVX-512 build of what the table sends elsewhere (.ci/run).
bool everywhere() {
  static const bool set = [] {
    const char* v = std::getenv("CONVCORE_ISA_EVERYWHERE");
    return v != nullptr && std::strcmp(v, "1") == 0;
  }();
  return set;
}

// The build that runs `path` on shape p.
const ConvKernels& kernelsFor(Path path, const ConvParams& p) {
  const Isa active = activeIsa();
  if (active == Isa::kAvx512 && !everywhere() && !avx512Wins(path, p)) return kernelsOf(Isa::kAvx2);
  return kernelsOf(active);
}

}  // namespace

const ConvKernels& activeKernels() { return kernelsOf(activeIsa()); }

// Where 512-bit operations are split in two (Zen 4), the AVX2 build's sums run faster:
// AVX-512 / AVX2 1.03-1.15 at 1 thread, 0.97-1.11 at 2 (npm run bench:isa-ab's sums of
// 8M floats whole, over rows and per channel, the builds alternated in one process; two
// runs, the second in isa-ab-zen4-b.md); max and argmax 0.96-1.00 and 0.88-0.96, so
// they stay. (A C++ harness reading 32 MB with 512-bit loads alone took 1.3 times as
// long as with 256-bit ones; with streaming stores beside them, 1.02-1.04 times.)
const ConvKernels& sumKernels() {
  static const bool split = cpuSplitsAvx512();
  if (activeIsa() == Isa::kAvx512 && split && !everywhere()) return kernelsOf(Isa::kAvx2);
  return activeKernels();
}

bool conv2dForward(ThreadPool& pool, const ConvParams& p, const float* input,
                   const float* weight, const float* bias, float* output) {
  // The small-image path reads only taps that meet the input: it is exact with any weights.
  if (smallImageConv(p)) return activeKernels().smallImageForward(pool, p, smallImageTaps(p), input, weight, bias, output);
  if (forwardUsesGemm(p)) kernelsFor(Path::kForwardGemm, p).forwardGemm(pool, p, input, weight, bias, output);
  else kernelsFor(Path::kForwardDirect, p).forwardDirect(pool, p, input, weight, bias, output);
  return false;
}

void conv2dBackwardData(ThreadPool& pool, const ConvParams& p, const float* gradOutput,
                        const float* weight, float* gradInput) {
  if (smallImageConv(p)) {
    // Stride 1 where every tap is read somewhere: as the forward over gradOutput, which
    // writes each result once where this pass adds a tile per tap (one core, batch 64:
    // 64 channels on 7 x 7 1.67 -> 1.20 ms, 128 on 4 x 4 1.45 -> 1.30, 256 on 2 x 2
    // 1.24 -> 1.12). A 1 x 1 image reads the centre tap alone: there the rotated copy of
    // every weight costs more than the pass (0.4 -> 2 ms on 512 channels).
    const ConvParams t = backwardDataAsForwardParams(p);
    const SmallImageTaps taps = smallImageTaps(p);
    if (p.strideH == 1 && p.strideW == 1 && t.padTop >= 0 && t.padLeft >= 0 &&
        static_cast<int64_t>(taps.usedTaps.size()) == p.kernelHeight * p.kernelWidth && smallImageConv(t)) {
      return activeKernels().smallImageBackwardDataAsForward(pool, p, smallImageTaps(t), gradOutput, weight, gradInput);
    }
    return activeKernels().smallImageBackwardData(pool, p, taps, gradOutput, weight, gradInput);
  }
  // The paths below the gather multiply the weights by zeros that are not in the sum
  // (padding around gradOutput, the rows a scatter drops): 0 · ∞ would be a NaN that
  // does not belong. The gather reads only the (output, tap) pairs that exist.
  // (conv3d gives gradPlaneTable only with finite weights where backwardDataUsesForwardGemm
  // holds: the one path below that reads it.)
  if (!allFinite(weight, p.weightSize())) {
    return kernelsFor(Path::kBackwardDataGather, p).backwardDataGather(pool, p, gradOutput, weight, gradInput);
  }
  const int64_t Cg = p.inChannelsPerGroup(), Og = p.outChannelsPerGroup();
  const int64_t taps = p.kernelHeight * p.kernelWidth;
  const bool strideOne = p.strideH == 1 && p.strideW == 1;
  if (backwardDataRunsAsForward(p)) {
    const ConvParams t = backwardDataAsForwardParams(p);
    const Path path = forwardUsesGemm(t) ? Path::kForwardGemm : Path::kForwardDirect;
    kernelsFor(path, t).backwardDataAsForward(pool, p, gradOutput, weight, gradInput);
  } else if (Cg * taps >= 3 && Og >= 6) {
    // The column gradient by GEMM, scattered back (any stride).
    kernelsFor(Path::kBackwardDataGemm, p).backwardDataGemm(pool, p, gradOutput, weight, gradInput);
  } else if (strideOne) {
    kernelsFor(Path::kForwardDirect, backwardDataAsForwardParams(p)).backwardDataAsDirectForward(pool, p, gradOutput, weight, gradInput);
  } else {
    kernelsFor(Path::kBackwardDataGather, p).backwardDataGather(pool, p, gradOutput, weight, gradInput);
  }
}

bool conv2dBackwardWeight(ThreadPool& pool, const ConvParams& p, const float* input,
                          const float* gradOutput, float* gradWeight) {
  if (smallImageConv(p)) return activeKernels().smallImageBackwardWeight(pool, p, smallImageTaps(p), input, gradOutput, gradWeight);
  if (!weightGradUsesGemm(p)) {
    kernelsFor(Path::kBackwardWeightDirect, p).backwardWeightDirect(pool, p, input, gradOutput, gradWeight);
    return false;
  }
  kernelsFor(Path::kBackwardWeightGemm, p).backwardWeightGemm(pool, p, input, gradOutput, gradWeight);
  // The grid's columns past each output row hold zero gradients beside real inputs: a
  // non-finite input there gives a NaN that does not belong. Only a NaN can come of it,
  // so a result without one is exact; otherwise the direct path, which reads only the
  // pairs that exist, gives it again (conv3d's plane tables are redone by the caller).
  if (p.planeTable != nullptr) return false;
  if (allFinite(gradWeight, p.weightSize())) return true;
  kernelsFor(Path::kBackwardWeightDirect, p).backwardWeightDirect(pool, p, input, gradOutput, gradWeight);
  return false;
}

void conv2dBackwardBias(ThreadPool& pool, const ConvParams& p, const float* gradOutput,
                        float* gradBias) {
  activeKernels().backwardBias(pool, p, gradOutput, gradBias);
}

double fmaPeakGflops(double seconds, Isa isa) { return kernelsOf(isa).fmaPeak(seconds); }

}  // namespace convcore
