// npm run bench:avx2-then-now -- --then DIR: issue 15's "no regression on an AVX2-only
// machine", measured on any x86 machine. DIR is a built checkout of an earlier commit
// (the AVX2 engine before the AVX-512 level: 6630d4b); both packages run with
// CONVCORE_ISA=avx2, which on a CPU with AVX-512 runs every path as a CPU with AVX2 alone
// would. Each round times every shape, pass and thread count in one process per package,
// back to back, their order swapped each round; "now / then" is the median of the rounds'
// ratios (< 1: faster now). Writes results/avx2-then-now.md.
//   git worktree add /tmp/then 6630d4b && (cd /tmp/then && npm ci)
//   npm run bench:avx2-then-now -- --then /tmp/then [--rounds 5] [--shapes res3x3,vgg1]
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { cpuName } from './cpu-name.mjs';
import { median } from './measure.mjs';

const ALL = 'lenet1,lenet2,vgg1,res3x3,res1x1,res_s2,gray1080,gauss1080,rgbbatch,seq1d,vol3d';
const { values } = parseArgs({
  options: { then: { type: 'string' }, rounds: { type: 'string', default: '5' }, shapes: { type: 'string', default: ALL } },
});
if (!values.then) throw new Error('--then DIR: a built checkout of the earlier commit to compare with');
const packages = { then: path.resolve(values.then), now: path.resolve(new URL('..', import.meta.url).pathname) };
const commit = (dir) => execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: dir }).toString().trim();
const env = { ...process.env, CONVCORE_ISA: 'avx2' };
delete env.CONVCORE_PREBUILD;  // each package loads its own build

const timer = new URL('./time-passes.mjs', import.meta.url).pathname;
const time = (dir) => JSON.parse(execFileSync('node', [timer, dir, values.shapes, 'fwd,bwd_data,bwd_weight'], { env }).toString());
const rounds = [];
for (let r = 0; r < Number(values.rounds); r++) {
  const order = r % 2 ? ['now', 'then'] : ['then', 'now'];
  const round = {};
  for (const side of order) round[side] = time(packages[side]);
  rounds.push(round);
  console.log(`round ${r + 1} of ${values.rounds}`);
}

const lines = [
  `Measured ${new Date().toISOString().slice(0, 10)} by \`npm run bench:avx2-then-now\` on ${cpuName()}, ${os.cpus().length} cores, Node ${process.version}: ` +
  `${commit(packages.then)} (then) and ${commit(packages.now)} (now), both with CONVCORE_ISA=avx2; ${values.rounds} rounds, each package in its own process, back to back, order swapped each round. ` +
  'ms: the median of the rounds\' medians; now / then: the median of the rounds\' ratios [lowest, highest]; < 1: faster now.',
  '',
  '| shape | pass | threads | then ms | now ms | now / then |',
  '|---|---|---|---|---|---|',
];
for (const key of Object.keys(rounds[0].now)) {
  const [shape, pass, threads] = key.split('/');
  const ratios = rounds.map((r) => r.now[key] / r.then[key]).sort((a, b) => a - b);
  lines.push(`| ${shape} | ${pass} | ${threads} | ${median(rounds.map((r) => r.then[key])).toFixed(3)} | ` +
    `${median(rounds.map((r) => r.now[key])).toFixed(3)} | ${median(ratios).toFixed(2)} [${ratios[0].toFixed(2)}, ${ratios.at(-1).toFixed(2)}] |`);
}
fs.writeFileSync(new URL('./results/avx2-then-now.md', import.meta.url), lines.join('\n') + '\n');
console.log(lines.join('\n'));
