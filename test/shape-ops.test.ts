// Shape ops (issue 17): values against nested-array definitions, gradients by finite
// differences (each op inside a weighted sum), views sharing storage, errors by name.
import { describe, expect, it } from 'vitest';
import { ArgumentRangeError, ShapeError, Tensor, cat, chunk, flatten, narrow, permute, split, squeeze, stack, transpose, unsqueeze } from '../lib/index';
import { checkGradients, randomTensor } from './helpers';

const arange = (shape: number[]) => new Tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i), shape);

describe('shape ops', () => {
  it('narrow, split and chunk cut along a dimension', () => {
    const x = arange([2, 5, 3]);
    expect(narrow(x, 1, 1, 2).toArray()).toEqual([[[3, 4, 5], [6, 7, 8]], [[18, 19, 20], [21, 22, 23]]]);
    expect(narrow(x, -1, -1, 1).shape).toEqual([2, 5, 1]);
    expect(split(x, 2, 1).map((t) => t.shape[1])).toEqual([2, 2, 1]);
    expect(split(x, [1, 4], 1)[1].toArray()).toEqual(narrow(x, 1, 1, 4).toArray());
    expect(chunk(x, 3, 1).map((t) => t.shape[1])).toEqual([2, 2, 1]);
    expect(chunk(arange([6]), 4).map((t) => t.size)).toEqual([2, 2, 2]); // PyTorch: ⌈6/4⌉ = 2, so 3 pieces
  });

  it('cat and stack join, and are the inverses of split and unbind', () => {
    const x = arange([2, 5, 3]);
    const pieces = split(x, [2, 0, 3], 1);
    expect(Array.from(cat(pieces, 1).data)).toEqual(Array.from(x.data));
    const a = arange([2, 3]), b = arange([2, 3]).add(10);
    expect(cat([a, b], 0).toArray()).toEqual([[0, 1, 2], [3, 4, 5], [10, 11, 12], [13, 14, 15]]);
    expect(cat([a, b], -1).toArray()).toEqual([[0, 1, 2, 10, 11, 12], [3, 4, 5, 13, 14, 15]]);
    expect(stack([a, b], 1).toArray()).toEqual([[[0, 1, 2], [10, 11, 12]], [[3, 4, 5], [13, 14, 15]]]);
    expect(stack([a, b], 2).shape).toEqual([2, 3, 2]);
  });

  it('permute and transpose reorder dimensions', () => {
    const x = arange([2, 3, 4]);
    const p = permute(x, [2, 0, 1]);
    expect(p.shape).toEqual([4, 2, 3]);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) {
      expect(p.data[(k * 2 + i) * 3 + j]).toBe(x.data[(i * 3 + j) * 4 + k]);
    }
    expect(transpose(arange([2, 3]), 0, 1).toArray()).toEqual([[0, 3], [1, 4], [2, 5]]);
    expect(x.permute(0, 2, 1).toArray()).toEqual(transpose(x, -1, -2).toArray());
    expect(Array.from(permute(permute(x, [2, 0, 1]), [1, 2, 0]).data)).toEqual(Array.from(x.data));
  });

  it('flatten, squeeze, unsqueeze are views of the same storage', () => {
    const x = arange([2, 1, 3, 1]);
    expect(flatten(x).shape).toEqual([6]);
    expect(flatten(x, 1, 2).shape).toEqual([2, 3, 1]);
    expect(squeeze(x).shape).toEqual([2, 3]);
    expect(squeeze(x, 1).shape).toEqual([2, 3, 1]);
    expect(squeeze(x, 0).shape).toEqual([2, 1, 3, 1]); // size 2: left as it is
    expect(unsqueeze(x, -1).shape).toEqual([2, 1, 3, 1, 1]);
    expect(x.view([3, 2]).data).toBe(x.data);
    expect(squeeze(x).data).toBe(x.data);
  });

  it('every gradient by finite differences', () => {
    checkGradients((x) => narrow(x, 1, 1, 3), [randomTensor([2, 5, 3], 1)], 2, 1e-2, 1e-3);
    checkGradients((a, b) => cat([a, b, a], 1), [randomTensor([2, 2, 3], 3), randomTensor([2, 4, 3], 4)], 5, 1e-2, 1e-3);
    checkGradients((a, b) => stack([a, b], 1), [randomTensor([3, 2], 6), randomTensor([3, 2], 7)], 8, 1e-2, 1e-3);
    checkGradients((x) => permute(x, [1, 2, 0]).mul(randomTensor([4, 5, 3], 9)), [randomTensor([3, 4, 5], 10)], 11, 1e-2, 1e-3);
    checkGradients((x) => { const [a, b] = chunk(x, 2, 0); return a.mul(b); }, [randomTensor([4, 3], 12)], 13, 1e-2, 1e-3);
  });

  it('refuses bad arguments by name', () => {
    const x = arange([2, 3]);
    expect(() => narrow(x, 2, 0, 1)).toThrow(ArgumentRangeError);
    expect(() => narrow(x, 1, 2, 2)).toThrow(/expected length to be an integer in \[0, 1\]/);
    expect(() => cat([x, arange([3, 3])], 1)).toThrow(ShapeError);
    expect(() => stack([x, arange([3, 2])])).toThrow(ShapeError);
    expect(() => permute(x, [0, 0])).toThrow(/a permutation of 0\.\.1/);
    expect(() => split(x, [1, 1], 1)).toThrow(/adding up to 3/);
    expect(() => cat([], 0)).toThrow(/a non-empty array of Tensors/);
  });
});
