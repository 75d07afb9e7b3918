import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { expect, test } from 'vitest';

test('npm start (examples/edge-detection.mjs) prints the book example and learns [1, -1]', () => {
  const root = path.resolve(__dirname, '..');
  const out = execFileSync(process.execPath, [path.join(root, 'examples', 'edge-detection.mjs')], { cwd: root, encoding: 'utf8' });
  expect(out).toContain('corr2d(X, K) = [[19,25],[37,43]]');
  expect(out).toContain('corr2d(X.T, K) is all zeros: true');
  expect(out).toMatch(/^ {3}0 {2}1 {2}0 {2}0 {2}0 -1 {2}0$/m);
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
  expect(out).toContain('W is 42 × 48 = 2016 weights');
  expect(out).toContain('non-zero: 84 (4.2%)');
  expect(out).toContain('distinct non-zero values: 2');
  expect(out).toContain('W · vec(X) equals conv2d(X, K): true');
});
