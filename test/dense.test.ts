/** The fully-connected view: W · vec(x) = vec(conv2d(x, weight)) for random configurations. */
import { describe, expect, test } from 'vitest';
import { Tensor, conv2d, conv2dAsDense } from '../lib/index';
import { randomTensor } from './helpers';

function matVec(W: Tensor, x: Float32Array): Float64Array {
  const [rows, cols] = W.shape;
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let acc = 0;
    for (let c = 0; c < cols; c++) acc += W.data[r * cols + c] * x[c];
    y[r] = acc;
  }
  return y;
}

describe('conv2dAsDense', () => {
  const cases: Array<[string, number[], number[], Record<string, unknown>]> = [
    ['the book example', [1, 6, 8], [1, 1, 1, 2], {}],
    ['channels, stride, padding', [2, 3, 5, 6], [4, 3, 3, 3], { stride: 2, padding: 1 }],
    ['dilation, groups, same', [1, 4, 7, 7], [2, 2, 3, 2], { dilation: 2, groups: 2, padding: 'same' }],
    ['reflect', [1, 2, 5, 5], [3, 2, 3, 3], { padding: 2, paddingMode: 'reflect' }],
    ['circular', [1, 1, 4, 6], [1, 1, 3, 3], { padding: [1, 2], paddingMode: 'circular' }],
    ['replicate', [2, 5, 4], [3, 2, 2, 2], { padding: 1, paddingMode: 'replicate' }],
  ];
  test.each(cases)('%s', (_name, inputShape, weightShape, options) => {
    const w = randomTensor(weightShape, 1);
    const x = randomTensor(inputShape, 2);
    const W = conv2dAsDense(w, inputShape, options);
    const y = conv2d(x, w, null, options);
    expect(W.shape).toEqual([y.size, x.size]);
    const viaMatrix = matVec(W, x.data);
    for (let i = 0; i < y.size; i++) expect(Math.abs(viaMatrix[i] - y.data[i])).toBeLessThan(1e-4);
  });

  test("the book's 6×8 example: locality and weight sharing, counted", () => {
    const W = conv2dAsDense(Tensor.fromArray([[[[1, -1]]]]), [1, 1, 6, 8]);
    expect(W.shape).toEqual([42, 48]);
    const nonZero = Array.from(W.data).filter((v) => v !== 0);
    expect(nonZero.length).toBe(84); // each output reads 2 of 48 inputs
    expect(new Set(nonZero).size).toBe(2); // and every output uses the same 2 weights
  });

  test('bad arguments', () => {
    expect(() => conv2dAsDense(Tensor.zeros([1, 1, 3, 3]), [1, 1, 2, 2])).toThrow(/dilated kernel size/);
    expect(() => conv2dAsDense(Tensor.zeros([1, 1, 3, 3]), 'big' as never)).toThrow(
      "conv2dAsDense: expected inputShape to be an array of positive integers, but got 'big' (a string)");
  });
});
