// npm run bench:queue: what the distributed queue itself costs. 500 photo-like JPEGs
// (640×480) through a Gaussian blur (gaussian:1.5), two ways in one run, alternating:
//   local  filterImages(…, { concurrency: 2 }) in this process (convcore's 2 threads);
//   queue  enqueueFilterImages, then waitForBatch, with two `convcore worker -c 1` processes
//          on this machine (already started and warmed up: they are long-running services),
//          once with --threads 1 each (2 threads in all, as the local run) and once with the
//          default (each worker the machine's cores); and with one `convcore worker -c 2`,
//          the local run's shape exactly, which isolates the queue's own cost per image.
// Time = enqueue to the last image settled for the queue, the filterImages call for the
// local run; every output is checked against the local run's bytes. Starts its own
// redis-server (Debian's package) on a free port. Writes results/queue.{json,md}.
//   node bench/queue.mjs [--images 500] [--runs 3]
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { enqueueFilterImages, filterImages, waitForBatch } from 'convcore';
import { median } from './measure.mjs';
import { cpuName } from './cpu-name.mjs';

const { values } = parseArgs({ options: { images: { type: 'string', default: '500' }, runs: { type: 'string', default: '3' } } });
const count = Number(values.images), runs = Number(values.runs);
const log = (...a) => console.error(...a);
const CLI = new URL('../dist/cli/main.js', import.meta.url).pathname;
const FILTERS = ['gaussian:1.5'];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const port = await new Promise((resolve) => {
  const server = createServer().listen(0, '127.0.0.1', () => { const { port } = server.address(); server.close(() => resolve(port)); });
});
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'convcore-bench-queue-'));
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', scratch, '--save', '', '--appendonly', 'no'],
  { stdio: 'ignore' });
while (spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' }).stdout?.trim() !== 'PONG') await sleep(50);
const queue = `redis://127.0.0.1:${port}/0`;

/** A photo-like JPEG: gradients, a disc and grain (deterministic per index). */
async function photo(file, i) {
  const width = 640, height = 480, data = Buffer.alloc(width * height * 3);
  let state = i + 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const disc = (x - width / 2 - i) ** 2 + (y - height / 2) ** 2 < (height / 3) ** 2;
      for (let c = 0; c < 3; c++) {
        state = (Math.imul(state, 1103515245) + 12345) >>> 0;
        data[(y * width + x) * 3 + c] = Math.min(255, (disc ? 200 - c * 40 : (x * 255) / width + (y * 100) / height) + ((state >>> 24) % 16));
      }
    }
  }
  await sharp(data, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toFile(file);
}
fs.mkdirSync(path.join(scratch, 'in'));
const inputs = [];
for (let i = 0; i < count; i++) {
  const file = path.join(scratch, 'in', `photo-${String(i).padStart(4, '0')}.jpg`);
  await photo(file, i);
  inputs.push(file);
}
log(`${count} images in ${scratch}`);

function startWorkers({ workers, concurrency, threads }) {
  return Array.from({ length: workers }, () => spawn(process.execPath, [CLI, 'worker', '--queue', queue, '-c', String(concurrency), '-q',
    ...(threads === undefined ? [] : ['--threads', String(threads)])], { stdio: 'ignore' }));
}
async function stopWorkers(workers) {
  await Promise.all(workers.map((w) => new Promise((resolve) => { w.once('exit', resolve); w.kill('SIGTERM'); })));
}

let outputs = 0;
const freshDir = () => path.join(scratch, `out-${outputs++}`);
let reference = null;
function checkAgainstReference(dir) {
  for (const name of fs.readdirSync(reference)) {
    if (!fs.readFileSync(path.join(dir, name)).equals(fs.readFileSync(path.join(reference, name)))) throw new Error(`${name} differs from the local run`);
  }
  fs.rmSync(dir, { recursive: true });
}

async function localRun() {
  const dir = freshDir();
  const start = performance.now();
  const summary = await filterImages(inputs, dir, FILTERS, { concurrency: 2 });
  const ms = performance.now() - start;
  if (summary.written !== count) throw new Error(`local run wrote ${summary.written} of ${count}`);
  if (reference === null) reference = dir;
  else checkAgainstReference(dir);
  return ms;
}

async function queueRun() {
  const dir = freshDir();
  const start = performance.now();
  const { batchId } = await enqueueFilterImages(inputs, dir, FILTERS, { queue });
  const summary = await waitForBatch(batchId, { queue, pollInterval: 20 });
  const ms = performance.now() - start;
  if (summary.written !== count) throw new Error(`queue run wrote ${summary.written} of ${count}`);
  checkAgainstReference(dir);
  return ms;
}

const setups = [
  { name: 'two workers `-c 1`, 1 thread each', workers: 2, concurrency: 1, threads: 1 },
  { name: 'two workers `-c 1`, default threads', workers: 2, concurrency: 1, threads: undefined },
  { name: 'one worker `-c 2`, default threads', workers: 1, concurrency: 2, threads: undefined },
];
const times = { local: [], ...Object.fromEntries(setups.map((s) => [s.name, []])) };
await localRun();  // warm-up, and the reference outputs
for (const setup of setups) {
  const workers = startWorkers(setup);
  await queueRun();  // warm-up: workers loaded, connections open
  for (let r = 0; r < runs; r++) {
    times.local.push(await localRun());
    times[setup.name].push(await queueRun());
    log(`${setup.name}: local ${times.local.at(-1).toFixed(0)} ms, queue ${times[setup.name].at(-1).toFixed(0)} ms`);
  }
  await stopWorkers(workers);
}
redis.kill();
fs.rmSync(scratch, { recursive: true, force: true });

const date = new Date().toISOString();
const localMs = median(times.local);
const rows = setups.map((s) => ({ name: s.name, ms: median(times[s.name]), ratio: median(times[s.name]) / localMs }));
const lines = [
  `Measured ${date.slice(0, 10)} by \`npm run bench:queue\` on ${cpuName()} (${os.cpus().length} cores, Node ${process.version}, ` +
    `Redis ${spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout.match(/v=(\S+)/)?.[1]} on loopback); ${count} JPEGs 640×480, gaussian:1.5, medians of ${runs} alternating runs.`,
  '',
  '| run | ms | images/s | time against the local run |',
  '|---|---|---|---|',
  `| local \`filterImages\`, concurrency 2 | ${localMs.toFixed(0)} | ${(count / localMs * 1000).toFixed(0)} | 1.00× |`,
  ...rows.map((r) => `| queue: ${r.name} | ${r.ms.toFixed(0)} | ${(count / r.ms * 1000).toFixed(0)} | ${r.ratio.toFixed(2)}× |`),
];
const markdown = lines.join('\n') + '\n';
fs.writeFileSync(new URL('./results/queue.json', import.meta.url), JSON.stringify({ date, count, runs, times, localMs, rows }, null, 2) + '\n');
fs.writeFileSync(new URL('./results/queue.md', import.meta.url), markdown);
console.log(markdown);
