import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { loadSafetensors } from '../lib/index';

/** The numbers on the first line that holds `label`, after it (so a changed wording or spacing elsewhere does not matter). */
function numbersAfter(text: string, label: string): number[] {
  const line = text.split('\n').find((l) => l.includes(label));
  if (line === undefined) throw new Error(`no line with ${JSON.stringify(label)} in:\n${text}`);
  return [...line.slice(line.indexOf(label) + label.length).matchAll(/-?\d+(?:,\d{3})*(?:\.\d+)?/g)].map((m) => Number(m[0].replace(/,/g, '')));
}

/** The rows of numbers printed under the line that holds `label`, up to the next line that is not all numbers. */
function matrixAfter(text: string, label: string): number[][] {
  const lines = text.split('\n');
  const rows: number[][] = [];
  for (let i = lines.findIndex((l) => l.includes(label)) + 1; i > 0 && /^[\s\d.-]+$/.test(lines[i]); i++) {
    rows.push(lines[i].trim().split(/\s+/).map(Number));
  }
  return rows;
}

test('npm start (examples/edge-detection.mjs) prints the book example and learns [1, -1]', () => {
  const root = path.resolve(__dirname, '..');
  const out = execFileSync(process.execPath, [path.join(root, 'examples', 'edge-detection.mjs')], { cwd: root, encoding: 'utf8' });
  expect(numbersAfter(out, 'corr2d(X, K) =')).toEqual([19, 25, 37, 43]);
  expect(numbersAfter(out, 'convolve2d(X, K) =')).toEqual([5, 11, 23, 29, 180]); // 180: "rotated by 180°"
  expect(matrixAfter(out, 'image X (6×8):')).toEqual(Array(6).fill([1, 1, 0, 0, 0, 0, 1, 1]));
  expect(matrixAfter(out, 'edges Y = corr2d(X, [[1, -1]])')).toEqual(Array(6).fill([0, 1, 0, 0, 0, -1, 0]));
  expect(out).toMatch(/corr2d\(X\.T, K\) is all zeros: true/);
  const epochs = [...out.matchAll(/^epoch (\d+), loss (\d+\.\d{3})$/gm)];
  expect(epochs.map((m) => Number(m[1]))).toEqual([2, 4, 6, 8, 10]);
  const losses = epochs.map((m) => Number(m[2]));
  for (let i = 1; i < losses.length; i++) expect(losses[i]).toBeLessThan(losses[i - 1]);
  const kernel = out.match(/learned kernel: \[\[(-?[\d.]+), (-?[\d.]+)\]\]/);
  expect(kernel).not.toBeNull();
  expect(Math.abs(Number(kernel![1]) - 1)).toBeLessThan(0.1);
  expect(Math.abs(Number(kernel![2]) + 1)).toBeLessThan(0.1);
});

test('examples/fully-connected-view.mjs counts the dense matrix of the book example', () => {
  const root = path.resolve(__dirname, '..');
  const out = execFileSync(process.execPath, [path.join(root, 'examples', 'fully-connected-view.mjs')], { cwd: root, encoding: 'utf8' });
  // A 1×2 kernel on a 6×8 image: 6×7 outputs, 48 inputs, two non-zeros per output row.
  expect(numbersAfter(out, 'W is')).toEqual([42, 48, 2016]);
  const [nonZero, percent, seen, of] = numbersAfter(out, 'non-zero:');
  expect([nonZero, seen, of]).toEqual([84, 2, 48]);
  expect(percent).toBeCloseTo((100 * 84) / 2016, 1);
  expect(numbersAfter(out, 'distinct non-zero values:')).toEqual([2]);
  expect(out).toMatch(/W · vec\(X\) equals conv2d\(X, K\): true/);
});

test('examples/train-mnist.mjs (the end of npm start) trains LeNet and writes a checkpoint that loads', async () => {
  const root = path.resolve(__dirname, '..');
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'convcore-mnist-')), 'lenet.safetensors');
  const text = execFileSync(process.execPath, [path.join(root, 'examples', 'train-mnist.mjs'), '--epochs', '1', '--out', out],
    { cwd: root, encoding: 'utf8' });
  expect(numbersAfter(text, 'MNIST:').slice(0, 2)).toEqual([7996, 2004]);
  // LeNet's layers (6·1·25+6, 16·6·25+16, 120·400+120, 84·120+84, 10·84+10) and their total.
  const counts = text.split('\n').filter((l) => l.includes('  # ')).map((l) => numbersAfter(l, '  # ')[0]);
  expect(counts).toEqual([156, 2416, 48120, 10164, 850, 156 + 2416 + 48120 + 10164 + 850]);
  const accuracy = Number(text.match(/^test accuracy: ([\d.]+)% on 2004 held-out digits$/m)![1]);
  expect(accuracy).toBeGreaterThan(80);
  expect(text).toMatch(/^training throughput: \d+ samples\/s/m);
  const { tensors, metadata } = await loadSafetensors(out);
  expect(Object.keys(tensors)).toHaveLength(10);
  expect(tensors['7.weight'].shape).toEqual([120, 400]);
  expect(metadata.model).toBe('d2l LeNet');
}, 60_000);

test('examples/train-in-worker.mjs answers HTTP on the main thread while a worker trains', () => {
  const root = path.resolve(__dirname, '..');
  const text = execFileSync(process.execPath, [path.join(root, 'examples', 'train-in-worker.mjs'), '--epochs', '1'],
    { cwd: root, encoding: 'utf8' });
  expect(text).toMatch(/\[worker\] epoch 1: loss [\d.]+, test accuracy [\d.]+%/);
  const answered = Number(text.match(/main thread answered (\d+) requests during training/)![1]);
  expect(answered).toBeGreaterThan(5);
}, 60_000);

test('examples/classify-with-pytorch-weights.mjs loads a state dict under torchvision names and ranks the classes', async () => {
  const root = path.resolve(__dirname, '..');
  const dir = mkdtempSync(path.join(tmpdir(), 'convcore-classify-'));
  const weights = path.join(dir, 'resnet18.safetensors');
  const { models, saveSafetensors, imageToTensor, interpolate, noGrad } = await import('../lib/index');
  const net = models.resnet18();
  await saveSafetensors(weights, net.stateDict()); // random weights, torchvision's names
  const image = path.join(root, 'examples', 'assets', 'sample.jpg');
  const text = execFileSync(process.execPath, [path.join(root, 'examples', 'classify-with-pytorch-weights.mjs'), weights, image],
    { cwd: root, encoding: 'utf8' });
  const ranked = [...text.matchAll(/class (\d+) \(([\d.]+)%\)/g)].map((m) => [Number(m[1]), Number(m[2])]);
  expect(ranked.length).toBe(5);
  for (let i = 1; i < 5; i++) expect(ranked[i][1]).toBeLessThanOrEqual(ranked[i - 1][1]);
  // The same preprocessing here: the example's top class is the model's.
  const { tensor } = await imageToTensor(image);
  const resized = interpolate(tensor.reshape([1, ...tensor.shape]), { size: [224, 224], mode: 'bilinear' });
  const [mean, std] = [[0.485, 0.456, 0.406], [0.229, 0.224, 0.225]];
  const x = resized.data.map((v, i) => (v / 255 - mean[Math.floor(i / 50176)]) / std[Math.floor(i / 50176)]);
  net.eval();
  const logits = noGrad(() => net.forward(new (resized.constructor as typeof import('../lib/index').Tensor)(x, [1, 3, 224, 224]))).data;
  expect(ranked[0][0]).toBe(logits.indexOf(Math.max(...logits)));
});
