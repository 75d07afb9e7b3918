/**
 * filterImages and `convcore filter` under attack: no spelling of a path (a symlinked or
 * `..` folder, a hard link, a link as the output) reaches an input; two inputs never
 * write one output; an unusable output folder is a one-line error before any image is
 * decoded; empty files, FIFOs, links in folders and newlines in names are reported;
 * images in flight stay within a pixel limit and a memory budget.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync, copyFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { describe, expect, test } from 'vitest';
import { ImageDecodeError, OutputPathError, ResourceLimitError, filterImage, filterImages, imageToTensor } from '../lib/index';
import { ByteBudget, imageBytes } from '../lib/image/memory-budget';

const ROOT = path.resolve(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');
const fixture = (name: string) => path.join(__dirname, 'fixtures', 'images', name);
const cli = (args: string[], options: { cwd?: string; uid?: number; gid?: number } = {}) =>
  spawnSync(process.execPath, [CLI, 'filter', ...args], { cwd: options.cwd ?? ROOT, encoding: 'utf8', uid: options.uid, gid: options.gid });

/**
 * Runs fn with every folder from / down to the checkout searchable by other users, as
 * they were afterwards: the CLI run as 'nobody' must reach dist/ and node_modules/ in a
 * checkout made under a private folder (`mktemp -d` makes it 0700).
 */
function withCheckoutSearchable<T>(fn: () => T): T {
  const folders: string[] = [];
  for (let at = ROOT; ; at = path.dirname(at)) {
    folders.push(at);
    if (path.dirname(at) === at) break;
  }
  const opened = folders.map((f) => [f, statSync(f).mode & 0o7777] as const).filter(([, mode]) => (mode & 0o001) === 0);
  for (const [f, mode] of opened) chmodSync(f, mode | 0o001);
  try {
    return fn();
  } finally {
    for (const [f, mode] of opened) chmodSync(f, mode);
  }
}

/** A fresh folder holding `in/` with the named fixtures. */
function workspace(...names: string[]) {
  const dir = mkdtempSync(path.join(tmpdir(), 'convcore-safety-'));
  const inputs = path.join(dir, 'in');
  mkdirSync(inputs);
  for (const name of names) copyFileSync(fixture(name), path.join(inputs, name));
  return { dir, inputs, file: (name: string) => path.join(inputs, name) };
}

describe('no spelling of a path lets an output replace an input', () => {
  test('--out through a symlink to the input folder, with --overwrite: refused, the input unchanged (exit 1)', () => {
    const { dir, inputs, file } = workspace('rgb.png');
    const before = readFileSync(file('rgb.png'));
    symlinkSync(inputs, path.join(dir, 'link'));
    const result = cli([inputs, '--out', path.join(dir, 'link'), '--filter', 'box:3', '--overwrite']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`failed: ${file('rgb.png')}: the output would overwrite an input ('${file('rgb.png')}')`);
    expect(result.stdout).toMatch(/^1 images: 0 written, 0 skipped, 1 failed;/);
    expect(readFileSync(file('rgb.png')).equals(before)).toBe(true);
  });

  test("a folder spelled with '..', a hard link and a symlink as the output: each refused", async () => {
    const { dir, inputs, file } = workspace('rgb.png', 'photo.jpg');
    const before = readFileSync(file('rgb.png'));
    const dotted = await filterImages([file('rgb.png')], path.join(inputs, '..', 'in'), 'identity', { overwrite: true });
    expect(dotted.results[0]).toMatchObject({ status: 'failed', reason: `the output would overwrite an input ('${file('rgb.png')}')` });
    // out/rgb.png is another name of the input (a hard link), out/photo.jpg a symlink to one.
    const out = path.join(dir, 'out');
    mkdirSync(out);
    linkSync(file('rgb.png'), path.join(out, 'rgb.png'));
    symlinkSync(file('photo.jpg'), path.join(out, 'photo.jpg'));
    const linked = await filterImages([file('rgb.png'), file('photo.jpg')], out, 'sobel', { overwrite: true });
    expect(linked).toMatchObject({ written: 0, failed: 2 });
    expect(linked.results.map((r) => r.reason)).toEqual([
      `the output would overwrite an input ('${file('rgb.png')}')`, `the output would overwrite an input ('${file('photo.jpg')}')`]);
    expect(readFileSync(file('rgb.png')).equals(before)).toBe(true);
  });
});

describe('two inputs never write one output', () => {
  test('a/x.png and b/x.png: the batch is refused before it starts, both named; nothing written', async () => {
    const { dir } = workspace();
    for (const sub of ['a', 'b']) {
      mkdirSync(path.join(dir, sub));
      copyFileSync(fixture(sub === 'a' ? 'rgb.png' : 'palette.png'), path.join(dir, sub, 'x.png'));
    }
    const out = path.join(dir, 'o');
    const inputs = [path.join(dir, 'a', 'x.png'), path.join(dir, 'b', 'x.png')];
    const progress: number[] = [];
    const refused = filterImages(inputs, out, 'identity', { onProgress: (done) => progress.push(done) });
    await expect(refused).rejects.toThrow(OutputPathError);
    await expect(refused).rejects.toThrow(
      `filterImages: expected inputs to be files with distinct output names, but got '${inputs[0]}' and '${inputs[1]}', which would both write '${path.join(out, 'x.png')}'`);
    expect(progress).toEqual([]);
    expect(readdirSync(out)).toEqual([]);
    const result = cli([...inputs, '--out', out, '--filter', 'identity']);
    expect(result.status).toBe(2);
    expect(result.stderr.split('\n')[0]).toContain(`'${inputs[0]}' and '${inputs[1]}'`);
  });

  test('y.jpg and y.png with --format png collide too', () => {
    const { dir, file } = workspace('photo.jpg', 'rgb.png');
    copyFileSync(file('photo.jpg'), file('y.jpg'));
    copyFileSync(file('rgb.png'), file('y.png'));
    const result = cli([file('y.jpg'), file('y.png'), '--out', path.join(dir, 'o'), '-f', 'identity', '--format', 'png']);
    expect(result).toMatchObject({ status: 2, stdout: '' });
    expect(result.stderr).toContain(`which would both write '${path.join(dir, 'o', 'y.png')}'`);
  });

  test('the same file listed twice (a folder and a path into it) is written once and counted once', async () => {
    const { dir, inputs, file } = workspace('rgb.png', 'photo.jpg');
    const out = path.join(dir, 'o');
    const summary = await filterImages([file('rgb.png'), file('photo.jpg'), path.join(inputs, '.', 'rgb.png')], out, 'identity');
    expect(summary).toMatchObject({ images: 3, written: 2, skipped: 1, failed: 0 });
    expect(summary.results[2]).toMatchObject({ status: 'skipped', reason: `the same file as '${file('rgb.png')}' (listed twice): written once` });
    expect(readdirSync(out).sort()).toEqual(['photo.jpg', 'rgb.png']);
  });
});

describe('an unusable --out is a one-line usage error before any image is decoded', () => {
  test('an existing file, a path under a file: OutputPathError / exit 2, no image touched', async () => {
    const { dir, file } = workspace('rgb.png', 'truncated.jpg');
    const asFile = path.join(dir, 'out.png');
    writeFileSync(asFile, 'x');
    const progress: number[] = [];
    await expect(filterImages([file('rgb.png')], asFile, 'sobel', { onProgress: (d) => progress.push(d) })).rejects.toThrow(
      new OutputPathError(`filterImages: expected outDir to be a folder that can be created and written to, but got '${asFile}': an existing file`));
    await expect(filterImages([file('rgb.png')], path.join(asFile, 'sub'), 'sobel')).rejects.toThrow(/but got '.*out\.png\/sub': a path that runs through a file \(ENOTDIR/);
    expect(progress).toEqual([]);
    for (const out of [asFile, path.join(asFile, 'sub', 'deeper')]) {
      // truncated.jpg would print "failed:" if anything were decoded.
      const result = cli([file('truncated.jpg'), file('rgb.png'), '--out', out, '-f', 'sobel']);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/^convcore: filterImages: expected outDir to be a folder that can be created and written to, but got '.*'/);
      expect(result.stderr).not.toContain('failed:');
      expect(result.stderr).not.toContain('    at ');  // no stack trace
    }
  });

  test('a folder without write permission is found before decoding (run as an unprivileged user)', () => {
    const { dir, file } = workspace('truncated.jpg', 'rgb.png');
    const out = path.join(dir, 'locked');
    mkdirSync(out);
    chmodSync(dir, 0o755);
    chmodSync(path.dirname(file('rgb.png')), 0o755);
    chmodSync(out, 0o555);
    // root may write anywhere: run the CLI as 'nobody' then.
    const root = process.getuid?.() === 0;
    const run = () => cli([file('truncated.jpg'), file('rgb.png'), '--out', out, '-f', 'sobel'], root ? { uid: 65534, gid: 65534 } : {});
    const result = root ? withCheckoutSearchable(run) : run();
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`but got '${out}': a folder without write permission (EACCES`);
    expect(result.stderr).not.toContain('failed:');
    expect(readdirSync(out)).toEqual([]);
  });
});

describe('inputs that are not images are named, not crashes', () => {
  test('a zero-byte file or an empty Buffer: ImageDecodeError naming the function and the file', async () => {
    const { dir, file } = workspace('rgb.png');
    const empty = path.join(dir, 'empty.png');
    writeFileSync(empty, '');
    await expect(imageToTensor(empty)).rejects.toThrow(new ImageDecodeError(
      `imageToTensor: expected '${empty}' to be a complete image in a format sharp reads, but got an empty file (0 bytes)`));
    await expect(filterImage(Buffer.alloc(0), 'sobel')).rejects.toThrow(new ImageDecodeError(
      'filterImage: expected the image bytes to be a complete image in a format sharp reads, but got an empty Buffer (0 bytes)'));
    const summary = await filterImages([empty, file('rgb.png')], path.join(dir, 'o'), 'sobel');
    expect(summary).toMatchObject({ written: 1, failed: 1 });
    expect(summary.results[0].reason).toContain('but got an empty file (0 bytes)');
  });

  test('a FIFO named as an input fails at once (it is never opened, so nothing blocks)', async () => {
    const { dir, file } = workspace('rgb.png');
    const fifo = path.join(dir, 'pipe.png');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const summary = await filterImages([fifo, file('rgb.png')], path.join(dir, 'o'), 'sobel');
    expect(summary.results[0]).toMatchObject({ status: 'failed', reason: `filterImages: expected '${fifo}' to be an image file, but got a FIFO, not a regular file` });
    expect(summary.written).toBe(1);
  });

  test('symbolic links inside a folder or glob are reported as skipped, with the reason', () => {
    const { dir, inputs, file } = workspace('rgb.png', 'photo.jpg');
    symlinkSync(file('photo.jpg'), path.join(inputs, 'alias.jpg'));
    const result = cli([inputs, '--out', path.join(dir, 'o'), '-f', 'identity']);
    expect(result.status).toBe(0);
    expect(result.stderr).toContain(`skipped: ${path.join(inputs, 'alias.jpg')}: a symbolic link (links inside folders and globs are not followed`);
    expect(result.stdout).toMatch(/^3 images: 2 written, 1 skipped, 0 failed;/);
    const glob = cli([path.join(inputs, '*.jpg'), '--out', path.join(dir, 'g'), '-f', 'identity']);
    expect(glob.stderr).toContain(`skipped: ${path.join(inputs, 'alias.jpg')}: a symbolic link`);
    expect(glob.stdout).toMatch(/^2 images: 1 written, 1 skipped, 0 failed;/);
  });

  test('a file name with a newline stays on one log line (escaped)', () => {
    const { dir, inputs } = workspace();
    copyFileSync(fixture('rgb.png'), path.join(inputs, 'two\nlines.png'));
    copyFileSync(fixture('truncated.jpg'), path.join(inputs, 'bad\nname.jpg'));
    const result = cli([inputs, '--out', path.join(dir, 'o'), '-f', 'identity']);
    expect(result.status).toBe(1);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^failed: .*bad\\nname\.jpg: filterImages: expected '.*bad\\nname\.jpg' to be a complete image/);
    expect(lines[1]).toBe(`${path.join(inputs, 'two\\nlines.png')} -> ${path.join(dir, 'o', 'two\\nlines.png')}`);
    expect(existsSync(path.join(dir, 'o', 'two\nlines.png'))).toBe(true);
  });
});

describe('memory: a pixel limit and a budget for the images in flight', () => {
  test('maxPixels refuses from the header, before decoding (filterImage, imageToTensor, per file in a batch)', async () => {
    const { dir, file } = workspace('rgb.png', 'photo.jpg');
    const limit = 13 * 9;  // rgb.png is 13 × 9, photo.jpg 17 × 12
    const expected = `expected '${file('photo.jpg')}' to be an image of at most ${limit} pixels (maxPixels), but got 17 × 12 = 204 pixels`;
    await expect(imageToTensor(file('photo.jpg'), { maxPixels: limit })).rejects.toThrow(new ResourceLimitError(`imageToTensor: ${expected}`));
    await expect(filterImage(file('photo.jpg'), 'sobel', { maxPixels: limit })).rejects.toThrow(ResourceLimitError);
    expect((await imageToTensor(file('rgb.png'), { maxPixels: limit })).tensor.shape).toEqual([3, 9, 13]);
    const summary = await filterImages([file('rgb.png'), file('photo.jpg')], path.join(dir, 'o'), 'sobel', { maxPixels: 17 * 12 });
    expect(summary.results.map((r) => r.status)).toEqual(['written', 'written']);
    const result = cli([file('rgb.png'), file('photo.jpg'), '--out', path.join(dir, 'p'), '-f', 'sobel', '--max-pixels', String(limit)]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`failed: ${file('photo.jpg')}: filterImages: ${expected}`);
    expect(result.stdout).toMatch(/^2 images: 1 written, 0 skipped, 1 failed/);
  });

  test('an image that alone needs more than maxMemory fails with the reason; the rest are written', async () => {
    const { dir, file } = workspace('rgb.png', 'photo.jpg');
    // The estimates: rgb.png (13 × 9 RGB) 5,714 bytes, photo.jpg (17 × 12 RGB) 9,720.
    const summary = await filterImages([file('rgb.png'), file('photo.jpg')], path.join(dir, 'o'), 'sobel', { maxMemory: 8_000 });
    expect(summary.results[0].status).toBe('written');
    expect(summary.results[1]).toMatchObject({ status: 'failed' });
    expect(summary.results[1].reason).toMatch(/^filterImages: expected '.*photo\.jpg' to be an image that can be filtered in 0\.0 MiB \(maxMemory\), but got 17 × 12 pixels, which need about 0\.0 MiB$/);
    expect(cli([file('rgb.png'), '--out', path.join(dir, 'q'), '-f', 'sobel', '--max-memory', 'lots']).stderr).toContain(
      "--max-memory: expected a size such as 2G, 512M or a number of bytes, got 'lots'");
  });

  test('the estimate errs high against a measured peak, and the budget admits in order, never over its limit', async () => {
    // 1 MB of bytes holding a 2048 × 2048 grey PNG: the estimate covers what decoding and filtering took.
    const png = await sharp(Buffer.alloc(2048 * 2048, 7), { raw: { width: 2048, height: 2048, channels: 1 } }).png().toBuffer();
    const need = imageBytes({ input: 'x', bytes: png, format: 'png', channels: 1, width: 2048, height: 2048 }, false, 3);
    expect(need).toBeGreaterThan(2048 * 2048 * 16);  // 4 bytes × 3 float images + the byte copies
    const budget = new ByteBudget(100);
    const order: string[] = [];
    let held = 0, most = 0;
    const task = async (name: string, bytes: number) => {
      await budget.take(bytes);
      held += bytes;
      most = Math.max(most, held);
      order.push(name);
      await new Promise((r) => setTimeout(r, 5));
      held -= bytes;
      budget.give(bytes);
    };
    await Promise.all([task('a', 60), task('b', 60), task('c', 30), task('d', 100), task('e', 10)]);
    expect(order).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(most).toBeLessThanOrEqual(100);
  });

  test('a 250 KB PNG of 16000 × 16000 pixels under --max-memory 1G fails with the reason, in bounded memory', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'convcore-bomb-'));
    const bomb = path.join(dir, 'bomb.png');
    // Grey 16000 × 16000 in about 250 KB; decoding and filtering it took 4 GB of RSS.
    await sharp({ create: { width: 16000, height: 16000, channels: 3, background: '#000' }, limitInputPixels: false })
      .toColourspace('b-w').png({ compressionLevel: 1 }).toFile(bomb);
    const script = `require(${JSON.stringify(CLI)}).main(process.argv.slice(1)).then((code) => {
      console.error('maxRSS', process.resourceUsage().maxRSS); process.exitCode = code; })`;
    const result = spawnSync(process.execPath, ['-e', script, 'filter', bomb, '--out', path.join(dir, 'o'), '-f', 'gaussian:3', '--max-memory', '1G'],
      { encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/failed: .*bomb\.png: filterImages: expected '.*bomb\.png' to be an image that can be filtered in 1\.0 GiB \(maxMemory\), but got 16000 × 16000 pixels, which need about [\d.]+ GiB/);
    const maxRssKiB = Number(/maxRSS (\d+)/.exec(result.stderr)![1]);
    expect(maxRssKiB).toBeLessThan(400 * 1024);
  }, 60_000);
});
