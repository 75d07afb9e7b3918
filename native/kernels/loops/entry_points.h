// The paths as dispatch.cc calls them (which path a shape takes is decided there), and
// the FMA peak of this build's vector.
#pragma once

// Backward-data as the forward of backwardDataAsForwardParams(p), by that forward's path
// (forwardUsesGemm, conv2d.h). The GEMM packs the rotated kernel straight from the weights.
inline void backwardDataAsForward(ThreadPool& pool, const ConvParams& p, const float* gradOutput,
                                  const float* weight, float* gradInput) {
  const ConvParams t = backwardDataAsForwardParams(p);
  if (forwardUsesGemm(t)) gemm::forward(pool, t, gradOutput, weight, nullptr, gradInput, true);
  else direct::backwardDataAsForward(pool, p, gradOutput, weight, gradInput, direct::forward);
}

// The GEMM backward-weight: of a 1×1 kernel as a plain GEMM over packed pixel blocks,
// else by dot products over the gathered grid.
inline void backwardWeightGemm(ThreadPool& pool, const ConvParams& p, const float* input, const float* gradOutput,
                               float* gradWeight) {
  if (weightGradIsPointwise(p)) pointwise::backwardWeight(pool, p, input, gradOutput, gradWeight);
  else gemm::backwardWeight(pool, p, input, gradOutput, gradWeight);
}

inline void backwardDataAsDirectForward(ThreadPool& pool, const ConvParams& p, const float* gradOutput,
                                        const float* weight, float* gradInput) {
  direct::backwardDataAsForward(pool, p, gradOutput, weight, gradInput, direct::forward);
}

// Backward-data of a small image with stride 1 as the small-image forward over gradOutput
// (s: the taps of backwardDataAsForwardParams(p)), which reads only the taps that meet
// gradOutput, so it stays exact with non-finite weights.
inline void smallImageBackwardDataAsForward(ThreadPool& pool, const ConvParams& p, const SmallImageTaps& s,
                                            const float* gradOutput, const float* weight, float* gradInput) {
  direct::backwardDataAsForward(pool, p, gradOutput, weight, gradInput,
                                [&](ThreadPool& threads, const ConvParams& t, const float* input, const float* flipped,
                                    const float* bias, float* output) {
                                  small_image::forward(threads, t, s, input, flipped, bias, output);
                                });
}

// 12 independent FMA chains of this build's vector, as the benchmark's peak reference.
inline double fmaPeak(double seconds) {
  Vec acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = broadcast(0.001f * i);
  const Vec a = broadcast(0.999999f), b = broadcast(1e-7f);
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
