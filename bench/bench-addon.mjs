// The benchmark's own addon (native/bench/bench_addon.cc, built beside convcore.node by
// npm install in a checkout; never shipped): the machine's measured FMA peak and copy
// bandwidth at a given thread count.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let addon;
try {
  addon = require('../build/Release/convcore_bench.node');
} catch (error) {
  throw new Error(`bench: build/Release/convcore_bench.node did not load (${error.message}); run npm install (or npx node-gyp rebuild) in the checkout first`);
}

/** GFLOP/s of independent FMA chains on `threads` threads, with the vectors of `isa` (else the active level's). */
export const fmaPeak = ({ seconds, threads, isa }) => addon.fmaPeak({ seconds, threads, isa });

/** Copies src into dst (Float32Arrays of one length) on `threads` threads, a slice each. */
export const parallelCopy = (src, dst, threads) => addon.parallelCopy({ src, dst, threads });

/** Seconds of one call of a named ISA build's convolution path (native/bench/bench_addon.cc: timePath). */
export const timePath = (call) => addon.timePath(call);

/** Seconds of one call of a named ISA build's reduction (native/bench/bench_addon.cc: timeReduction). */
export const timeReduction = (call) => addon.timeReduction(call);

/** "avx2 A / B, avx512 C / D": each level's FMA peak (GFLOP/s) at 1 and 2 threads. */
export const fmaPeaksByLevel = (levels = ['avx2', 'avx512']) =>
  levels.map((isa) => `${isa} ${[1, 2].map((threads) => fmaPeak({ seconds: 0.3, threads, isa }).toFixed(0)).join(' / ')}`).join(', ');
