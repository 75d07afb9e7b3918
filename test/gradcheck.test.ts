/**
 * Finite-difference gradient checks through autograd: the analytic gradient of
 * L = Σ f(inputs) · G must match central differences of L, for conv2d (both backends,
 * every option) and for the element-wise ops.
 */
import { describe, expect, test } from 'vitest';
import { type BackendName, type Conv2dOptions, Tensor, conv2d, corr2d, convolve2d } from '../lib/index';
import { checkGradients, randomTensor, withBackend } from './helpers';

const CONV_CASES: Array<[string, number[], number[], Conv2dOptions]> = [
  ['plain 3x3', [2, 2, 5, 6], [3, 2, 3, 3], {}],
  ['stride 2, padding 1', [1, 3, 7, 7], [2, 3, 3, 3], { stride: 2, padding: 1 }],
  ['dilation 2, asymmetric padding', [1, 2, 8, 7], [2, 2, 2, 3], { dilation: 2, padding: [1, 2] }],
  ['groups 2, same', [2, 4, 5, 5], [4, 2, 3, 2], { groups: 2, padding: 'same' }],
  ['reflect', [1, 2, 5, 6], [2, 2, 3, 3], { padding: 2, paddingMode: 'reflect' }],
  ['replicate, unbatched', [2, 4, 4], [3, 2, 3, 3], { padding: [1, 2], paddingMode: 'replicate' }],
  ['circular, stride 3', [1, 1, 7, 8], [2, 1, 3, 3], { padding: 3, paddingMode: 'circular', stride: 3 }],
  ['1-pixel image', [2, 3, 1, 1], [2, 3, 1, 1], {}],
];

describe.each(['native', 'reference'] as BackendName[])('conv2d gradients by finite differences (%s)', (backend) => {
  test.each(CONV_CASES)('%s', (_name, inputShape, weightShape, options) => {
    withBackend(backend, () => {
      const x = randomTensor(inputShape, 1);
      const w = randomTensor(weightShape, 2);
      const b = randomTensor([weightShape[0]], 3);
      // L is linear in each argument, so central differences are exact but for rounding.
      checkGradients((xi, wi, bi) => conv2d(xi, wi, bi, options), [x, w, b], 4, 1e-2, 2e-3);
    });
  });
});

describe('corr2d and convolve2d gradients by finite differences', () => {
  test('corr2d', () => {
    checkGradients(corr2d, [randomTensor([5, 7], 1), randomTensor([2, 3], 2)], 3, 1e-2, 2e-3);
  });
  test('convolve2d', () => {
    checkGradients(convolve2d, [randomTensor([6, 4], 1), randomTensor([3, 2], 2)], 3, 1e-2, 2e-3);
  });
});

describe('element-wise op gradients by finite differences', () => {
  const positive = (shape: number[], seed: number) => {
    const t = randomTensor(shape, seed);
    for (let i = 0; i < t.size; i++) t.data[i] = 1 + Math.abs(t.data[i]);
    return t;
  };
  const cases: Array<[string, (...t: Tensor[]) => Tensor, () => Tensor[]]> = [
    ['add with broadcasting', (a, b) => a.add(b), () => [randomTensor([3, 4], 1), randomTensor([4], 2)]],
    ['sub with broadcasting', (a, b) => a.sub(b), () => [randomTensor([2, 1, 3], 1), randomTensor([4, 1], 2)]],
    ['mul', (a, b) => a.mul(b), () => [randomTensor([3, 4], 1), randomTensor([3, 4], 2)]],
    ['div', (a, b) => a.div(b), () => [randomTensor([3, 4], 1), positive([3, 1], 2)]],
    ['neg and square', (a) => a.neg().square(), () => [randomTensor([5], 1)]],
    ['pow 3', (a) => a.pow(3), () => [randomTensor([2, 3], 1)]],
    ['pow -0.5', (a) => a.pow(-0.5), () => [positive([4], 1)]],
    ['sum over dim 1', (a) => a.sum(1), () => [randomTensor([2, 3, 4], 1)]],
    ['mean over dim -1 keepdim', (a) => a.mean(-1, { keepdim: true }), () => [randomTensor([3, 5], 1)]],
    ['mean of all', (a) => a.mean(), () => [randomTensor([3, 5], 1)]],
    ['reshape and scalar ops', (a) => a.reshape([6, -1]).mul(3).add(1).div(2), () => [randomTensor([2, 3, 2], 1)]],
    ['a tensor used twice', (a) => a.mul(a).add(a), () => [randomTensor([4], 1)]],
  ];
  test.each(cases)('%s', (_name, f, make) => {
    checkGradients(f, make(), 9, 1e-3, 5e-3);
  });
});
