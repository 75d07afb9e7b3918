// interpolate and Upsample (issue 17): PyTorch 1.13's outputs and input gradients
// (test/fixtures/interpolate-torch.json, written by interpolate-torch.py) for nearest and
// bilinear, to a size and by a scale factor, alignCorners both ways, up and down;
// finite differences; options refused by name.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArgumentRangeError, ArgumentTypeError, Tensor, Upsample, interpolate } from '../lib/index';
import type { InterpolateOptions } from '../lib/index';
import { checkGradients, expectClose, randomTensor } from './helpers';

const TORCH = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'interpolate-torch.json'), 'utf8')) as
  Record<string, { shape: number[]; y: number[]; gx: number[] }>;
const CASES: Record<string, InterpolateOptions> = {
  nearest_size: { size: [5, 7] },
  nearest_scale: { scaleFactor: 2 },
  bilinear: { size: [5, 7], mode: 'bilinear' },
  bilinear_ac: { size: [5, 7], mode: 'bilinear', alignCorners: true },
  bilinear_scale: { scaleFactor: [1.5, 0.5], mode: 'bilinear' },
  bilinear_down: { size: [2, 3], mode: 'bilinear' },
};

describe('interpolate', () => {
  it.each(Object.keys(CASES))('%s matches PyTorch (output and gradient)', (name) => {
    const x = new Tensor(Float32Array.from({ length: 24 }, (_, i) => Math.cos(i)), [1, 2, 3, 4], { requiresGrad: true });
    const y = interpolate(x, CASES[name]);
    const expected = TORCH[name];
    expect(y.shape).toEqual(expected.shape);
    expectClose(y.data, Float32Array.from(expected.y), { atol: 2e-6, what: 'output' });
    const n = y.size;
    y.mul(new Tensor(Float32Array.from({ length: n }, (_, i) => -1 + (2 * i) / (n - 1)), [...y.shape])).sum().backward();
    expectClose(x.grad!.data, Float32Array.from(expected.gx), { atol: 2e-6, what: 'gradient' });
  });

  it('bilinear gradients by finite differences; Upsample wraps it', () => {
    checkGradients((t) => interpolate(t, { size: [7, 4], mode: 'bilinear' }), [randomTensor([1, 2, 3, 5], 1)], 2, 1e-2, 1e-3);
    checkGradients((t) => interpolate(t, { scaleFactor: 2, mode: 'bilinear', alignCorners: true }), [randomTensor([2, 3, 3], 3)], 4, 1e-2, 1e-3);
    const x = randomTensor([1, 1, 4, 4], 5);
    expect(Array.from(new Upsample({ scaleFactor: 2 }).forward(x).data)).toEqual(Array.from(interpolate(x, { scaleFactor: 2 }).data));
  });

  it('refuses unclear options by name', () => {
    const x = randomTensor([1, 1, 4, 4], 6);
    expect(() => interpolate(x, {})).toThrow(/exactly one of size and scaleFactor/);
    expect(() => interpolate(x, { size: 2, scaleFactor: 2 })).toThrow(ArgumentTypeError);
    expect(() => interpolate(x, { size: 2, alignCorners: true })).toThrow(ArgumentRangeError);
    expect(() => interpolate(x, { size: 2, mode: 'bicubic' as never })).toThrow(/one of 'nearest', 'bilinear'/);
    expect(() => interpolate(x, { scaleFactor: 0.1 })).toThrow(/at least 1 × 1/);
    expect(() => interpolate(randomTensor([4, 4], 7), { size: 2 })).toThrow(/4-D \(N, C, H, W\) or 3-D/);
  });
});
