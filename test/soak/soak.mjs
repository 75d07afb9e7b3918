// npm run soak: 100,000 training steps of the book's Conv2D (d2l 7.2: the [1, -1] edge
// kernel) and 2,000 LeNet steps on MNIST, with heap, ArrayBuffer memory, RSS and active
// handles sampled 20 times per phase after a full GC. After warm-up (the first quarter of
// each phase, and LeNet's first 200 steps) the heap's and ArrayBuffers' trend must add
// up to less than 5 MB, RSS's high-water mark must rise by less than 5 MB, and no handle
// may be added; exits 1 otherwise. RSS is read after emptyCache(): the memory cache keeps
// freed blocks mapped up to its limit, so without it RSS is the peak of live and
// not-yet-collected results, which moves by tens of MB with V8's GC timing (a third of
// short LeNet runs rose 5-16 MB, before and after any change); what the cache holds is
// printed beside it.
//   node --expose-gc test/soak/soak.mjs [--quick]   (--quick: 20,000 and 500 steps, for CI)
import { parseArgs } from 'node:util';
import { Conv2D, DataLoader, SGD, Tensor, conv2d, crossEntropy, emptyCache, loadMnist, manualSeed, mseLoss } from '../../dist/index.js';
import { buildLeNet } from '../../examples/lenet.mjs';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, 'lenet-steps': { type: 'string' } } });
if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc (npm run soak does)');
const MB = 1024 * 1024;
const LIMIT_MB = 5;

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
async function sample() {
  globalThis.gc();
  await settle();
  globalThis.gc();
  await settle();
  const cached = process.memoryUsage.rss();
  emptyCache();
  const m = process.memoryUsage();
  return {
    heap: m.heapUsed / MB, buffers: m.arrayBuffers / MB, rss: m.rss / MB, cached: (cached - m.rss) / MB,
    handles: process.getActiveResourcesInfo().length,
  };
}

/**
 * Runs `steps` steps of `step`, sampling every `every`, and judges the samples after
 * `warmUp` steps (at least the first quarter); returns whether memory stayed flat.
 */
async function phase(name, steps, every, step, warmUp = 0) {
  const samples = [];
  for (let i = 0; i < steps; i++) {
    step(i);
    if ((i + 1) % every === 0) {
      samples.push({ step: i + 1, ...(await sample()) });
      if (process.env.SOAK_TRACE) console.log(JSON.stringify(samples.at(-1)));
    }
  }
  const warm = samples.filter((s) => s.step > Math.max(steps / 4, warmUp));
  // Growth: the least-squares trend of the samples after warm-up, over that span (a leak
  // is a trend; malloc's arenas make RSS move a few MB either way from sample to sample).
  const growth = (key) => {
    const n = warm.length, xs = warm.map((s) => s.step), ys = warm.map((s) => s[key]);
    const mx = xs.reduce((a, b) => a + b) / n, my = ys.reduce((a, b) => a + b) / n;
    const slope = xs.reduce((a, x, i) => a + (x - mx) * (ys[i] - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
    return slope * (xs[n - 1] - xs[0]);
  };
  // RSS is a high-water mark (malloc keeps the arenas a peak needed): a leak keeps
  // raising it, so compare the highest RSS of the second half after warm-up with that of
  // the first half.
  const half = Math.floor(warm.length / 2);
  const peak = (xs) => Math.max(...xs.map((s) => s.rss));
  const rssGrowth = peak(warm.slice(half)) - peak(warm.slice(0, half));
  const result = { name, steps, heap: growth('heap'), buffers: growth('buffers'), rss: rssGrowth, handles: growth('handles') };
  const ok = result.heap < LIMIT_MB && result.buffers < LIMIT_MB && result.rss < LIMIT_MB && result.handles < 0.5;
  console.log(`${name}: ${steps} steps; growth after warm-up: heap ${result.heap.toFixed(2)} MB, ArrayBuffers ${result.buffers.toFixed(2)} MB, ` +
    `RSS ${result.rss.toFixed(2)} MB (the cache held up to ${Math.max(...warm.map((s) => s.cached)).toFixed(0)} MB more), ` +
    `active handles ${result.handles.toFixed(1)} -> ${ok ? 'flat' : 'GROWING'}`);
  return ok;
}

manualSeed(0);
const X = Tensor.ones([1, 1, 6, 8]);
for (let i = 0; i < 6; i++) for (let j = 2; j < 6; j++) X.data[i * 8 + j] = 0;
const Y = conv2d(X, Tensor.fromArray([[[[1, -1]]]]));
const layer = new Conv2D(1, 1, [1, 2], { bias: false });
const bookOptimizer = new SGD(layer.parameters(), { lr: 3e-2 });
const bookSteps = values.quick ? 20_000 : 100_000;
const bookOk = await phase('book layer', bookSteps, bookSteps / 20, () => {
  const loss = mseLoss(layer.forward(X), Y, { reduction: 'sum' });
  bookOptimizer.zeroGrad();
  loss.backward();
  bookOptimizer.step();
});

const { train } = loadMnist();
const loader = new DataLoader(train.images, train.labels, { batchSize: 64, shuffle: true, seed: 0 });
const net = buildLeNet();
const optimizer = new SGD(net.parameters(), { lr: 0.05, momentum: 0.9 });
let batches = loader.batches(0), epoch = 0;
const lenetSteps = Number(values['lenet-steps'] ?? (values.quick ? 500 : 2_000));
// The buffer pools and malloc's arenas take their last steps up to about step 150 (a
// buffer size first met, an arena grown): only then does a trend mean a leak.
const lenetWarmUp = 200;
const lenetOk = await phase('LeNet', lenetSteps, lenetSteps / 20, () => {
  let next = batches.next();
  if (next.done) {
    batches = loader.batches(++epoch);
    next = batches.next();
  }
  optimizer.zeroGrad();
  crossEntropy(net.forward(next.value.inputs), next.value.labels).backward();
  optimizer.step();
}, lenetWarmUp);
process.exitCode = bookOk && lenetOk ? 0 : 1;
