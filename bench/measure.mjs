// Timing: repeat a call until it has run at least `minReps` times and `minSeconds`,
// and report the median and the minimum. Calls under a millisecond are timed in
// batches, so that the timer's resolution does not decide the result. Machines are
// noisy: medians, side by side.
import { PerformanceObserver } from 'node:perf_hooks';
export function measure(fn, { minReps = 5, maxReps = 200, minSeconds = 0.3, warmup = 1 } = {}) {
  // Warm up (the JIT, the caches): `warmup` calls, and for fast calls up to 50 ms of them.
  const warmStart = performance.now();
  for (let i = 0; i < warmup || (warmup > 0 && i < 2000 && performance.now() - warmStart < 50); i++) fn();
  const probe = performance.now();
  fn();
  const single = performance.now() - probe;
  const batch = single >= 1 ? 1 : Math.min(10000, Math.ceil(1 / Math.max(single, 1e-4)));
  const times = [];
  const start = performance.now();
  while (times.length < minReps || (times.length < maxReps && performance.now() - start < minSeconds * 1000)) {
    const t0 = performance.now();
    for (let i = 0; i < batch; i++) fn();
    times.push((performance.now() - t0) / batch);
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[times.length >> 1], minMs: times[0], reps: times.length * batch };
}

/** The middle value (the upper of the two middle ones for an even count). */
export const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];

/** The value at fraction q of an ascending list (0.25, 0.5, 0.75: quartiles and median). */
export const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

/** n deterministic floats in [-0.5, 0.5] (benchmark inputs). */
export const sineFloats = (n) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 0.5);

/**
 * V8's garbage-collection pauses on this thread (its own account, in ms) since the last
 * reset(). Its entries arrive a turn of the event loop late: both calls wait for one.
 */
export function gcPauses() {
  let total = 0;
  new PerformanceObserver((list) => { for (const e of list.getEntries()) total += e.duration; }).observe({ entryTypes: ['gc'] });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
  return {
    async reset() { await settle(); total = 0; },
    async ms() { await settle(); return total; },
  };
}

/** A shape's rank, spatial sizes and kernel (shapes.json is 2-D; shapes-nd.json 1-D and 3-D). */
export function dims(s) {
  const rank = s.rank ?? 2;
  const spatial = rank === 1 ? [s.L] : rank === 2 ? [s.H, s.W] : [s.D, s.H, s.W];
  const kernel = rank === 2 ? [s.kh, s.kw] : new Array(rank).fill(s.k);
  return { rank, spatial, kernel };
}

/** FLOPs of one pass: 2·N·O·∏out·(C/groups)·∏kernel (the same for all three passes). */
export function passFlops(s) {
  const { kernel } = dims(s);
  const product = (a) => a.reduce((x, y) => x * y, 1);
  return 2 * s.N * s.O * product(outputSize(s)) * (s.C / s.groups) * product(kernel);
}

export function outputSize(s) {
  const { spatial, kernel } = dims(s);
  return spatial.map((size, i) => Math.floor((size + 2 * s.pad - kernel[i]) / s.stride) + 1);
}

export const PASSES = ['fwd', 'bwd_data', 'bwd_weight'];
