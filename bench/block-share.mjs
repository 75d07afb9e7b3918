// npm run bench:elementwise (second part): how much of a ResNet-style block's training
// step is not convolution (issue 16: below 10% at 2 threads). The step as users write it
// (conv3x3-ReLU-conv3x3, plus the skip, loss = mean of squares, backward; fresh results)
// against its convolutions alone (the same five kernel calls through the public
// functions, fresh results too); the rest is the element-wise ops, autograd and the
// garbage collections that fresh results bring. Two controls:
// - GC: the main thread's garbage-collection pauses during the step (V8's own account);
// - bare Node: what Node charges any program that allocates the step's five
//   activation-sized results a step, writes them and holds them to the step's end (as the
//   graph holds activations until backward), between stand-in kernels as long as the
//   convolutions together (arithmetic, on both cores at 2 threads; allocation-floor.mjs).
// Writes results/block-share.{json,md}.
//   node bench/block-share.mjs [--shape 32,64,32,32]
import * as fs from 'node:fs';
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import { Conv2D, Tensor, conv2d, conv2dBackward, noGrad, relu, setNumThreads } from 'convcore';
import { bareNodeCost } from './bare-node.mjs';
import { gcPauses, measure, median } from './measure.mjs';
import { cpuName } from './cpu-name.mjs';

const TARGET = 0.1; // issue 16: the non-convolution share of the step below 10%
const ROUNDS = 5;
// Results the step allocates fresh: both convolutions' outputs, ReLU's, the skip's, the square's.
const FRESH_RESULTS = 5;
const { values } = parseArgs({ options: { shape: { type: 'string', default: '32,64,32,32' } } });
const shape = values.shape.split(',').map(Number);
const channels = shape[1];
const resultBytes = shape.reduce((a, b) => a * b, 1) * Float32Array.BYTES_PER_ELEMENT;
const timing = { minReps: 5, minSeconds: 0.5 };
const log = (...a) => console.error(...a);

const x = Tensor.randn(shape, { seed: 1 });
const conv1 = new Conv2D(channels, channels, 3, { padding: 1 }), conv2 = new Conv2D(channels, channels, 3, { padding: 1 });
const params = [...conv1.parameters(), ...conv2.parameters()];
const step = () => {
  const loss = conv2.forward(relu(conv1.forward(x))).add(x).square().mean();
  for (const p of params) p.grad = null;
  loss.backward();
};

// The step's convolutions: both forwards, the second's three gradients, the first's
// weight and bias gradients (x needs none). Their operands' values do not change the time.
const hidden = Tensor.randn(shape, { seed: 2 }), gradOutput = Tensor.randn(shape, { seed: 3 });
const [w1, b1, w2, b2] = [conv1.weight, conv1.bias, conv2.weight, conv2.bias].map((t) => t.detach());
const convolutions = () => noGrad(() => {
  conv2d(x, w1, b1, { padding: 1 });
  conv2d(hidden, w2, b2, { padding: 1 });
  conv2dBackward(hidden, w2, gradOutput, { padding: 1 });
  conv2dBackward(x, w1, gradOutput, { padding: 1, compute: { gradInput: false } });
});

const gc = gcPauses();
const rows = [];
for (const threads of [1, 2]) {
  setNumThreads(threads);
  const rounds = [];
  for (let round = 0; round < ROUNDS; round++) {
    await gc.reset();
    const stepTiming = measure(step, timing);
    const gcPerStep = (await gc.ms()) / (stepTiming.reps + 2); // measure() makes warm-up and probe calls too
    const convMs = measure(convolutions, timing).medianMs;
    rounds.push({ stepMs: stepTiming.medianMs, convMs, gcMs: gcPerStep, share: 1 - convMs / stepTiming.medianMs });
  }
  const stepMs = median(rounds.map((r) => r.stepMs)), convMs = median(rounds.map((r) => r.convMs));
  const bare = bareNodeCost(resultBytes, convMs, threads === 2, FRESH_RESULTS);
  const row = {
    threads, stepMs, convMs, share: median(rounds.map((r) => r.share)), gcMs: median(rounds.map((r) => r.gcMs)),
    bareMs: bare.overheadMs, bareGcMs: bare.gcMs, bareShare: bare.overheadMs / stepMs,
  };
  rows.push(row);
  log(`${threads}T: step ${stepMs.toFixed(1)} ms, convolutions ${convMs.toFixed(1)} ms, rest ${(100 * row.share).toFixed(1)}% ` +
    `(GC ${row.gcMs.toFixed(2)} ms a step; bare Node's allocations ${row.bareMs.toFixed(2)} ms, ${(100 * row.bareShare).toFixed(1)}%, ` +
    `its GC ${row.bareGcMs.toFixed(2)} ms)`);
}

const machine = { cpu: cpuName(), cores: os.availableParallelism(), node: process.version };
const report = { date: new Date().toISOString(), machine, shape, target: TARGET, rows };
const pct = (v) => `${(100 * v).toFixed(1)}%`;
const lines = [
  `Measured ${report.date.slice(0, 10)} by \`npm run bench:elementwise\` on ${machine.cpu} (${machine.cores} cores, Node ${machine.node}): ` +
  `a ResNet-style block's training step on (${shape.join(', ')}) (conv3x3-ReLU-conv3x3, the skip, loss = mean of squares, ` +
  'backward; results fresh, as users write it) against its five convolution calls alone (fresh results too); medians of ' +
  `${ROUNDS} alternating rounds. "Not convolution" is 1 − convolutions / step: element-wise ops, autograd and garbage ` +
  'collection. "GC" is the main thread\'s collection pauses a step (V8\'s account). "Bare Node" is what Node charges a ' +
  `program with no convcore that allocates the step's ${FRESH_RESULTS} activation-sized results, writes them and holds them ` +
  'to the step\'s end (as the graph holds activations until backward), between stand-in kernels (arithmetic) as long ' +
  'as the convolutions together (on both cores at 2 threads), as a share of the step. ' +
  `Target (issue 16): below ${pct(TARGET)} at 2 threads.`,
  '',
  '| threads | step ms | convolutions ms | not convolution | GC ms a step | bare Node: allocations\' cost | bare Node: GC ms |',
  '|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.threads} | ${r.stepMs.toFixed(1)} | ${r.convMs.toFixed(1)} | ${pct(r.share)} | ` +
    `${r.gcMs.toFixed(2)} | ${r.bareMs.toFixed(2)} ms (${pct(r.bareShare)}) | ${r.bareGcMs.toFixed(2)} |`),
];
const markdown = lines.join('\n') + '\n';
const dir = new URL('./results/', import.meta.url);
fs.writeFileSync(new URL('block-share.json', dir), JSON.stringify(report, null, 2) + '\n');
fs.writeFileSync(new URL('block-share.md', dir), markdown);
console.log(markdown);
