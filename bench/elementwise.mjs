// npm run bench:elementwise: element-wise ops and reductions on 8M floats, as users call
// them (results allocated fresh), at 1 and 2 threads, against the machine's copy
// bandwidth and PyTorch (where installed: 1 thread pinned to core 0, then both) in one
// run. Writes results/elementwise.{json,md}.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { Conv2D, Tensor, getNumThreads, relu, setNumThreads } from '../dist/index.js';
import { parallelCopy } from './bench-addon.mjs';
import { measure } from './measure.mjs';
import { findTorch } from './torch.mjs';

const M = 1 << 20;
// bytes: what the op must move through memory at least (inputs read, result written).
const CASES = [
  { id: 'add', op: 'add', shapes: [[8 * M], [8 * M]], bytes: 3 * 32 * M },
  { id: 'mul', op: 'mul', shapes: [[8 * M], [8 * M]], bytes: 3 * 32 * M },
  { id: 'add (8,1) broadcast', op: 'add', shapes: [[8, M], [8, 1]], bytes: 2 * 32 * M },
  { id: 'maximum', op: 'maximum', shapes: [[8 * M], [8 * M]], bytes: 3 * 32 * M },
  { id: 'relu', op: 'relu', shapes: [[8 * M]], bytes: 2 * 32 * M },
  { id: 'exp', op: 'exp', shapes: [[8 * M]], bytes: 2 * 32 * M },
  { id: 'sqrt', op: 'sqrt', shapes: [[8 * M]], bytes: 2 * 32 * M },
  { id: 'sum', op: 'sum', shapes: [[8 * M]], bytes: 32 * M },
  { id: 'mean(1) of (8, 1M)', op: 'mean', shapes: [[8, M]], dims: 1, bytes: 32 * M },
  { id: 'mean([0,2,3]) of (32,64,64,64)', op: 'mean', shapes: [[32, 64, 64, 64]], dims: [0, 2, 3], bytes: 32 * M },
  { id: 'amax', op: 'amax', shapes: [[8 * M]], bytes: 32 * M },
  // A ResNet-style block's training step, around the ops above: conv3x3-ReLU-conv3x3,
  // plus the skip, loss = mean of squares, backward (bytes: none counted).
  { id: 'block step (32,64,32,32)', op: 'block', shapes: [[32, 64, 32, 32]], bytes: 0 },
];

function blockStep(shape) {
  const x = Tensor.randn(shape, { seed: 1 }), channels = shape[1];
  const c1 = new Conv2D(channels, channels, 3, { padding: 1 }), c2 = new Conv2D(channels, channels, 3, { padding: 1 });
  const params = [...c1.parameters(), ...c2.parameters()];
  return () => {
    const loss = c2.forward(relu(c1.forward(x))).add(x).square().mean();
    for (const p of params) p.grad = null;
    loss.backward();
  };
}

function convcoreCall(c) {
  if (c.op === 'block') return blockStep(c.shapes[0]);
  const t = c.shapes.map((shape, i) => Tensor.rand(shape, { seed: i + 1 }).add(0.5));
  const [x, y] = t;
  switch (c.op) {
    case 'relu': return () => relu(x);
    case 'exp': case 'sqrt': return () => x[c.op]();
    case 'sum': case 'mean': case 'amax': return () => x[c.op](c.dims);
    default: return () => x[c.op](y);
  }
}

const copyGBps = () => {
  const src = new Float32Array(16 * M).fill(1), dst = new Float32Array(16 * M);
  const m = measure(() => parallelCopy(src, dst, getNumThreads()), { minReps: 5, minSeconds: 0.3 });
  return (2 * src.byteLength) / (m.medianMs / 1e3) / 1e9;
};

const results = [];
const copy = {};
for (const threads of [1, 2]) {
  setNumThreads(threads);
  copy[threads] = copyGBps();
  for (const c of CASES) {
    const m = measure(convcoreCall(c), { minReps: 5, minSeconds: 0.4 });
    results.push({ id: c.id, threads, medianMs: m.medianMs, GBps: c.bytes / (m.medianMs / 1e3) / 1e9 });
    console.error(`${c.id.padEnd(32)} ${threads}T ${m.medianMs.toFixed(2).padStart(8)} ms ${(c.bytes / m.medianMs / 1e6).toFixed(1)} GB/s`);
  }
}

const torch = findTorch();
const torchRows = [];
if (torch) {
  const input = JSON.stringify(CASES.map(({ id, op, shapes, dims }) => ({ id, op, shapes, dims })));
  for (const threads of [1, 2]) {
    const script = new URL('./torch-elementwise.py', import.meta.url).pathname;
    const [cmd, argv] = threads === 1 ? ['taskset', ['-c', '0', torch.python, script, '1']] : [torch.python, [script, String(threads)]];
    const env = { ...process.env, ...(threads === 1 ? { OMP_NUM_THREADS: '1' } : {}) };
    const out = execFileSync(cmd, argv, { input, encoding: 'utf8', env });
    torchRows.push(...out.trim().split('\n').map((line) => JSON.parse(line)));
  }
}

const machine = { cpu: os.cpus()[0]?.model.trim(), cores: os.availableParallelism(), node: process.version, torch: torch?.version ?? null };
const report = { date: new Date().toISOString(), machine, copyGBps: copy, results, torch: torchRows };
const lines = [
  `Measured ${report.date.slice(0, 10)} by \`npm run bench:elementwise\` on ${machine.cpu} (${machine.cores} cores, Node ${machine.node})` +
  `${torch ? `, PyTorch ${torch.version} beside it (1 thread pinned to one core)` : ''}. 8M float32 elements, results allocated fresh; ` +
  `medians. GB/s counts the bytes the op must move at least (inputs read once, result written once); ` +
  `the machine's copy bandwidth (read + write) was ${copy[1].toFixed(1)} GB/s on 1 thread and ${copy[2].toFixed(1)} on 2. ` +
  '"×" is how many times faster convcore is than PyTorch at the same thread count; PyTorch\'s fresh results are ' +
  'page-faulted in on this virtual machine (its allocator maps a 32 MB result afresh each call), so its time with a ' +
  'preallocated `out=` is given too (convcore\'s results are fresh: lib/memory-cache.ts).',
  '',
  '| op | 1T ms | 1T GB/s | 1T × PyTorch (out=) | 2T ms | 2T GB/s | 2T × PyTorch (out=) |',
  '|---|---|---|---|---|---|---|',
];
for (const c of CASES) {
  const at = (t) => results.find((r) => r.id === c.id && r.threads === t);
  const vs = (t) => {
    const p = torchRows.find((r) => r.id === c.id && r.threads === t);
    if (!p) return '–';
    const ours = at(t).medianMs;
    return `${(p.medianMs / ours).toFixed(2)}×` + (p.outMs === null ? '' : ` (${(p.outMs / ours).toFixed(2)}×)`);
  };
  const gbps = (t) => (c.bytes > 0 ? at(t).GBps.toFixed(1) : '–');
  lines.push(`| ${c.id} | ${at(1).medianMs.toFixed(2)} | ${gbps(1)} | ${vs(1)} | ${at(2).medianMs.toFixed(2)} | ${gbps(2)} | ${vs(2)} |`);
}
const markdown = lines.join('\n') + '\n';
const dir = new URL('./results/', import.meta.url);
fs.writeFileSync(new URL('elementwise.json', dir), JSON.stringify(report, null, 2) + '\n');
fs.writeFileSync(new URL('elementwise.md', dir), markdown);
console.log(markdown);
