// npm run bench:train-memory: 2,000 LeNet training steps (batch 64, the MNIST digits
// cycled) with the process's memory sampled every 100 steps after a full GC: heap used,
// ArrayBuffer memory (tensor storage, outside the heap) and RSS. After warm-up the
// curves must be flat: gradients and native scratch are reused, and nothing a step
// makes outlives it. Writes results/train-memory.{json,md}.
//   node --expose-gc bench/train-memory.mjs [--steps 2000] [--every 100]
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { DataLoader, SGD, crossEntropy, loadMnist, manualSeed } from 'convcore';
import { buildLeNet } from '../examples/lenet.mjs';

const { values } = parseArgs({ options: { steps: { type: 'string', default: '2000' }, every: { type: 'string', default: '100' } } });
const steps = Number(values.steps), every = Number(values.every);
if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc (npm run bench:train-memory does)');

manualSeed(0);
const { train } = loadMnist();
const loader = new DataLoader(train.images, train.labels, { batchSize: 64, shuffle: true, seed: 0 });
const net = buildLeNet();
const optimizer = new SGD(net.parameters(), { lr: 0.05, momentum: 0.9 });
const MB = 1024 * 1024;
const samples = [];
// V8 frees ArrayBuffer memory on a background thread after a GC: give it a moment, so a
// sample counts live buffers only.
const settle = () => new Promise((resolve) => setTimeout(resolve, 25));
const sample = async (step) => {
  globalThis.gc();
  await settle();
  globalThis.gc();
  await settle();
  const m = process.memoryUsage();
  samples.push({ step, heapUsedMB: m.heapUsed / MB, arrayBuffersMB: m.arrayBuffers / MB, rssMB: m.rss / MB });
};

let step = 0;
await sample(0);
for (let epoch = 0; step < steps; epoch++) {
  for (const { inputs, labels } of loader.batches(epoch)) {
    optimizer.zeroGrad();
    crossEntropy(net.forward(inputs), labels).backward();
    optimizer.step();
    if (++step % every === 0) await sample(step);
    if (step === steps) break;
  }
}

// Warm-up: the first quarter of the steps (pools, scratch and malloc's arenas reach their sizes).
const warm = samples.filter((s) => s.step >= steps / 4);
const growth = (key) => warm.at(-1)[key] - warm[0][key];
const spread = (key) => Math.max(...warm.map((s) => s[key])) - Math.min(...warm.map((s) => s[key]));
const f = (x) => x.toFixed(1);
const lines = [
  `| step | heap used MB | ArrayBuffers MB | RSS MB |`,
  '|---|---|---|---|',
  ...samples.filter((s, i) => i % Math.max(1, Math.floor(samples.length / 10)) === 0 || i === samples.length - 1)
    .map((s) => `| ${s.step} | ${f(s.heapUsedMB)} | ${f(s.arrayBuffersMB)} | ${f(s.rssMB)} |`),
  '',
  `From step ${warm[0].step} to ${warm.at(-1).step}: heap ${growth('heapUsedMB') >= 0 ? '+' : ''}${f(growth('heapUsedMB'))} MB ` +
    `(spread ${f(spread('heapUsedMB'))}), ArrayBuffers ${f(growth('arrayBuffersMB'))} MB (spread ${f(spread('arrayBuffersMB'))}), ` +
    `RSS ${f(growth('rssMB'))} MB (spread ${f(spread('rssMB'))}).`,
];
const markdown = lines.join('\n') + '\n';
fs.mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
fs.writeFileSync(new URL('./results/train-memory.json', import.meta.url), JSON.stringify({ steps, samples }, null, 2) + '\n');
fs.writeFileSync(new URL('./results/train-memory.md', import.meta.url), markdown);
console.log(markdown);
