// Which algorithm runs each pass, from the shape and, where a non-finite value would
// meet a zero that is not in the sum, from the values (never the thread count, so the
// result's bits do not depend on it).
#pragma once

// forwardUsesGemm and weightGradUsesGemm (conv2d.h) hold the rules for those passes.

inline void forward(ThreadPool& pool, const ConvParams& p, const float* input,
                    const float* weight, const float* bias, float* output) {
  if (forwardUsesGemm(p)) gemm::forward(pool, p, input, weight, bias, output);
  else direct::forward(pool, p, input, weight, bias, output);
}

inline void backwardData(ThreadPool& pool, const ConvParams& p, const float* gradOutput,
                         const float* weight, float* gradInput) {
  // The paths below multiply the weights by zeros that are not in the sum (padding
  // around gradOutput, the rows a scatter drops): 0 · ∞ would be a NaN that does not
  // belong. The gather reads only the (output, tap) pairs that exist.
  if (!allFinite(weight, p.weightSize())) return direct::backwardDataGather(pool, p, gradOutput, weight, gradInput);
  const int64_t Cg = p.inChannelsPerGroup(), Og = p.outChannelsPerGroup();
  const int64_t taps = p.kernelHeight * p.kernelWidth;
  const bool strideOne = p.strideH == 1 && p.strideW == 1;
  // Stride 1 with enough input channels and an output about as large as the input (so
  // that the rotated kernel mostly reads real gradients, not padding): a forward GEMM
  // over gradOutput, with no scatter.
  const bool fullSize = 4 * p.inHeight * p.inWidth <= 5 * p.outHeight * p.outWidth;
  if (strideOne && Cg >= 6 && fullSize)
    direct::backwardDataAsForward(pool, p, gradOutput, weight, gradInput, forward);
  // Otherwise the column gradient by GEMM, scattered back (any stride).
  else if (Cg * taps >= 3 && Og >= 6) gemm::backwardData(pool, p, gradOutput, weight, gradInput);
  else if (strideOne) direct::backwardDataAsForward(pool, p, gradOutput, weight, gradInput, direct::forward);
  else direct::backwardDataGather(pool, p, gradOutput, weight, gradInput);
}

inline void backwardWeight(ThreadPool& pool, const ConvParams& p, const float* input,
                           const float* gradOutput, float* gradWeight) {
  if (!weightGradUsesGemm(p)) return direct::backwardWeight(pool, p, input, gradOutput, gradWeight);
  gemm::backwardWeight(pool, p, input, gradOutput, gradWeight);
  // The grid's columns past each output row hold zero gradients beside real inputs: a
  // non-finite input there gives a NaN that does not belong. Only a NaN can come of it,
  // so a result without one is exact; otherwise the direct path, which reads only the
  // pairs that exist, gives it again (conv3d's plane tables are redone by the caller).
  if (p.planeTable == nullptr && !allFinite(gradWeight, p.weightSize()))
    direct::backwardWeight(pool, p, input, gradOutput, gradWeight);
}

// 12 independent FMA chains, as the benchmark's peak reference.
inline double fmaPeak(double seconds) {
  V8 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = broadcast(0.001f * i);
  const V8 a = broadcast(0.999999f), b = broadcast(1e-7f);
  const auto start = std::chrono::steady_clock::now();
  int64_t iterations = 0;
  double elapsed = 0;
  do {
    for (int r = 0; r < 1000; ++r)
      for (int i = 0; i < 12; ++i) acc[i] = fmadd(acc[i], a, b);
    iterations += 1000;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (elapsed < seconds);
  // Every chain feeds the result, so none can be optimised away.
  float sink[4];
  sum4(add(add(acc[0], acc[1]), add(acc[2], acc[3])), add(add(acc[4], acc[5]), add(acc[6], acc[7])),
       add(add(acc[8], acc[9]), add(acc[10], acc[11])), zero(), sink);
  volatile float keep = sink[0] + sink[1] + sink[2];
  (void)keep;
  return iterations * 12.0 * kLanes * 2.0 / elapsed / 1e9;
}
