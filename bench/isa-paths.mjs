// npm run bench:isa-paths: each path's AVX-512 build against its AVX2 build on a sweep of
// channel-rich shapes (3-128 channels, 7-56 pixels wide, 1×1 to 5×5 kernels), one thread,
// the better median of two runs of each level, each level in its own process (the ISA is
// chosen once per process; CONVCORE_ISA_EVERYWHERE=1 keeps every path on AVX-512). The
// AVX-512 rules of native/kernels/dispatch.cc come from this table. A second table: image
// filters and depthwise convolutions (one channel a group, 3×3 and 5×5), forward, at 1 and
// 2 threads; --filters runs that one alone. The tables depend on the core (Zen 4 runs a
// 512-bit FMA as two 256-bit halves, Zen 5 at full rate): --save NAME also writes them to
// bench/results/isa-paths-NAME.md, headed by the CPU and its FMA peak per level.
//   node bench/isa-paths.mjs [--runs N] [--filters] [--save NAME]
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import { fmaPeaksByLevel } from './bench-addon.mjs';
import { median, sineFloats as rand } from './measure.mjs';
import { cpuName } from './cpu-name.mjs';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);

const require = createRequire(import.meta.url);

// The filter table's shapes: [name, N, C (= groups), H, W, k].
const FILTERS = [
  ['gray1080 3x3', 1, 1, 1080, 1920, 3], ['gauss1080 5x5', 1, 1, 1080, 1920, 5], ['gray 512² 3x3', 1, 1, 512, 512, 3],
  ['gray 64² 3x3', 1, 1, 64, 64, 3], ['rgb 256² 3x3', 1, 3, 256, 256, 3], ['4 rgb 512² 3x3', 4, 3, 512, 512, 3],
  ['rgbbatch (16 rgb 512²) 3x3', 16, 3, 512, 512, 3], ['gray 2048×2100 3x3', 1, 1, 2048, 2100, 3],
  ['depthwise 8×64×14² 3x3', 8, 64, 14, 14, 3], ['depthwise 8×64×28² 3x3', 8, 64, 28, 28, 3],
  ['depthwise 8×32×112² 3x3', 8, 32, 112, 112, 3],
];

function filterSweep(addon, packGeometry) {
  // In the child: each filter's forward (padded to the input's size) at 1 and 2 threads.
  const out = {};
  for (const [id, N, C, H, W, k] of FILTERS) {
    const pad = k >> 1;
    const P = packGeometry({
      batch: N, inChannels: C, outChannels: C, groups: C, inDepth: 1, inHeight: H, inWidth: W,
      kernelDepth: 1, kernelHeight: k, kernelWidth: k, outDepth: 1, outHeight: H, outWidth: W,
      strideD: 1, strideH: 1, strideW: 1, padFront: 0, padTop: pad, padLeft: pad, dilationD: 1, dilationH: 1, dilationW: 1,
    });
    const x = rand(N * C * H * W), w = rand(C * k * k), y = new Float32Array(x.length);
    const calls = Math.max(1, Math.round(4e6 / x.length));  // a few ms a sample
    out[id] = {};
    for (const threads of [1, 2]) {
      addon.setNumThreads(threads);
      addon.convForward(P, x, w, null, y);
      const times = [];
      for (let r = 0; r < 21; r++) {
        const t0 = process.hrtime.bigint();
        for (let c = 0; c < calls; c++) addon.convForward(P, x, w, null, y);
        times.push(Number(process.hrtime.bigint() - t0) / 1e6 / calls);
      }
      out[id][`${threads}T`] = median(times);
    }
  }
  return out;
}

function sweep(filtersOnly) {
  // In the child: time every shape's three passes with the ISA of this process.
  const { packGeometry } = require('../dist/geometry.js');
  const addon = require('../dist/binding.js').nativeAddon();
  const filters = filterSweep(addon, packGeometry);
  addon.setNumThreads(1);
  const out = {};
  if (!filtersOnly) for (const [C, O] of [[3, 16], [6, 16], [16, 32], [32, 32], [64, 64], [128, 128]]) {
    for (const size of [7, 8, 12, 14, 16, 24, 28, 32, 56]) {
      for (const k of [1, 3, 5]) {
        if (k > size) continue;
        const N = Math.min(64, Math.max(1, Math.round(2e6 / ((C * size * size * O * k * k) / 64))));
        const pad = k >> 1;
        const P = packGeometry({
          batch: N, inChannels: C, outChannels: O, groups: 1, inDepth: 1, inHeight: size, inWidth: size,
          kernelDepth: 1, kernelHeight: k, kernelWidth: k, outDepth: 1, outHeight: size, outWidth: size,
          strideD: 1, strideH: 1, strideW: 1, padFront: 0, padTop: pad, padLeft: pad, dilationD: 1, dilationH: 1, dilationW: 1,
        });
        const x = rand(N * C * size * size), w = rand(O * C * k * k), y = new Float32Array(N * O * size * size), gy = rand(y.length);
        const gx = new Float32Array(x.length), gw = new Float32Array(w.length);
        const passes = {
          fwd: () => addon.convForward(P, x, w, null, y),
          bwd_data: () => addon.convBackward(P, null, w, gy, gx, null, null),
          bwd_weight: () => addon.convBackward(P, x, null, gy, null, gw, null),
        };
        const id = `C${C} O${O} ${size}x${size} k${k}`;
        out[id] = {};
        for (const [pass, call] of Object.entries(passes)) {
          call();
          const times = [];
          for (let r = 0; r < 15; r++) {
            const t0 = process.hrtime.bigint();
            call();
            times.push(Number(process.hrtime.bigint() - t0) / 1e6);
          }
          out[id][pass] = median(times);
        }
      }
    }
  }
  return { isa: addon.isa(), out, filters };
}

const filtersOnly = process.argv.includes('--filters');
const argument = (name, fallback) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : fallback);

/** The CPU and the FMA peak of both levels. */
function machineLine() {
  const cpu = cpuName();
  return `Measured ${new Date().toISOString().slice(0, 10)} on ${cpu}, ${os.cpus().length} cores, Node ${process.version}; ` +
    `FMA peak GFLOP/s at 1 / 2 threads: ${fmaPeaksByLevel()}.`;
}
if (process.argv[2] === '--child') {
  console.log(JSON.stringify(sweep(filtersOnly)));
} else {
  const runs = Number(argument('--runs', 2));
  const lines = [];
  const print = (line) => {
    console.log(line);
    lines.push(line);
  };
  const level = (env) => Array.from({ length: runs }, () =>
    JSON.parse(execFileSync(process.execPath, [self, '--child', ...(filtersOnly ? ['--filters'] : [])], { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 24 })));
  const avx2 = level({ CONVCORE_ISA: 'avx2' });
  const avx512 = level({ CONVCORE_ISA_EVERYWHERE: '1' });
  if (avx512[0].isa !== 'avx512') {
    console.log(`This CPU has no AVX-512 (isa: ${avx512[0].isa}): nothing to compare.`);
    process.exit(0);
  }
  print(`${machineLine()}\n`);
  const ratio = (best512, best2) => `${((best512 / best2 - 1) * 100).toFixed(0)}%`;
  print('Image filters and depthwise convolutions, forward: AVX-512 time / AVX2 time - 1 (negative: AVX-512 faster)\n');
  print('| shape | AVX2 1T ms | 1 thread | AVX2 2T ms | 2 threads |\n|---|---|---|---|---|');
  for (const id of Object.keys(avx2[0].filters)) {
    const best = (runsOf, t) => Math.min(...runsOf.map((r) => r.filters[id][t]));
    const cells = ['1T', '2T'].map((t) => `${best(avx2, t).toFixed(3)} | ${ratio(best(avx512, t), best(avx2, t))}`);
    print(`| ${id} | ${cells.join(' | ')} |`);
  }
  if (!filtersOnly) {
    print('\nAVX-512 time / AVX2 time - 1, per pass (negative: AVX-512 faster), one thread\n');
    print('| shape | fwd | bwd_data | bwd_weight |\n|---|---|---|---|');
    for (const id of Object.keys(avx2[0].out)) {
      const cells = ['fwd', 'bwd_data', 'bwd_weight'].map((pass) => {
        const best = (runsOf) => Math.min(...runsOf.map((r) => r.out[id][pass]));
        return ratio(best(avx512), best(avx2));
      });
      print(`| ${id} | ${cells.join(' | ')} |`);
    }
  }
  const save = argument('--save', null);
  if (save !== null) {
    const file = new URL(`./results/isa-paths-${save}.md`, import.meta.url);
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    console.error(`wrote ${fileURLToPath(file)}`);
  }
}
