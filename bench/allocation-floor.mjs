// What any JavaScript function that returns a fresh typed array of `bytes` pays Node
// itself, in a bare Node process (nothing of convcore loaded): allocate an ArrayBuffer of
// that size, write it and drop it, then busy-wait for `kernelMs` (standing in for the
// kernel), against writing one kept buffer and busy-waiting. The difference is the
// allocation and the garbage collections it brings (V8 starts one for every few tens of
// MB of ArrayBuffers). fill() writes with streaming stores where the C library's memset
// does, so the cache misses of writing new memory are mostly not in it.
// With `busy`, a worker thread spins meanwhile, as the kernel's second thread keeps the
// second core busy at 2 threads; without, that core is free for V8's concurrent marking.
// `count` buffers of `bytes` each per call (default 1): a training step's several results.
//
//   node bench/allocation-floor.mjs <bytes> <kernelMs> <busy 0|1> [count]  →  {"overheadMs": …}
import { Worker } from 'node:worker_threads';

const [bytes, kernelMs, busy, count = 1] = process.argv.slice(2).map(Number);
if (!(bytes > 0) || !(kernelMs > 0) || !(count >= 1)) throw new Error('usage: allocation-floor.mjs <bytes> <kernelMs> <busy 0|1> [count]');

const spinner = busy ? new Worker('for (;;);', { eval: true }) : null;
if (spinner) await new Promise((resolve) => spinner.once('online', resolve));

function spin(ms) {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

const kept = Buffer.allocUnsafeSlow(bytes);
function msPerCall(allocate, calls) {
  const start = performance.now();
  for (let i = 0; i < calls; i++) {
    for (let k = 0; k < count; k++) (allocate ? Buffer.allocUnsafeSlow(bytes) : kept).fill(i & 255);
    spin(kernelMs);
  }
  return (performance.now() - start) / calls;
}

const calls = Math.max(20, Math.ceil(400 / kernelMs));
msPerCall(true, calls); // warm-up: the JIT, the heap's limits
const overheads = [];
for (let round = 0; round < 5; round++) overheads.push(msPerCall(true, calls) - msPerCall(false, calls));
overheads.sort((a, b) => a - b);
console.log(JSON.stringify({ overheadMs: Math.max(0, overheads[2]) }));
process.exit(0); // the spinner never ends on its own
