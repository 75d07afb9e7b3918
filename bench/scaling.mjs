// npm run bench:scaling: each standard shape's passes at 1 and 2 threads, the two
// alternated call by call (1, 2, 2, 1 threads a round) as users call them (results into
// `out`), and the speed-up the second thread gives as the median of the rounds' ratios
// with its quartiles. npm run bench times 1 thread and 2 threads minutes apart, and on
// a shared 2-vCPU machine the speed moves by 10-20% in between; alternating cancels
// that drift out of each round. Writes results/scaling.{json,md}.
//   node bench/scaling.mjs [--rounds 15] [--shapes res3x3,res1x1]
import * as fs from 'node:fs';
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import { isa, setNumThreads } from 'convcore';
import { convcoreCalls } from './convcore-runner.mjs';
import { cpuName } from './cpu-name.mjs';
import { PASSES, quantile } from './measure.mjs';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '15' }, shapes: { type: 'string' } } });
const rounds = Number(values.rounds);
const read = (name) => JSON.parse(fs.readFileSync(new URL(name, import.meta.url), 'utf8')).shapes;
const only = values.shapes?.split(',');
const shapes = [...read('./shapes.json'), ...read('./shapes-nd.json')].filter((s) => s.id !== 'toy' && (!only || only.includes(s.id)));

/** ms of `calls` calls of fn (enough for a few ms a sample). */
const timed = (fn, calls) => {
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) fn();
  return (performance.now() - t0) / calls;
};

const rows = [];
for (const s of shapes) {
  const calls = convcoreCalls(s);
  for (const pass of PASSES) {
    const fn = calls[pass];
    setNumThreads(1);
    fn();
    const single = timed(fn, 1);
    const batch = Math.max(1, Math.ceil(3 / single));
    const at = (threads) => {
      setNumThreads(threads);
      fn();  // the pool's threads awake
      return timed(fn, batch);
    };
    const ratios = [], one = [], two = [];
    for (let r = 0; r < rounds; r++) {
      const a = at(1), b = at(2), b2 = at(2), a2 = at(1);
      ratios.push((a + a2) / (b + b2));
      one.push(a, a2);
      two.push(b, b2);
    }
    for (const list of [ratios, one, two]) list.sort((p, q) => p - q);
    const row = {
      shape: s.id, pass, oneMs: quantile(one, 0.5), twoMs: quantile(two, 0.5),
      speedup: quantile(ratios, 0.5), q1: quantile(ratios, 0.25), q3: quantile(ratios, 0.75),
    };
    rows.push(row);
    console.error(`${s.id.padEnd(10)} ${pass.padEnd(10)} 1T ${row.oneMs.toFixed(3)} ms, 2T ${row.twoMs.toFixed(3)} ms: ` +
      `${row.speedup.toFixed(2)}× [${row.q1.toFixed(2)}, ${row.q3.toFixed(2)}]`);
  }
}
setNumThreads(2);

const date = new Date().toISOString();
const dir = new URL('./results/', import.meta.url);
fs.writeFileSync(new URL('scaling.json', dir), JSON.stringify({ date, machine: { cpu: cpuName(), cores: os.cpus().length, isa: isa(), node: process.version }, rounds, rows }, null, 2));
const lines = [
  `Measured ${date.slice(0, 10)} by \`npm run bench:scaling\` on ${cpuName()} (${os.cpus().length} cores, kernels: ${isa()}, ` +
    `Node ${process.version}): each pass at 1 and 2 threads alternated call by call (1, 2, 2, 1 threads a round, ${rounds} rounds, ` +
    'results into `out`); the 2-thread speed-up is the median of the rounds\' ratios [quartiles].',
  '',
  '| shape | pass | 1T ms | 2T ms | 2T speed-up |',
  '|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.shape} | ${r.pass} | ${r.oneMs.toFixed(3)} | ${r.twoMs.toFixed(3)} | ${r.speedup.toFixed(2)}× [${r.q1.toFixed(2)}, ${r.q3.toFixed(2)}] |`),
];
fs.writeFileSync(new URL('scaling.md', dir), `${lines.join('\n')}\n`);
console.log(lines.join('\n'));
