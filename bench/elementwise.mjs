// npm run bench:elementwise: element-wise ops and reductions on 8M floats, as users call
// them (results allocated fresh) and writing into a preallocated `out` (PyTorch's out=),
// at 1 and 2 threads, against the machine's copy bandwidth and PyTorch (where installed:
// 1 thread pinned to core 0, then both) in one run. Writes results/elementwise.{json,md}.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { Conv2D, Tensor, getNumThreads, relu, setNumThreads } from '../dist/index.js';
import { parallelCopy } from './bench-addon.mjs';
import { measure, median } from './measure.mjs';
import { pythonWorker } from './python.mjs';
import { backToBack } from './back-to-back.mjs';
import { findTorch } from './torch.mjs';
import { cpuName } from './cpu-name.mjs';

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
  { id: 'argmax', op: 'argmax', shapes: [[8 * M]], bytes: 32 * M },
  { id: 'argmax(0) of (8, 1M)', op: 'argmax', shapes: [[8, M]], dims: 0, bytes: 36 * M },
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

const REDUCTIONS = new Set(['sum', 'mean', 'amax', 'argmax']);

// The op as users call it, or (withOut) writing into a preallocated result: relu then
// as clamp(0), as PyTorch's side runs it (neither relu takes out=). null where the op
// has no out (reductions, the block step).
function convcoreCall(c, withOut = false) {
  if (c.op === 'block') return withOut ? null : blockStep(c.shapes[0]);
  if (withOut && REDUCTIONS.has(c.op)) return null;
  const [x, y] = c.shapes.map((shape, i) => Tensor.rand(shape, { seed: i + 1 }).add(0.5));
  const call = (options) => {
    switch (c.op) {
      case 'relu': return options ? () => x.clamp(0, null, options) : () => relu(x);
      case 'exp': case 'sqrt': return () => x[c.op](options);
      case 'sum': case 'mean': case 'amax': case 'argmax': return () => x[c.op](c.dims);
      default: return () => x[c.op](y, options);
    }
  };
  return withOut ? call({ out: Tensor.zeros(call()().shape) }) : call();
}

const copyGBps = () => {
  const src = new Float32Array(16 * M).fill(1), dst = new Float32Array(16 * M);
  const m = measure(() => parallelCopy(src, dst, getNumThreads()), { minReps: 5, minSeconds: 0.3 });
  return (2 * src.byteLength) / (m.medianMs / 1e3) / 1e9;
};

// This virtual machine's memory speed jumps between two levels from one second to the
// next (the same call at 2 threads: 0.65 ms for a while, then 1.25 ms, then back), for
// every process at once. So the two sides are measured back to back, case by case:
// ROUNDS rounds of PyTorch's call (in a Python process kept running at each thread
// count) and convcore's, their order swapped each round; each round gives a ratio, and
// the table shows the median of those ratios beside the median times.
const ROUNDS = 5;
const MIN_SECONDS = 0.2;

/** A running bench/torch-elementwise.py at `threads`: ask(case) resolves to its row. */
function torchWorker(torch, threads) {
  const script = new URL('./torch-elementwise.py', import.meta.url).pathname;
  const worker = pythonWorker(torch.python, [script, String(threads), String(MIN_SECONDS)], threads);
  return { ask: ({ id, op, shapes, dims }) => worker.ask({ id, op, shapes, dims }), close: worker.close };
}

const timeOurs = (fn) => (fn ? measure(fn, { minReps: 5, minSeconds: MIN_SECONDS }).medianMs : null);
const ratioOf = (theirs, ours) => (theirs != null && ours != null ? theirs / ours : null);
const medianOf = (values) => (values.some((v) => v == null) ? null : median(values));

const torch = findTorch();
const copy = {}, results = [], torchRows = [];
for (const threads of [1, 2]) {
  setNumThreads(threads);
  copy[threads] = copyGBps();
  const worker = torch && torchWorker(torch, threads);
  for (const c of CASES) {
    const fresh = convcoreCall(c), intoOut = convcoreCall(c, true);
    const rounds = await backToBack(ROUNDS, worker ? [worker] : [], (w) => w.ask(c),
      () => ({ medianMs: timeOurs(fresh), outMs: timeOurs(intoOut) }));
    const pick = (side, key) => medianOf(rounds.map((r) => r[side]?.[key] ?? null));
    const ratios = (key) => (worker ? medianOf(rounds.map((r) => ratioOf(r.theirs[key], r.ours[key]))) : null);
    const bytes = c.bytes, GBps = (ms) => (bytes > 0 && ms != null ? bytes / (ms / 1e3) / 1e9 : null);
    const row = { id: c.id, threads, medianMs: pick('ours', 'medianMs'), outMs: pick('ours', 'outMs') };
    Object.assign(row, { GBps: GBps(row.medianMs), outGBps: GBps(row.outMs), vsTorch: ratios('medianMs'), outVsTorch: ratios('outMs') });
    results.push(row);
    if (worker) torchRows.push({ id: c.id, threads, medianMs: pick('theirs', 'medianMs'), outMs: pick('theirs', 'outMs') });
    const range = (key) => (worker ? ` [${rounds.map((r) => ratioOf(r.theirs[key], r.ours[key])?.toFixed(2)).join(' ')}]` : '');
    console.error(`${c.id.padEnd(32)} ${threads}T ${row.medianMs.toFixed(2).padStart(8)} ms${range('medianMs')}` +
      (row.outMs === null ? '' : `, into out ${row.outMs.toFixed(2)} ms (${row.outGBps.toFixed(1)} GB/s)${range('outMs')}`));
  }
  worker?.close();
}

const machine = { cpu: cpuName(), cores: os.availableParallelism(), node: process.version, torch: torch?.version ?? null };
const report = { date: new Date().toISOString(), machine, copyGBps: copy, results, torch: torchRows };
const lines = [
  `Measured ${report.date.slice(0, 10)} by \`npm run bench:elementwise\` on ${machine.cpu} (${machine.cores} cores, Node ${machine.node})` +
  `${torch ? `, PyTorch ${torch.version} beside it (1 thread pinned to one core)` : ''}. 8M float32 elements; medians. ` +
  'Each op as users call it (a fresh result each call) and writing into a preallocated result (`{ out }`, PyTorch\'s `out=`), ' +
  'each compared with PyTorch doing the same. GB/s (of the out= time; for reductions, which return a few numbers, of ' +
  'the only time) counts the bytes the op must move at least (inputs read once, result written once); ' +
  `the machine's copy bandwidth (read + write) was ${copy[1].toFixed(1)} GB/s on 1 thread and ${copy[2].toFixed(1)} on 2. ` +
  '"×" is how many times faster convcore is than PyTorch at the same thread count: each case ran ' +
  `${ROUNDS} rounds, PyTorch's call and convcore's back to back (their order swapped each round), and "×" is the median ` +
  "of the rounds' ratios; times are the medians of the rounds' medians.",
  '',
  '| op | 1T fresh ms | × PyTorch | 1T out= ms | GB/s | × PyTorch out= | 2T fresh ms | × PyTorch | 2T out= ms | GB/s | × PyTorch out= |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
];
for (const c of CASES) {
  const cells = [1, 2].flatMap((t) => {
    const ours = results.find((r) => r.id === c.id && r.threads === t);
    const ratio = (value) => (value != null ? `${value.toFixed(2)}×` : '–');
    const fixed = (v, digits) => (v == null ? '–' : v.toFixed(digits));
    const gbps = ours.outGBps ?? ours.GBps;
    return [fixed(ours.medianMs, 2), ratio(ours.vsTorch), fixed(ours.outMs, 2), fixed(gbps, 1), ratio(ours.outVsTorch)];
  });
  lines.push(`| ${c.id} | ${cells.join(' | ')} |`);
}
const markdown = lines.join('\n') + '\n';
const dir = new URL('./results/', import.meta.url);
fs.writeFileSync(new URL('elementwise.json', dir), JSON.stringify(report, null, 2) + '\n');
fs.writeFileSync(new URL('elementwise.md', dir), markdown);
console.log(markdown);
