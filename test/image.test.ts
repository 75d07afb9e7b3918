/**
 * Image filtering: decoding and encoding through sharp (every format, palette, alpha,
 * first GIF frame, truncated and non-image files), filters pixel-exact against an
 * independent float64 reference for every named filter and border mode, the output
 * mapping, filterImages' guarantees, and the convcore filter CLI.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { ImageDecodeError, Tensor, filterImage, filterImages, imageToTensor, saveSafetensors, tensorToImage } from '../lib/index';
import { decodeError } from '../lib/image/source';
import { FILTER_NAMES, parseFilter } from '../lib/image/filters';
import type { BorderMode } from '../lib/image/filter-engine';
import { expandInput } from '../lib/cli/glob';
import { readHeader } from '../lib/image/header';

const FIXTURES = path.join(__dirname, 'fixtures', 'images');
const fixture = (name: string) => path.join(FIXTURES, name);
const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');

/** The stored pixels (grey stays grey), as sharp decodes them. */
async function rawPixels(file: string | Buffer) {
  const { channels: stored = 3 } = await sharp(file).metadata();
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  if (stored > 2) return { data, ...info };
  // sharp gives grey as sRGB(A) with R = G = B: keep R (and A).
  const keep = info.channels === 4 ? [0, 3] : [0];
  const grey = Buffer.from([...data].filter((_, i) => keep.includes(i % info.channels)));
  return { data: grey, width: info.width, height: info.height, channels: keep.length };
}

describe('the JPEG and PNG header reader (format, size and stored channels without a decoder)', () => {
  test('agrees with sharp on every fixture, or leaves it to sharp', async () => {
    const { readFileSync } = await import('node:fs');
    const seen: string[] = [];
    for (const name of readdirSync(FIXTURES).filter((n) => !n.endsWith('.mjs'))) {
      const bytes = readFileSync(fixture(name));
      const header = readHeader(bytes);
      if (header === null) continue;
      const meta = await sharp(bytes).metadata();
      expect([name, header.format]).toEqual([name, meta.format]);
      expect([name, header.channels <= 2]).toEqual([name, (meta.channels ?? 3) <= 2]);
      expect([name, header.width, header.height]).toEqual([name, meta.width, meta.height]);
      seen.push(name);
    }
    expect(seen.sort()).toEqual(['gray-alpha.png', 'palette.png', 'photo.jpg', 'rgb.png', 'truncated.jpg']);
  });

  test('reads each PNG colour type and JPEG component count', async () => {
    const grey = Buffer.alloc(8 * 8, 100);
    // 300 × 70: both sizes need more than one byte, and width ≠ height.
    const encode = (channels: 1 | 2 | 3 | 4, format: 'png' | 'jpeg') => {
      const image = sharp(Buffer.alloc(300 * 70 * channels, 90), { raw: { width: 300, height: 70, channels } });
      return (channels <= 2 ? image.toColourspace('b-w') : image).toFormat(format).toBuffer();
    };
    const size = { width: 300, height: 70 };
    for (const channels of [1, 2, 3, 4] as const) expect(readHeader(await encode(channels, 'png'))).toEqual({ format: 'png', channels, ...size });
    expect(readHeader(await encode(1, 'jpeg'))).toEqual({ format: 'jpeg', channels: 1, ...size });
    expect(readHeader(await encode(3, 'jpeg'))).toEqual({ format: 'jpeg', channels: 3, ...size });
    const palette = await sharp(grey, { raw: { width: 8, height: 8, channels: 1 } }).png({ palette: true }).toBuffer();
    expect(readHeader(palette)?.format).toBe('png');
  });

  test('anything else, or a header cut short, is left to sharp (null)', async () => {
    const jpeg = await sharp(Buffer.alloc(8 * 8 * 3), { raw: { width: 8, height: 8, channels: 3 } }).jpeg().toBuffer();
    expect(readHeader(jpeg.subarray(0, 20))).toBeNull();
    expect(readHeader(Buffer.from('not an image at all'))).toBeNull();
    expect(readHeader(await sharp(Buffer.alloc(12), { raw: { width: 2, height: 2, channels: 3 } }).webp().toBuffer())).toBeNull();
    expect(readHeader(new Uint8Array(0))).toBeNull();
  });
});

describe('decoding and encoding', () => {
  test('PNG: (C, H, W) planes equal to the interleaved pixels', async () => {
    const { tensor, alpha, format } = await imageToTensor(fixture('rgb.png'));
    const raw = await rawPixels(fixture('rgb.png'));
    expect(format).toBe('png');
    expect(tensor.shape).toEqual([3, 9, 13]);
    expect(alpha).toBeNull();
    for (let i = 0; i < 9 * 13; i++) for (let c = 0; c < 3; c++) expect(tensor.data[c * 117 + i]).toBe(raw.data[i * 3 + c]);
  });

  test.each([
    ['gray-alpha.png', [1, 7, 11], true, 'png'],
    ['palette.png', [3, 8, 10], false, 'png'],
    ['photo.jpg', [3, 12, 17], false, 'jpeg'],
    ['rgba.webp', [3, 9, 9], true, 'webp'],
    ['gray.tif', [1, 6, 8], false, 'tiff'],
    ['two-frames.gif', [3, 10, 12], true, 'gif'],
  ])('%s decodes to shape %j (alpha kept aside: %s)', async (name, shape, hasAlpha, format) => {
    const decoded = await imageToTensor(fixture(name));
    expect(decoded.tensor.shape).toEqual(shape);
    expect(decoded.alpha !== null).toBe(hasAlpha);
    expect(decoded.format).toBe(format);
    expect(decoded.tensor.data.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)).toBe(true);
  });

  test('a palette PNG gives the palette colours; a GIF gives its first frame', async () => {
    const palette = await imageToTensor(fixture('palette.png'));
    const raw = await rawPixels(fixture('palette.png'));
    expect(palette.tensor.data[0]).toBe(raw.data[0]);
    expect(palette.tensor.data[80 + 5]).toBe(raw.data[5 * 3 + 1]);
    const gif = await imageToTensor(fixture('two-frames.gif'));
    const first = await sharp(fixture('two-frames.gif'), { page: 0 }).raw().toBuffer();
    expect(gif.tensor.data[7]).toBe(first[7 * 4]);
  });

  test('truncated and non-image files are rejected with the reason', async () => {
    const truncated = fixture('truncated.jpg');
    await expect(imageToTensor(truncated)).rejects.toThrow(ImageDecodeError);
    await expect(imageToTensor(truncated)).rejects.toThrow(
      new RegExp(`^imageToTensor: expected '${truncated}' to be a complete image in a format sharp reads, but got .*(premature end|truncated|corrupt)`, 'i'));
    await expect(imageToTensor(fixture('not-an-image.png'))).rejects.toThrow(/but got data the decoder rejected \(.*unsupported image format/i);
  });

  test("a decoder warning taken by another decode (libvips' one process-wide queue) still reads as bad data", () => {
    // sharp's message when its warning went to a concurrent call: only the generic line.
    const generic = decodeError('filterImages', 'a.jpg', new Error('Warning treated as error due to failOn setting'));
    expect(generic).toBeInstanceOf(ImageDecodeError);
    expect(generic.message).toBe("filterImages: expected 'a.jpg' to be a complete image in a format sharp reads, but got truncated or corrupt data");
    const withWarning = decodeError('imageToTensor', Buffer.alloc(1), new Error('Warning treated as error due to failOn setting\nVipsJpeg: Premature end of JPEG file'));
    expect(withWarning.message).toBe('imageToTensor: expected the image bytes to be a complete image in a format sharp reads, '
      + 'but got truncated or corrupt data (the decoder warned: VipsJpeg: Premature end of JPEG file)');
  });

  test('encoding maps, rounds (ties to even) and clamps, and re-attaches alpha untouched', async () => {
    const values = [-3.5, 0.5, 1.5, 2.5, 254.5, 300, NaN, 127.49];
    const t = new Tensor(Float32Array.from(values), [1, 2, 4]);
    const alpha = Uint8Array.of(0, 1, 2, 3, 250, 251, 252, 255);
    const png = await tensorToImage(t, { format: 'png', alpha });
    const back = await rawPixels(png);
    expect(back.channels).toBe(2);
    expect([...back.data].filter((_, i) => i % 2 === 0)).toEqual([0, 0, 2, 2, 254, 255, 0, 127]);
    expect([...back.data].filter((_, i) => i % 2 === 1)).toEqual([...alpha]);
    const mapped = await rawPixels(await tensorToImage(t, { format: 'png', abs: true, offset: 10, round: false }));
    expect([...mapped.data]).toEqual([13, 10, 11, 12, 255, 255, 0, 137]);
    await expect(tensorToImage(t, { format: 'png', clamp: false })).rejects.toThrow(
      'tensorToImage: expected every mapped value (clamp is false) to be in [0, 255], but got -3.5 at channel 0, pixel 0');
    await expect(tensorToImage(t, { format: 'bmp' as never })).rejects.toThrow("tensorToImage: expected options.format to be one of 'png', 'jpeg', 'webp', 'tiff', 'gif', but got 'bmp' (a string)");
  });
});

// ---- an independent reference: explicit padding, float64 correlation, the same mapping ----

function padIndex(i: number, size: number, mode: BorderMode): number {
  if (i >= 0 && i < size) return i;
  if (mode === 'zeros') return -1;
  if (mode === 'replicate') return Math.min(Math.max(i, 0), size - 1);
  if (mode === 'circular') return ((i % size) + size) % size;
  // reflect (no edge repeat), mirrored again until inside
  if (size === 1) return 0;
  while (i < 0 || i >= size) i = i < 0 ? -i : 2 * (size - 1) - i;
  return i;
}

function correlateReference(planes: Float64Array, C: number, H: number, W: number, k: number[][], mode: BorderMode): Float64Array {
  const kh = k.length, kw = k[0].length, top = (kh - 1) >> 1, left = (kw - 1) >> 1;
  const out = new Float64Array(planes.length);
  for (let c = 0; c < C; c++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        let acc = 0;
        for (let i = 0; i < kh; i++) {
          for (let j = 0; j < kw; j++) {
            const sy = padIndex(y - top + i, H, mode), sx = padIndex(x - left + j, W, mode);
            if (sy >= 0 && sx >= 0) acc += k[i][j] * planes[(c * H + sy) * W + sx];
          }
        }
        out[(c * H + y) * W + x] = acc;
      }
    }
  }
  return out;
}

function kernelRows(spec: string): number[][][] {
  const f = parseFilter(spec);
  const rows = (g: { height: number; width: number; weights: Float32Array }) =>
    Array.from({ length: g.height }, (_, i) => [...g.weights.subarray(i * g.width, (i + 1) * g.width)]);
  return f.kind === 'kernel' ? [rows(f)] : [rows(f.x), rows(f.y)];
}

/**
 * The expected bytes (exact ties round to even), and for each whether its value sits
 * within 1e-3 of a tie without being one (float32 sums may then round either way).
 */
function expected(planes: Float64Array, C: number, H: number, W: number, spec: string, mode: BorderMode, offset = 0) {
  const kernels = kernelRows(spec);
  let values = correlateReference(planes, C, H, W, kernels[0], mode);
  if (kernels.length === 2) {
    const gy = correlateReference(planes, C, H, W, kernels[1], mode);
    values = values.map((v, i) => Math.hypot(v, gy[i]));
  }
  return [...values].map((v) => {
    const m = v + offset;
    const fromTie = Math.abs(m - Math.floor(m) - 0.5);
    const rounded = fromTie < 1e-12 ? 2 * Math.round(m / 2) : Math.round(m);
    return { byte: m <= 0 ? 0 : m >= 255 ? 255 : rounded, near: fromTie >= 1e-12 && fromTie < 1e-3 };
  });
}

describe('filters are pixel-exact against the reference', () => {
  const specs = [...FILTER_NAMES.filter((n) => n !== 'box' && n !== 'gaussian'), 'box:3', 'box:4', 'gaussian:1', 'gaussian:0.8:7'];
  const modes: BorderMode[] = ['zeros', 'reflect', 'replicate', 'circular'];
  const cases = specs.flatMap((spec) => modes.map((mode) => ({ spec, mode })));

  test.each(cases)('$spec, border $mode (13×9 RGB)', async ({ spec, mode }) => {
    const decoded = await imageToTensor(fixture('rgb.png'));
    const [C, H, W] = decoded.tensor.shape;
    const out = await filterImage(fixture('rgb.png'), spec, { border: mode, format: 'png', offset: 100 });
    const got = await rawPixels(out);
    const want = expected(Float64Array.from(decoded.tensor.data), C, H, W, spec, mode, 100);
    let compared = 0;
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < H * W; i++) {
        const e = want[c * H * W + i];
        if (e.near) continue;  // a float32 sum may round a tie either way
        compared++;
        if (got.data[i * 3 + c] !== e.byte) expect.fail(`channel ${c}, pixel ${i}: got ${got.data[i * 3 + c]}, expected ${e.byte}`);
      }
    }
    expect(compared).toBeGreaterThan(0.95 * C * H * W);
  });

  test('a 1-pixel-wide image and a kernel larger than the image work in every mode', async () => {
    const tall = await sharp(Buffer.from([10, 200, 30, 90, 255]), { raw: { width: 1, height: 5, channels: 1 } }).toColourspace('b-w').png().toBuffer();
    for (const mode of modes) {
      const got = await rawPixels(await filterImage(tall, 'box:7', { border: mode }));
      const want = expected(Float64Array.of(10, 200, 30, 90, 255), 1, 5, 1, 'box:7', mode);
      got.data.forEach((b, i) => { if (!want[i].near) expect(b).toBe(want[i].byte); });
    }
  });

  test('chained filters, custom kernels and a grey conversion', async () => {
    const chained = await rawPixels(await filterImage(fixture('rgb.png'), ['box:3', [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]], { format: 'png' }));
    expect(chained.channels).toBe(3);
    const grey = await rawPixels(await filterImage(fixture('rgb.png'), 'identity', { grayscale: true, format: 'png' }));
    expect(grey.channels).toBe(1);
    const kernel = new Tensor(Float32Array.of(0, 0, 1, 0), [1, 1, 2, 2]);  // a trained Conv2D's weight
    const shifted = await rawPixels(await filterImage(fixture('gray.tif'), kernel, { format: 'png', border: 'replicate' }));
    const source = await rawPixels(fixture('gray.tif'));
    expect(shifted.data[0]).toBe(source.data[8]);  // output (0, 0) reads input (1, 0)
  });

  test('bad filters are named', () => {
    expect(() => parseFilter('blur')).toThrow("filter: expected the filter name to be one of 'identity', 'sobel-x', 'sobel-y', 'sobel', 'scharr-x', 'scharr-y', 'laplacian', 'sharpen', 'emboss', 'edge', 'box', 'gaussian', but got 'blur'");
    expect(() => parseFilter('gaussian:-1')).toThrow("filter: expected the arguments of 'gaussian:-1' to be a positive sigma and an optional odd size (gaussian:1.5 or gaussian:1.5:7), but got -1");
    expect(() => parseFilter('box')).toThrow("filter: expected the arguments of 'box' to be one positive integer size (box:5), but got none");
    expect(() => parseFilter([[1, 2], [3]] as never)).toThrow(/filter: expected kernel to be a 2-D array of finite numbers/);
    expect(() => parseFilter('sobel:2')).toThrow("filter: expected the arguments of 'sobel:2' to be no arguments, but got 2");
  });
});

describe('filterImages: nothing lost', () => {
  function batchDir() {
    const dir = mkdtempSync(path.join(tmpdir(), 'convcore-batch-'));
    const inputs = path.join(dir, 'in');
    mkdirSync(inputs);
    for (const name of ['rgb.png', 'photo.jpg', 'palette.png', 'truncated.jpg', 'rgba.webp']) copyFileSync(fixture(name), path.join(inputs, name));
    return { dir, inputs, out: path.join(dir, 'out') };
  }

  test('a bad file is reported with its reason, the rest are written; existing outputs are kept unless overwrite', async () => {
    const { inputs, out } = batchDir();
    const files = readdirSync(inputs).sort().map((f) => path.join(inputs, f));
    const progress: number[] = [];
    const summary = await filterImages(files, out, ['gaussian:1', 'sobel'], { concurrency: 2, onProgress: (done) => progress.push(done) });
    expect(summary).toMatchObject({ images: 5, written: 4, skipped: 0, failed: 1 });
    expect(progress).toEqual([1, 2, 3, 4, 5]);
    const bad = summary.results.find((r) => r.status === 'failed')!;
    expect(bad.input).toBe(path.join(inputs, 'truncated.jpg'));
    expect(bad.reason).toMatch(/^filterImages: expected '.*truncated\.jpg' to be a complete image .* but got .*(premature end|truncated|corrupt)/i);
    expect(readdirSync(out).sort()).toEqual(['palette.png', 'photo.jpg', 'rgb.png', 'rgba.webp']);
    expect(summary.megapixels).toBeCloseTo((13 * 9 + 17 * 12 + 10 * 8 + 9 * 9) / 1e6, 9);
    const again = await filterImages(files, out, 'sobel');
    expect(again).toMatchObject({ written: 0, skipped: 4, failed: 1 });
    expect(again.results[0].reason).toBe('the output exists (use overwrite to replace it)');
    expect((await filterImages(files, out, 'sobel', { overwrite: true })).written).toBe(4);
    // No temporary files are left behind.
    expect(readdirSync(out).some((f) => f.endsWith('.tmp'))).toBe(false);
  });

  test('an input is never overwritten, even with overwrite', async () => {
    const { inputs } = batchDir();
    const summary = await filterImages([path.join(inputs, 'rgb.png')], inputs, 'sobel', { overwrite: true });
    expect(summary.results[0]).toMatchObject({ status: 'failed', reason: `the output would overwrite an input ('${path.join(inputs, 'rgb.png')}')` });
  });

  test('a requested format changes the extension; JPEG drops the alpha channel', async () => {
    const { inputs, out } = batchDir();
    await filterImages([path.join(inputs, 'rgba.webp')], out, 'identity', { format: 'jpeg' });
    const jpeg = await rawPixels(path.join(out, 'rgba.jpg'));
    expect(jpeg.channels).toBe(3);
    await filterImages([path.join(inputs, 'rgba.webp')], out, 'identity', { format: 'png' });
    const png = await rawPixels(path.join(out, 'rgba.png'));
    const source = await rawPixels(path.join(inputs, 'rgba.webp'));
    expect(png.channels).toBe(4);
    for (let i = 3; i < source.data.length; i += 4) expect(png.data[i]).toBe(source.data[i]);
  });
});

describe('convcore filter (CLI)', () => {
  const run = (args: string[], cwd = ROOT) => spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' });

  test('--help documents the command', () => {
    const result = run(['filter', '--help']);
    expect(result.status).toBe(0);
    for (const text of ['--filter NAME[:ARGS]', '--kernel JSON|FILE', '--border MODE', '--abs', '--offset N', '--concurrency N', '--overwrite', '--quiet', 'gaussian:SIGMA[:SIZE]']) {
      expect(result.stdout).toContain(text);
    }
  });

  test('filters a directory, reports the bad file, exits 1, and prints a summary', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'convcore-cli-'));
    const inputs = path.join(dir, 'in');
    mkdirSync(inputs);
    for (const name of ['rgb.png', 'photo.jpg', 'truncated.jpg']) copyFileSync(fixture(name), path.join(inputs, name));
    const result = run([inputs, '--out', path.join(dir, 'out'), '--filter', 'gaussian:1.5', '--kernel', '[[0,-1,0],[-1,5,-1],[0,-1,0]]', '--filter', 'sobel-x', '--abs', '-c', '2'].flatMap((a, i) => (i === 0 ? ['filter', a] : [a])));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`failed: ${path.join(inputs, 'truncated.jpg')}: `);
    expect(result.stderr).toContain(`${path.join(inputs, 'rgb.png')} -> ${path.join(dir, 'out', 'rgb.png')}`);
    expect(result.stdout).toMatch(/^3 images: 2 written, 0 skipped, 1 failed; 0\.00 megapixels in [\d.]+ s \([\d.]+ Mpix\/s, \d+ cores\)$/m);
    expect(existsSync(path.join(dir, 'out', 'photo.jpg'))).toBe(true);
    const quiet = run(['filter', path.join(inputs, 'rgb.png'), '--out', path.join(dir, 'out'), '-f', 'sobel', '--quiet']);
    expect(quiet).toMatchObject({ status: 0, stdout: '', stderr: '' });
  });

  test('a kernel saved from a trained Conv2D (safetensors) and a glob', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'convcore-cli-'));
    mkdirSync(path.join(dir, 'a', 'b'), { recursive: true });
    copyFileSync(fixture('rgb.png'), path.join(dir, 'a', 'b', 'x.png'));
    copyFileSync(fixture('gray.tif'), path.join(dir, 'a', 'y.tif'));
    writeFileSync(path.join(dir, 'a', 'notes.txt'), 'not an image');
    await saveSafetensors(path.join(dir, 'edge.safetensors'), { weight: new Tensor([1, -1], [1, 1, 1, 2]) });
    const result = run(['filter', 'a/**/*.{png,tif}'.replace('{png,tif}', '*'), '--out', 'out', '--kernel', 'edge.safetensors', '--offset', '128'], dir);
    expect(result.stderr).toContain('failed: a/notes.txt');
    expect(readdirSync(path.join(dir, 'out')).sort()).toEqual(['x.png', 'y.tif']);
    expect(await expandInput(path.join(dir, 'a', '**', '*.png'))).toEqual({ files: [path.join(dir, 'a', 'b', 'x.png')], skipped: [] });
    expect(await expandInput(path.join(dir, 'a'))).toEqual({ files: [path.join(dir, 'a', 'y.tif')], skipped: [] });
  });

  test('usage errors exit 2 with one line naming the problem', () => {
    expect(run(['filter', 'x.png'])).toMatchObject({ status: 2, stderr: expect.stringContaining('convcore: --out <dir> is required') });
    expect(run(['filter', fixture('rgb.png'), '-o', '/tmp/x', '-f', 'blur']).stderr).toContain("expected the filter name to be one of");
    expect(run(['filter', fixture('rgb.png'), '-o', '/tmp/x', '-f', 'sobel', '--border', 'mirror']).stderr).toContain(
      "filterImages: expected options.border to be one of 'zeros', 'reflect', 'replicate', 'circular', but got 'mirror' (a string)");
    expect(run(['filter', 'missing.png', '-o', '/tmp/x', '-f', 'sobel']).stderr).toContain('convcore: missing.png: no such file or directory');
    expect(run(['filter', fixture('rgb.png'), '-o', '/tmp/x', '--kernel', '[[1,2],[3]]']).stderr).toContain('--kernel');
    expect(run(['resize']).status).toBe(2);
  });
});

test('examples/filter-images.mjs (part of npm start) writes the edge map and the blur', () => {
  const out = mkdtempSync(path.join(tmpdir(), 'convcore-demo-'));
  const text = execFileSync(process.execPath, [path.join(ROOT, 'examples', 'filter-images.mjs'), out], { cwd: ROOT, encoding: 'utf8' });
  expect(text).toContain('(640×426, 3 channels)');
  expect(readdirSync(out).sort()).toEqual(['sample-blur.jpg', 'sample-edge-book.png', 'sample-edges.png']);
});
