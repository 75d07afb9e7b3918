// npm run bench:train (second part): a ResNet basic block's training step as users write
// it (conv3x3-BatchNorm-ReLU-conv3x3-BatchNorm + skip, ReLU; loss = mean of squares;
// backward; fresh results), at 1 and 2 threads, beside PyTorch (bench/torch-block.py:
// 1 thread pinned to core 0, then every core; the better of two processes each), and the
// share of the step the block's two BatchNorms take (timed alone, forward and backward,
// on the block's activations). Writes results/train-block.{json,md}.
//   node bench/train-block.mjs [--shape 32,64,32,32]
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { BatchNorm2d, Conv2D, Tensor, relu, setNumThreads } from 'convcore';
import { measure } from './measure.mjs';
import { pythonCommand } from './python.mjs';
import { findTorch } from './torch.mjs';
import { cpuName } from './cpu-name.mjs';

const { values } = parseArgs({ options: { shape: { type: 'string', default: '32,64,32,32' } } });
const shape = values.shape.split(',').map(Number);
const [, C] = shape;
const log = (...a) => console.error(...a);
const timing = { minReps: 5, minSeconds: 1 };

const x = Tensor.randn(shape, { seed: 1 });
const conv1 = new Conv2D(C, C, 3, { padding: 1, bias: false }), bn1 = new BatchNorm2d(C);
const conv2 = new Conv2D(C, C, 3, { padding: 1, bias: false }), bn2 = new BatchNorm2d(C);
const params = [conv1, bn1, conv2, bn2].flatMap((m) => m.parameters());
const step = () => {
  const y = relu(bn2.forward(conv2.forward(relu(bn1.forward(conv1.forward(x))))).add(x));
  const loss = y.square().mean();
  for (const p of params) p.grad = null;
  loss.backward();
};
const a = Tensor.randn(shape, { seed: 2 }), g = Tensor.randn(shape, { seed: 3 });
a.requiresGrad = true;
const batchNorms = () => {
  for (const bn of [bn1, bn2]) {
    a.grad = null;
    bn.forward(a).backward(g);
  }
};

const rows = [];
for (const threads of [1, 2]) {
  setNumThreads(threads);
  const stepMs = measure(step, timing).medianMs, batchNormMs = measure(batchNorms, timing).medianMs;
  rows.push({ threads, stepMs, batchNormMs });
  log(`convcore ${threads}T: step ${stepMs.toFixed(1)} ms, two BatchNorms ${batchNormMs.toFixed(2)} ms`);
}

const torch = findTorch();
const torchRows = [];
if (torch) {
  const script = fileURLToPath(new URL('./torch-block.py', import.meta.url));
  for (const threads of [1, 2]) {
    const runs = [0, 1].map(() => {
      const args = [script, String(threads), ...shape.map(String)];
      const [cmd, argv, env] = pythonCommand(torch.python, args, threads);
      return JSON.parse(execFileSync(cmd, argv, { encoding: 'utf8', env }));
    });
    const best = { threads, stepMs: Math.min(...runs.map((r) => r.stepMs)), batchNormMs: Math.min(...runs.map((r) => r.batchNormMs)) };
    torchRows.push(best);
    log(`PyTorch ${torch.version} ${threads}T: step ${best.stepMs.toFixed(1)} ms, two BatchNorms ${best.batchNormMs.toFixed(2)} ms`);
  }
} else {
  log('PyTorch: not installed (apt-get install python3-torch), not measured');
}

const date = new Date().toISOString();
const samples = shape[0];
const lines = [
  `Measured ${date.slice(0, 10)} by \`npm run bench:train\` on ${cpuName()} (${os.cpus().length} cores, ` +
    `Node ${process.version}${torch ? `, PyTorch ${torch.version} beside it` : ''}): one training step of a ResNet basic block ` +
    `(conv3x3-BN-ReLU-conv3x3-BN + skip, ReLU) on (${shape.join(', ')}), medians.`,
  '',
  '| threads | convcore step | samples/s | PyTorch step | samples/s | × PyTorch | BatchNorms\' share (convcore / PyTorch) |',
  '|---|---|---|---|---|---|---|',
  ...rows.map((r) => {
    const t = torchRows.find((q) => q.threads === r.threads);
    return `| ${r.threads} | ${r.stepMs.toFixed(1)} ms | ${Math.round((1000 * samples) / r.stepMs)} | ` +
      (t ? `${t.stepMs.toFixed(1)} ms | ${Math.round((1000 * samples) / t.stepMs)} | ${(t.stepMs / r.stepMs).toFixed(2)}× | ` : '– | – | – | ') +
      `${((100 * r.batchNormMs) / r.stepMs).toFixed(1)}% / ${t ? `${((100 * t.batchNormMs) / t.stepMs).toFixed(1)}%` : '–'} |`;
  }),
];
const markdown = lines.join('\n') + '\n';
fs.mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
fs.writeFileSync(new URL('./results/train-block.json', import.meta.url), JSON.stringify({ date, shape, convcore: rows, torch: torchRows }, null, 2) + '\n');
fs.writeFileSync(new URL('./results/train-block.md', import.meta.url), markdown);
console.log(markdown);
