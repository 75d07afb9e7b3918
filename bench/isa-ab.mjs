// npm run bench:isa-ab: the AVX2 and AVX-512 builds of each GEMM path on the channel-rich
// standard shapes, their calls alternated in one process (avx2, avx512, avx512, avx2 per
// round), so that the machine's drift, which on a shared 2-vCPU machine moves whole runs
// by 10-20%, cancels out of each round's ratio. Reports the median of the rounds' ratios
// and its quartiles, at 1 and 2 threads: where the dispatch table's Zen 4 rules come from
// (native/kernels/dispatch.cc). Each pass runs the path the dispatch table gives the shape
// (seq1d's as the 2-D convolution of one row that conv1d runs). Then the reductions over
// 8M floats (bench:elementwise's), which only read: where the rule of sumKernels comes from.
//   node bench/isa-ab.mjs [--rounds 25] [--save NAME]  (writes results/isa-ab-NAME.md)
import * as fs from 'node:fs';
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import { fmaPeaksByLevel, timePath, timeReduction } from './bench-addon.mjs';
import { quantile, sineFloats as rand } from './measure.mjs';
import { cpuName } from './cpu-name.mjs';
import { isa } from 'convcore';
import { packGeometry } from '../dist/geometry.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '25' }, save: { type: 'string' } } });
const rounds = Number(values.rounds);
const read = (name) => JSON.parse(fs.readFileSync(new URL(name, import.meta.url), 'utf8')).shapes;
// The shapes whose passes are GEMMs, as 2-D convolutions (seq1d: one row); each with the
// data-gradient path the dispatch table takes for it (stride 1 with 6 or more input
// channels and a full-size output: a forward over the gradient; otherwise the column
// gradient, scattered).
const planes = [
  ...read('./shapes.json').filter((s) => ['lenet2', 'vgg1', 'res3x3', 'res1x1', 'res_s2'].includes(s.id))
    .map((s) => ({ ...s, padTop: s.pad, padLeft: s.pad })),
  ...read('./shapes-nd.json').filter((s) => s.id === 'seq1d')
    .map((s) => ({ ...s, H: 1, W: s.L, kh: 1, kw: s.k, padTop: 0, padLeft: s.pad })),
].map((s) => {
  const OH = Math.floor((s.H + 2 * s.padTop - s.kh) / s.stride) + 1, OW = Math.floor((s.W + 2 * s.padLeft - s.kw) / s.stride) + 1;
  const dataPath = s.stride === 1 && s.C / s.groups >= 6 && 4 * s.H * s.W <= 5 * OH * OW ? 'dataAsForward' : 'dataGemm';
  return { ...s, OH, OW, dataPath };
});

if (isa() !== 'avx512') {
  console.log(`This CPU's level is ${isa()}: no AVX-512 build to compare.`);
  process.exit(0);
}
const lines = [];
const print = (line) => {
  console.log(line);
  lines.push(line);
};
print(`Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench:isa-ab\` on ${cpuName()}, ${os.cpus().length} cores, ` +
  `Node ${process.version}; FMA peak GFLOP/s at 1 / 2 threads: ${fmaPeaksByLevel()}. ` +
  `AVX-512 time / AVX2 time of each path, the median of ${rounds} rounds' ratios [quartiles]; < 1: AVX-512 faster.\n`);
print('| shape | pass (path) | threads | AVX2 ms | AVX-512 / AVX2 |\n|---|---|---|---|---|');
for (const s of planes) {
  const { id, OH, OW } = s;
  const params = packGeometry({
    batch: s.N, inChannels: s.C, outChannels: s.O, groups: s.groups, inDepth: 1, inHeight: s.H, inWidth: s.W,
    kernelDepth: 1, kernelHeight: s.kh, kernelWidth: s.kw, outDepth: 1, outHeight: OH, outWidth: OW,
    strideD: 1, strideH: s.stride, strideW: s.stride, padFront: 0, padTop: s.padTop, padLeft: s.padLeft,
    dilationD: 1, dilationH: 1, dilationW: 1,
  });
  const buffers = {
    x: rand(s.N * s.C * s.H * s.W), w: rand(s.O * (s.C / s.groups) * s.kh * s.kw), y: rand(s.N * s.O * OH * OW),
    gx: new Float32Array(s.N * s.C * s.H * s.W), gw: new Float32Array(s.O * (s.C / s.groups) * s.kh * s.kw),
  };
  for (const [pass, path] of [['fwd', 'forward'], ['bwd_data', s.dataPath], ['bwd_weight', 'weightGemm']]) {
    for (const threads of [1, 2]) {
      const call = (level) => timePath({ isa: level, path, threads, params, ...buffers });
      print(`| ${id} | ${pass} (${path}) | ${threads} | ${alternated(call)} |`);
    }
  }
}

// Reductions of a contiguous x of `sizes` over the dimensions flagged in `reduced` (the
// layouts Tensor's sum, amax and argmax hand the kernel).
const M = 2 ** 20;
const REDUCTIONS = [
  { id: 'sum of 8M', op: 'sum', sizes: [8 * M], reduced: [1] },
  { id: 'sum over dim 1 of (8, 1M)', op: 'sum', sizes: [8, M], reduced: [0, 1] },
  { id: 'sum over dims 0, 2, 3 of (32, 64, 64, 64)', op: 'sum', sizes: [32, 64, 4096], reduced: [1, 0, 1] },
  { id: 'max of 8M', op: 'max', sizes: [8 * M], reduced: [1] },
  { id: 'argmax of 8M', op: 'argmax', sizes: [1, 8 * M, 1], reduced: [0, 1, 0] },
];
print('\n| reduction | threads | AVX2 ms | AVX-512 / AVX2 |\n|---|---|---|---|');
const x = rand(8 * M), out = new Float32Array(64);
for (const { id, op, sizes, reduced } of REDUCTIONS) {
  const outputs = sizes.reduce((n, size, d) => (reduced[d] ? n : n * size), 1);
  for (const threads of [1, 2]) {
    const call = (level) => timeReduction({ isa: level, op, threads, sizes, reduced, x, out: out.subarray(0, outputs) });
    print(`| ${id} | ${threads} | ${alternated(call)} |`);
  }
}

// "AVX2 ms | ratio [quartiles]" of `rounds` rounds alternating the levels (avx2, avx512,
// avx512, avx2), after one call of each.
function alternated(call) {
  call('avx2');
  call('avx512');
  const ratios = [], avx2Times = [];
  for (let r = 0; r < rounds; r++) {
    const a = call('avx2'), b = call('avx512'), b2 = call('avx512'), a2 = call('avx2');
    ratios.push((b + b2) / (a + a2));
    avx2Times.push(a, a2);
  }
  ratios.sort((p, q) => p - q);
  avx2Times.sort((p, q) => p - q);
  return `${(quantile(avx2Times, 0.5) * 1e3).toFixed(3)} | ` +
    `${quantile(ratios, 0.5).toFixed(2)} [${quantile(ratios, 0.25).toFixed(2)}, ${quantile(ratios, 0.75).toFixed(2)}]`;
}

if (values.save !== undefined) fs.writeFileSync(new URL(`./results/isa-ab-${values.save}.md`, import.meta.url), `${lines.join('\n')}\n`);
