/** Gradient clipping (PyTorch's torch.nn.utils.clip_grad_norm_). */
import { ArgumentRangeError } from '../errors';
import { Tensor } from '../tensor';
import { checkOptions, is, message, rangeError, typeError } from '../validate';

/**
 * Scales the gradients of `params` in place so that their joint norm (of order normType,
 * 2 by default, Infinity for the largest magnitude) is at most maxNorm, and returns the
 * norm they had. Parameters without a gradient are skipped.
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number,
  options?: { normType?: number; errorIfNonfinite?: boolean }): number {
  const fn = 'clipGradNorm';
  if (params === null || typeof (params as Iterable<Tensor>)?.[Symbol.iterator] !== 'function') {
    throw typeError(fn, 'params', 'an iterable of Tensors', params);
  }
  if (!(is.finite(maxNorm) && maxNorm >= 0)) throw rangeError(fn, 'maxNorm', 'a non-negative number', maxNorm);
  const o = checkOptions(fn, options, ['normType', 'errorIfNonfinite']);
  const p = o.normType ?? 2;
  if (!(typeof p === 'number' && p > 0)) throw rangeError(fn, 'options.normType', 'a positive number or Infinity', p);
  const grads: Float32Array[] = [];
  for (const t of params) {
    if (!(t instanceof Tensor)) throw typeError(fn, 'params', 'an iterable of Tensors', t);
    const g = t._gradData();
    if (g) grads.push(g);
  }
  let total = 0;
  for (const g of grads) {
    for (let i = 0; i < g.length; i++) {
      const a = Math.abs(g[i]);
      total = p === Infinity ? Math.max(total, a) : total + a ** p;
    }
  }
  if (p !== Infinity) total **= 1 / p;
  if (!Number.isFinite(total) && o.errorIfNonfinite === true) {
    throw new ArgumentRangeError(message(fn, `the gradients' ${p}-norm`, 'finite', String(total)));
  }
  const coefficient = Math.min(1, maxNorm / (total + 1e-6));
  if (coefficient < 1) for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= coefficient;
  return total;
}
