// npm run bench: convcore's three passes on the standard shapes (shapes.json, a copy of
// the team's bench/shapes.json, and the 1-D and 3-D ones of shapes-nd.json) at 1 and 2
// threads, against the machine's measured FMA peak (of the ISA level in use, and of each
// level) and memory bandwidth, side by side with PyTorch (where installed), TensorFlow.js
// (WASM and CPU backends) and convcore's own pure-TS reference, in one run. Writes
// results/NAME.{json,md} (NAME: latest unless --name says otherwise).
//   node bench/run.mjs [--shapes id,id] [--no-peers] [--no-reference] [--quick] [--name NAME]
import * as fs from 'node:fs';
import * as os from 'node:os';
import { Conv2D, SGD, Tensor, conv2d, getNumThreads, isa, setNumThreads } from 'convcore';
import { fmaPeak, parallelCopy } from './bench-addon.mjs';
import { convcoreCalls } from './convcore-runner.mjs';
import { PASSES, measure, median, outputSize, passFlops } from './measure.mjs';
import { markdownReport } from './report.mjs';
import { loadTfjs, tfjsCalls } from './tfjs-runner.mjs';
import { findTorch, torchWorkers } from './torch.mjs';
import { backToBack, peerAtItsBest } from './back-to-back.mjs';
import { cpuName } from './cpu-name.mjs';

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const only = option('--shapes')?.split(',');
const quick = flag('--quick');
const reportName = option('--name') ?? 'latest';
const timing = quick ? { minReps: 3, minSeconds: 0.1 } : { minReps: 5, minSeconds: 0.4 };
const readShapes = (file) => JSON.parse(fs.readFileSync(new URL(file, import.meta.url), 'utf8')).shapes;
const shapes = [...readShapes('./shapes.json'), ...readShapes('./shapes-nd.json')]
  .filter((s) => !only || only.includes(s.id));
const THREADS = [1, 2];
const IMAGE_SHAPES = ['gray1080', 'gauss1080', 'rgbbatch'];
const log = (...a) => console.error(...a);

// ---- the machine ------------------------------------------------------------------------
// CPU time the hypervisor gave to other guests (steal), from /proc/stat: on a shared
// virtual machine it explains 2-thread timings that fall short.
function stealTicks() {
  try {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { steal: cpu[7] ?? 0, total: cpu.reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}
const stealAtStart = stealTicks();
const defaultThreads = getNumThreads();
const machine = {
  cpu: cpuName(), cores: os.cpus().length, isa: isa(), node: process.version,
  peakGflops: {}, copyGBps: {},
};
const big = 16 << 20; // 64 MiB of floats each way
const src = new Float32Array(big).fill(1), dst = new Float32Array(big);
/** GB/s of a memory copy (read and write) at the current thread count. */
const copyGBps = () => {
  const copy = measure(() => parallelCopy(src, dst, getNumThreads()), { minReps: 5, minSeconds: 0.3 });
  return (2 * big * 4) / (copy.medianMs / 1e3) / 1e9;
};
// The peak of the level in use, and of each level the CPU has (AVX-512 doubles AVX2's
// where the core runs 512-bit FMAs at full rate, as Zen 5 does).
const ALL_LEVELS = ['generic', 'avx2', 'avx512'];
const LEVELS = ALL_LEVELS.slice(0, ALL_LEVELS.indexOf(isa()) + 1);
machine.peakByIsa = {};
for (const t of THREADS) {
  setNumThreads(t);
  machine.peakGflops[t] = fmaPeak({ seconds: 0.5, threads: t });
  for (const level of LEVELS) (machine.peakByIsa[level] ??= {})[t] = fmaPeak({ seconds: 0.3, threads: t, isa: level });
  machine.copyGBps[t] = copyGBps();
}
log('FMA peak by ISA level: ' + LEVELS.map((l) => `${l} ${THREADS.map((t) => machine.peakByIsa[l][t].toFixed(0)).join('/')}`).join(', ') + ' GFLOP/s at 1/2 threads');
log(`machine: ${machine.cpu}, ${machine.cores} cores, isa ${machine.isa}; FMA peak ` +
  THREADS.map((t) => `${machine.peakGflops[t].toFixed(0)} GFLOP/s @${t}T`).join(', ') +
  '; copy ' + THREADS.map((t) => `${machine.copyGBps[t].toFixed(1)} GB/s @${t}T`).join(', '));

// ---- convcore, and PyTorch (oneDNN) back to back where Debian's python3-torch is installed
// This virtual machine's speed changes from one second to the next, for every process at
// once, so each call runs in ROUNDS rounds, PyTorch's (in a worker kept running, two
// processes a thread count, in turn) and convcore's back to back, their order swapped
// every second round; each round gives a ratio.
const torch = flag('--no-peers') ? null : findTorch();
const ROUNDS = torch ? 4 : 1;
const roundTiming = torch ? { ...timing, minSeconds: quick ? 0.1 : 0.25 } : timing;
const pytorch = torch && torchWorkers(torch, THREADS, { minSeconds: roundTiming.minSeconds, processes: 2 });
if (torch) log(`PyTorch ${torch.version} (${torch.python}): 1 thread${pytorch.pinned ? ' pinned to core 0' : ''}, then ${Math.max(...THREADS)}; ${ROUNDS} rounds a call`);
else if (!flag('--no-peers')) log('PyTorch: not installed (apt-get install python3-torch), not measured');

const results = [], peers = [];

// PyTorch's row of a call: its rounds in the process where it did better, the ratio the
// median of their ratios (PyTorch's time / convcore's), with its median time.
function pytorchRow(s, pass, threads, rounds) {
  const roundRatio = (r) => r.theirs.medianMs / r.ours.medianMs;
  const best = peerAtItsBest(rounds, roundRatio);
  return {
    peer: 'torch', shape: s.id, pass, threads, ratio: best.ratio,
    medianMs: median(best.rounds.map((r) => r.theirs.medianMs)), minMs: Math.min(...best.rounds.map((r) => r.theirs.minMs)),
    pinned: threads === 1 && pytorch.pinned, roundRatios: rounds.map(roundRatio),
  };
}

for (const s of shapes) {
  const calls = convcoreCalls(s);
  const flops = passFlops(s);
  for (const t of THREADS) {
    setNumThreads(t);
    for (const pass of PASSES) {
      // An image filter's forward is timed between two copies, and compared with their
      // mean bandwidth: on a shared machine the bandwidth drifts over a run, and the
      // copy at the start can be minutes older than the filter.
      const streamed = IMAGE_SHAPES.includes(s.id) && pass === 'fwd';
      const copyBefore = streamed ? copyGBps() : 0;
      const rounds = await backToBack(ROUNDS, pytorch ? pytorch.workers[t] : [], (worker) => worker.ask(s, pass),
        () => measure(calls[pass], roundTiming));
      const m = {
        medianMs: median(rounds.map((x) => x.ours.medianMs)),
        minMs: Math.min(...rounds.map((x) => x.ours.minMs)),
        reps: rounds.reduce((sum, x) => sum + x.ours.reps, 0),
      };
      const gflops = flops / (m.medianMs / 1e3) / 1e9;
      const row = { shape: s.id, pass, threads: t, ...m, gflops, pctPeak: (100 * gflops) / machine.peakGflops[t] };
      // The same call allocating its result, as `const y = conv2d(x, w)` does.
      row.freshMs = measure(calls.fresh[pass], timing).medianMs;
      if (streamed) {
        const bytes = calls.bytes.input + calls.bytes.output;
        row.copyGBps = (copyBefore + copyGBps()) / 2;
        row.streamMs = (bytes / (row.copyGBps * 1e9)) * 1e3;
        row.GBps = bytes / (m.medianMs / 1e3) / 1e9;
      }
      results.push(row);
      log(`${s.id.padEnd(10)} ${pass.padEnd(10)} ${t}T ${m.medianMs.toFixed(3).padStart(9)} ms ` +
        `${gflops.toFixed(1).padStart(7)} GFLOP/s ${row.pctPeak.toFixed(0).padStart(4)}% of peak; fresh result ${row.freshMs.toFixed(3)} ms`);
      if (pytorch) {
        const torchRow = pytorchRow(s, pass, t, rounds);
        peers.push(torchRow);
        log(`torch     ${s.id.padEnd(10)} ${pass.padEnd(10)} ${t}T ${torchRow.medianMs.toFixed(3).padStart(9)} ms  convcore ` +
          `${torchRow.ratio.toFixed(2)}× as fast (rounds: ${torchRow.roundRatios.map((x) => x.toFixed(2)).join(' ')})`);
      }
    }
  }
}
if (pytorch) for (const list of Object.values(pytorch.workers)) for (const w of list) w.close();
setNumThreads(defaultThreads);

// ---- peers (one thread each: tfjs in Node runs its kernels on the JS thread) --------------
// Rough rates from earlier runs, only to skip calls that would take minutes.
const EXPECTED_GFLOPS = {
  reference: { fwd: 0.3, bwd_data: 0.3, bwd_weight: 0.3 },
  wasm: { fwd: 3, bwd_data: 1, bwd_weight: 1 },
  cpu: { fwd: 0.4, bwd_data: 0.4, bwd_weight: 0.005 },
};
const LIMIT_SECONDS = quick ? 1 : 10;
const peerTiming = { minReps: 1, maxReps: 20, minSeconds: quick ? 0.2 : 0.5, warmup: 1 };

function runPeer(peer, s, pass, fn) {
  const flops = passFlops(s);
  const estimate = flops / (EXPECTED_GFLOPS[peer][pass] * 1e9);
  const row = { peer, shape: s.id, pass, threads: 1 };
  if (fn === null) row.skipped = 'no kernel';
  else if (estimate > LIMIT_SECONDS) row.skipped = `too slow (≈${estimate.toFixed(0)} s a call)`;
  else {
    try {
      const m = measure(fn, { ...peerTiming, warmup: estimate > 0.5 ? 0 : 1 });
      Object.assign(row, m, { gflops: flops / (m.medianMs / 1e3) / 1e9 });
    } catch (error) {
      row.skipped = `failed: ${String(error.message).split('\n')[0].slice(0, 60)}`;
    }
  }
  peers.push(row);
  log(`${peer.padEnd(9)} ${s.id.padEnd(10)} ${pass.padEnd(10)} ` + (row.skipped ?? `${row.medianMs.toFixed(2)} ms ${row.gflops.toFixed(2)} GFLOP/s`));
}

// --no-reference: convcore alone (npm run bench:isa times each ISA level so).
if (!flag('--no-reference')) {
  setNumThreads(1);
  for (const s of shapes) {
    const calls = convcoreCalls(s, { backend: 'reference' });
    for (const pass of PASSES) runPeer('reference', s, pass, calls[pass]);
  }
  setNumThreads(defaultThreads);
}
if (!flag('--no-peers')) {
  const tf = await loadTfjs();
  for (const backendName of ['wasm', 'cpu']) {
    for (const s of shapes) {
      const calls = await tfjsCalls(tf, backendName, s);
      for (const pass of PASSES) runPeer(backendName, s, pass, calls ? calls[pass] : null);
      calls?.dispose();
    }
  }
}

// ---- small calls: the book's example --------------------------------------------------------
const X = Tensor.ones([1, 1, 6, 8]);
const K = Tensor.fromArray([[[[1, -1]]]]);
const Y = conv2d(X, K);
const layer = new Conv2D(1, 1, [1, 2], { bias: false });
const sgd = new SGD(layer.parameters(), { lr: 3e-2 });
const perCall = (fn) => {
  const n = 20000;
  const m = measure(() => { for (let i = 0; i < n; i++) fn(); }, { minReps: 5, minSeconds: 0.5 });
  return (m.medianMs * 1e3) / n;
};
const smallCalls = {
  forwardUs: perCall(() => conv2d(X, K)),
  trainStepUs: perCall(() => {
    const loss = layer.forward(X).sub(Y).square().sum();
    layer.zeroGrad();
    loss.backward();
    sgd.step();
  }),
};
log(`toy: forward ${smallCalls.forwardUs.toFixed(2)} µs, training step ${smallCalls.trainStepUs.toFixed(2)} µs`);

// ---- report -----------------------------------------------------------------------------------
const stealAtEnd = stealTicks();
if (stealAtStart && stealAtEnd && stealAtEnd.total > stealAtStart.total) {
  machine.stealPercent = (100 * (stealAtEnd.steal - stealAtStart.steal)) / (stealAtEnd.total - stealAtStart.total);
}
const report = { date: new Date().toISOString(), machine, results, peers, smallCalls };
const dir = new URL('./results/', import.meta.url);
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(new URL(`${reportName}.json`, dir), JSON.stringify(report, null, 2) + '\n');
const markdown = markdownReport(report);
fs.writeFileSync(new URL(`${reportName}.md`, dir), markdown);
console.log(markdown);
