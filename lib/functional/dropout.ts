/** Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1 − p). */
import { allocFloats, allocGradient } from '../alloc';
import { record } from '../autograd';
import { type Random } from '../random';
import { Tensor, assertTensor } from '../tensor';
import { is, rangeError, typeError } from '../validate';

export function checkDropProbability(fn: string, p: unknown): number {
  if (typeof p !== 'number') throw typeError(fn, 'p', 'a probability in [0, 1]', p);
  if (!(is.finite(p) && p >= 0 && p <= 1)) throw rangeError(fn, 'p', 'a probability in [0, 1]', p);
  return p;
}

/** In training, a fresh mask from `random`; otherwise the input itself. */
export function dropout(input: Tensor, p: number, training: boolean, random: Random): Tensor {
  const fn = 'dropout';
  assertTensor(fn, 'input', input);
  checkDropProbability(fn, p);
  if (!training || p === 0) return input;
  const keep = 1 - p;
  const scale = keep === 0 ? 0 : 1 / keep;
  const x = input.data;
  const mask = allocFloats(x.length);
  const y = allocFloats(x.length);
  for (let i = 0; i < x.length; i++) {
    mask[i] = random.uniform() < keep ? scale : 0;
    y[i] = x[i] * mask[i];
  }
  return record(Tensor._wrap(y, input.shape), fn, [input], (g) => {
    const dx = allocGradient(g.length);
    for (let i = 0; i < g.length; i++) dx[i] = g[i] * mask[i];
    return [dx];
  });
}
