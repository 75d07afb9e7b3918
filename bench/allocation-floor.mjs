// What any JavaScript function that returns a fresh typed array of `bytes` pays Node
// itself, in a bare Node process (nothing of convcore loaded): allocate an ArrayBuffer of
// that size, write it, run `kernelMs` of arithmetic standing in for the kernel and drop
// it, against writing one kept buffer and the same arithmetic. The difference is the
// allocation and the garbage collections it brings (V8 starts one for every few tens of
// MB of ArrayBuffers). fill() writes with streaming stores where the C library's memset
// does, so the cache misses of writing new memory are mostly not in it.
// With `busy`, a worker thread shares the stand-in kernel, as the kernel's second thread
// keeps the second core busy at 2 threads; without, that core is free for V8's concurrent
// marking.
// `count` buffers of `bytes` each per call (default 1), the arithmetic split between them,
// all dropped at the call's end: a training step's several results.
//
//   node bench/allocation-floor.mjs <bytes> <kernelMs> <busy 0|1> [count]  →  {"overheadMs": …, "gcMs": …}
// (gcMs: V8's own account of its collection pauses per allocating call, steadier than the
// difference of two timings.)
import { Worker } from 'node:worker_threads';
import { gcPauses, median } from './measure.mjs';

const [bytes, kernelMs, busy, count = 1] = process.argv.slice(2).map(Number);
if (!(bytes > 0) || !(kernelMs > 0) || !(count >= 1)) throw new Error('usage: allocation-floor.mjs <bytes> <kernelMs> <busy 0|1> [count]');

// The stand-in kernel: a fixed amount of arithmetic that allocates nothing (a clock read
// per iteration would make garbage), calibrated to `ms` on a quiet core. With `busy`, a
// worker thread does the same amount at the same time and the call waits for both, as a
// 2-thread kernel does: what V8's background collector takes from the second core then
// shows in the time.
function work(iterations) {
  let x = 1;
  for (let i = 0; i < iterations; i++) x = (x * 1103515245 + 12345) | 0;
  return x;
}
const WORKER_SOURCE = `
  const { workerData } = require('node:worker_threads');
  const flags = new Int32Array(workerData);
  ${work.toString()}
  for (;;) {
    Atomics.wait(flags, 0, 0);
    work(Atomics.load(flags, 1));
    Atomics.store(flags, 0, 0);
    Atomics.notify(flags, 0);
  }`;
const flags = new Int32Array(new SharedArrayBuffer(8)); // [0]: 1 while the worker's share runs; [1]: its iterations
const helper = busy ? new Worker(WORKER_SOURCE, { eval: true, workerData: flags.buffer }) : null;
if (helper) await new Promise((resolve) => helper.once('online', resolve));

let iterationsPerMs = 0;
for (let t = 0; t < 5; t++) {
  const start = performance.now();
  work(2e6);
  iterationsPerMs = Math.max(iterationsPerMs, 2e6 / (performance.now() - start));
}

function kernel(ms) {
  const iterations = Math.round(ms * iterationsPerMs);
  if (helper) {
    Atomics.store(flags, 1, iterations);
    Atomics.store(flags, 0, 1);
    Atomics.notify(flags, 0);
  }
  work(iterations);
  if (helper) while (Atomics.load(flags, 0) !== 0) Atomics.wait(flags, 0, 1);
}

const kept = Buffer.allocUnsafeSlow(bytes);
function msPerCall(allocate, calls) {
  const start = performance.now();
  const held = new Array(count);
  for (let i = 0; i < calls; i++) {
    // Several results live until the call ends, as a training step's activations live
    // until its backward pass: the scavenges that ArrayBuffers start then find them alive,
    // promote them, and only full collections free them.
    for (let k = 0; k < count; k++) {
      held[k] = (allocate ? Buffer.allocUnsafeSlow(bytes) : kept).fill(i & 255);
      kernel(kernelMs / count);
    }
    held.fill(null);
  }
  return (performance.now() - start) / calls;
}

const gc = gcPauses();
const ROUNDS = 7;
const calls = Math.max(20, Math.ceil(400 / kernelMs));
msPerCall(true, calls); // warm-up: the JIT, the heap's limits
const overheads = [], gcs = [];
for (let round = 0; round < ROUNDS; round++) {
  await gc.reset();
  const allocating = msPerCall(true, calls);
  gcs.push((await gc.ms()) / calls);
  overheads.push(allocating - msPerCall(false, calls));
}
console.log(JSON.stringify({ overheadMs: Math.max(0, median(overheads)), gcMs: median(gcs) }));
process.exit(0); // the helper never ends on its own
