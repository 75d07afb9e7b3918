// Timing: repeat a call until it has run at least `minReps` times and `minSeconds`,
// and report the median and the minimum. Machines are noisy: medians, side by side.
export function measure(fn, { minReps = 5, maxReps = 200, minSeconds = 0.3, warmup = 1 } = {}) {
  for (let i = 0; i < warmup; i++) fn();
  const times = [];
  const start = performance.now();
  while (times.length < minReps || (times.length < maxReps && performance.now() - start < minSeconds * 1000)) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[times.length >> 1], minMs: times[0], reps: times.length };
}

/** FLOPs of one pass: 2·N·O·Ho·Wo·(C/groups)·kh·kw (the same for all three passes). */
export function passFlops(s) {
  const [oh, ow] = outputSize(s);
  return 2 * s.N * s.O * oh * ow * (s.C / s.groups) * s.kh * s.kw;
}

export function outputSize(s) {
  return [Math.floor((s.H + 2 * s.pad - s.kh) / s.stride) + 1, Math.floor((s.W + 2 * s.pad - s.kw) / s.stride) + 1];
}

export const PASSES = ['fwd', 'bwd_data', 'bwd_weight'];
