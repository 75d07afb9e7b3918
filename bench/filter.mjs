// npm run bench:filter: convcore's image filters against sharp (libvips) in one run.
//  1. The filter stage alone (as filterImages runs it), on decoded 8-bit pixels: a grey full-HD frame (3×3 and a
//     5×5 Gaussian) and an RGB 512² image, 2 threads each (sharp.concurrency(2)); sharp's
//     convolve always replicates the border, so convcore uses 'replicate' here too.
//  2. End to end (read → decode → 3×3 filter → encode → write) on 16 RGB 512² JPEGs and
//     16 PNGs, all in flight at once as the peers measured (Promise.all); sharp also
//     without the convolution, which bounds what any filter can reach.
// Medians of --runs runs (default 7; at least 41 for the stage alone). Writes results/filter.{json,md}.
//   node bench/filter.mjs [--runs 7]
import * as fs from 'node:fs';
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import * as path from 'node:path';
import { filterImages, setNumThreads } from 'convcore';
import binding from '../dist/binding.js';
import { bytePool } from '../dist/alloc.js';
import { filterDecoded, planFilters } from '../dist/image/batch.js';
import { parseFilter } from '../dist/image/filters.js';
import { median } from './measure.mjs';
import { cpuName } from './cpu-name.mjs';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' } } });
const runs = Number(values.runs);
const log = (...a) => console.error(...a);
const addon = binding.nativeAddon();
setNumThreads(2);
sharp.concurrency(2);

async function time(fn, count = runs) {
  await fn();  // warm-up
  const times = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return median(times);
}

/** A photo-like test image: smooth gradients, edges and grain (deterministic). */
function picture(width, height, channels, seed) {
  const data = Buffer.alloc(width * height * channels);
  let state = seed;
  const noise = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 24) % 16;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inDisc = (x - width / 2) ** 2 + (y - height / 2) ** 2 < (height / 3) ** 2;
      for (let c = 0; c < channels; c++) {
        const base = inDisc ? 200 - (c * 40) : (x * 255) / width * (c === 1 ? 0.5 : 1) + (y * 100) / height;
        data[(y * width + x) * channels + c] = Math.min(255, base + noise());
      }
    }
  }
  return data;
}

// ---- 1. the filter stage alone -------------------------------------------------------------
const SMOOTH_3x3 = [1, 2, 1, 2, 4, 2, 1, 2, 1];
// Exactly what filterImages (and so `convcore filter`) runs between decoding and
// encoding: filterDecoded, on the calling thread with convcore's pool, buffers from the
// library's pools given back once used. (filterImage runs its float convolutions off
// the JS thread instead, on private copies of their buffers.)
async function convcoreStage(pixels, width, height, channels, filter) {
  const raw = { bytes: pixels, width, height, channels, format: 'raw' };
  const plan = planFilters('bench', [filter], { border: 'replicate' });
  bytePool.give(await filterDecoded(raw, plan, 'sync'));
}
const sharpStage = (pixels, width, height, channels, kernel, size) =>
  sharp(pixels, { raw: { width, height, channels } })
    .convolve({ width: size, height: size, kernel, scale: kernel.reduce((a, b) => a + b, 0) }).raw().toBuffer();

function gaussianKernel5() {
  // sharp wants integer-ish weights and a scale: the same Gaussian, times 10^4.
  return { kernel: [...parseFilter('gaussian:1:5').weights].map((w) => w * 1e4) };
}

const stageCases = [];
{
  const grey = picture(1920, 1080, 1, 1), rgb = picture(512, 512, 3, 2);
  const g5 = gaussianKernel5();
  const cases = [
    ['gray1080, 3×3', grey, 1920, 1080, 1, [[1, 2, 1], [2, 4, 2], [1, 2, 1]].map((r) => r.map((v) => v / 16)), SMOOTH_3x3, 3],
    ['gauss1080, 5×5 Gaussian', grey, 1920, 1080, 1, 'gaussian:1:5', g5.kernel, 5],
    ['RGB 512², 3×3 per channel', rgb, 512, 512, 3, [[1, 2, 1], [2, 4, 2], [1, 2, 1]].map((r) => r.map((v) => v / 16)), SMOOTH_3x3, 3],
  ];
  for (const [name, pixels, width, height, channels, filter, kernel, size] of cases) {
    // A stage takes milliseconds: more runs, so that a noisy moment cannot move the median.
    const stageRuns = Math.max(runs, 41);
    const convcoreMs = await time(() => convcoreStage(pixels, width, height, channels, filter), stageRuns);
    const sharpMs = await time(() => sharpStage(pixels, width, height, channels, kernel, size), stageRuns);
    stageCases.push({ name, convcoreMs, sharpMs, speedup: sharpMs / convcoreMs });
    log(`${name}: convcore ${convcoreMs.toFixed(2)} ms, sharp ${sharpMs.toFixed(2)} ms`);
  }
}

// ---- 2. end to end --------------------------------------------------------------------------
// Files in, files out (a temporary directory), as `convcore filter` runs: convcore's
// filterImages against sharp reading, convolving and writing every file at once.
async function batch(format, dir) {
  fs.mkdirSync(dir, { recursive: true });
  return Promise.all(Array.from({ length: 16 }, async (_, i) => {
    const file = path.join(dir, `image-${i}.${format === 'jpeg' ? 'jpg' : 'png'}`);
    await sharp(picture(512, 512, 3, 10 + i), { raw: { width: 512, height: 512, channels: 3 } })
      .toFormat(format, format === 'jpeg' ? { quality: 85 } : {}).toFile(file);
    return file;
  }));
}
const endCases = [];
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'convcore-bench-filter-'));
for (const format of ['jpeg', 'png']) {
  const files = await batch(format, path.join(scratch, `in-${format}`));
  const out = (tool) => path.join(scratch, `out-${format}-${tool}`);
  for (const tool of ['convcore', 'sharp', 'codec']) fs.mkdirSync(out(tool), { recursive: true });
  const kernel = [[1, 2, 1], [2, 4, 2], [1, 2, 1]].map((r) => r.map((v) => v / 16));
  const convcoreMs = await time(async () => {
    const summary = await filterImages(files, out('convcore'), [kernel], { border: 'replicate', overwrite: true, concurrency: 16 });
    if (summary.written !== 16) throw new Error(`convcore wrote ${summary.written} of 16 images`);
  });
  const sharpMs = await time(() => Promise.all(files.map((f) => sharp(f).convolve({ width: 3, height: 3, kernel: SMOOTH_3x3, scale: 16 })
    .toFile(path.join(out('sharp'), path.basename(f))))));
  const sharpCodecMs = await time(() => Promise.all(files.map((f) => sharp(f).toFile(path.join(out('codec'), path.basename(f))))));
  endCases.push({ format, convcoreMs, sharpMs, sharpCodecMs, speedup: sharpMs / convcoreMs });
  log(`16 ${format}: convcore ${convcoreMs.toFixed(1)} ms, sharp ${sharpMs.toFixed(1)} ms, sharp without convolve ${sharpCodecMs.toFixed(1)} ms`);
}
fs.rmSync(scratch, { recursive: true, force: true });

// ---- report ---------------------------------------------------------------------------------
const date = new Date().toISOString();
const f1 = (x) => x.toFixed(1), f2 = (x) => x.toFixed(2);
const lines = [
  `Measured ${date.slice(0, 10)} by \`npm run bench:filter\` on ${cpuName()} (${os.cpus().length} cores, ` +
    `Node ${process.version}, sharp ${sharp.versions.sharp} / libvips ${sharp.versions.vips}); medians of ${runs} runs end to end and ${Math.max(runs, 41)} for the stage, 2 threads each.`,
  '',
  '| filter stage (8-bit pixels in and out) | convcore ms | sharp `convolve` ms | speed-up |',
  '|---|---|---|---|',
  ...stageCases.map((c) => `| ${c.name} | ${f2(c.convcoreMs)} | ${f2(c.sharpMs)} | ${f1(c.speedup)}× |`),
  '',
  '| end to end, 16 RGB 512² files (read, decode → 3×3 → encode, write) | convcore `filterImages` ms (images/s) | sharp ms (images/s) | speed-up | sharp without the filter ms |',
  '|---|---|---|---|---|',
  ...endCases.map((c) => `| ${c.format.toUpperCase()} | ${f1(c.convcoreMs)} (${Math.round(16000 / c.convcoreMs)}) | ` +
    `${f1(c.sharpMs)} (${Math.round(16000 / c.sharpMs)}) | ${f2(c.speedup)}× | ${f1(c.sharpCodecMs)} (${Math.round(16000 / c.sharpCodecMs)}) |`),
];
const markdown = lines.join('\n') + '\n';
fs.mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
fs.writeFileSync(new URL('./results/filter.json', import.meta.url), JSON.stringify({ date, stageCases, endCases }, null, 2) + '\n');
fs.writeFileSync(new URL('./results/filter.md', import.meta.url), markdown);
console.log(markdown);
