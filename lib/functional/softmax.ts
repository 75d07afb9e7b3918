/** logSoftmax along one dimension, computed stably (the maximum subtracted first). */
import { allocFloats, allocGradient } from '../alloc';
import { record } from '../autograd';
import { ArgumentRangeError } from '../errors';
import { Tensor, assertTensor } from '../tensor';
import { is, message } from '../validate';

/** The axis `dim` (negative counts from the end) as outer × size × inner strides. */
export function axisLayout(fn: string, shape: readonly number[], dim: unknown): { outer: number; size: number; inner: number } {
  const rank = shape.length;
  if (!is.integer(dim) || dim < -rank || dim >= Math.max(rank, 1)) {
    throw new ArgumentRangeError(message(fn, 'dim', `an integer in [${-rank}, ${Math.max(rank - 1, 0)}]`, String(dim)));
  }
  const axis = dim < 0 ? dim + rank : dim;
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const size = rank === 0 ? 1 : shape[axis];
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  return { outer, size, inner };
}

/**
 * log Σ_k exp(x[base + k·stride]) over `size` elements, stably: the maximum is
 * subtracted first (huge logits stay finite).
 */
export function logSumExp(x: Float32Array, base: number, size: number, stride: number): number {
  let max = -Infinity;
  for (let k = 0; k < size; k++) max = Math.max(max, x[base + k * stride]);
  let sum = 0;
  for (let k = 0; k < size; k++) sum += Math.exp(x[base + k * stride] - max);
  return max + Math.log(sum);
}

/** log(softmax(x)) along `dim` (default: the last). */
export function logSoftmax(input: Tensor, dim = -1): Tensor {
  const fn = 'logSoftmax';
  assertTensor(fn, 'input', input);
  const { outer, size, inner } = axisLayout(fn, input.shape, dim);
  const x = input.data;
  const y = allocFloats(x.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * size * inner + i;
      const logSum = logSumExp(x, base, size, inner);
      for (let k = 0; k < size; k++) y[base + k * inner] = x[base + k * inner] - logSum;
    }
  }
  return record(Tensor._wrap(y, input.shape), fn, [input], (g) => {
    // dx = g − softmax · Σ g
    const dx = allocGradient(g.length);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * size * inner + i;
        let total = 0;
        for (let k = 0; k < size; k++) total += g[base + k * inner];
        for (let k = 0; k < size; k++) dx[base + k * inner] = g[base + k * inner] - Math.exp(y[base + k * inner]) * total;
      }
    }
    return [dx];
  });
}
