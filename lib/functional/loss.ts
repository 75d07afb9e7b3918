/** Loss functions, composed from differentiable tensor ops. */
import { allocFloats, allocGradient } from '../alloc';
import { record } from '../autograd';
import { ArgumentRangeError, ShapeError } from '../errors';
import { Tensor, assertTensor } from '../tensor';
import { logSumExp } from './softmax';
import { checkOptions, formatShape, message, oneOf, typeError } from '../validate';

export type Reduction = 'mean' | 'sum' | 'none';

/** Squared error (pred − target)², averaged (default), summed, or element-wise. */
export function mseLoss(pred: Tensor, target: Tensor, options?: { reduction?: Reduction }): Tensor {
  const fn = 'mseLoss';
  assertTensor(fn, 'pred', pred);
  assertTensor(fn, 'target', target);
  const o = checkOptions(fn, options, ['reduction']);
  const reduction = oneOf(fn, 'options.reduction', o.reduction ?? 'mean', ['mean', 'sum', 'none'] as const);
  if (pred.shape.length !== target.shape.length || pred.shape.some((d, i) => d !== target.shape[i])) {
    throw new ShapeError(message(fn, 'target.shape', `equal to pred.shape ${formatShape(pred.shape)}`, formatShape(target.shape)));
  }
  const squared = pred.sub(target).square();
  return reduction === 'none' ? squared : reduction === 'sum' ? squared.sum() : squared.mean();
}

/** Class labels: integers in [0, classes) as a typed array, an array or a Tensor. */
export type Labels = Int32Array | Uint8Array | Uint16Array | Uint32Array | readonly number[] | Tensor;

/** A copy of the labels, checked (the backward pass reads them later). */
function readLabels(fn: string, target: unknown, count: number, classes: number): Int32Array {
  const values: ArrayLike<number> | null =
    target instanceof Tensor ? target.data
      : target instanceof Int32Array || target instanceof Uint8Array || target instanceof Uint16Array || target instanceof Uint32Array ? target
        : Array.isArray(target) ? target : null;
  if (values === null) throw typeError(fn, 'target', 'class labels (an Int32Array, a Uint8Array, an array of integers or a Tensor)', target);
  if (values.length !== count) {
    throw new ShapeError(message(fn, 'target', `${count} labels (one per row of input)`, `${values.length}`));
  }
  for (let i = 0; i < count; i++) {
    const label = values[i];
    if (!(Number.isInteger(label) && label >= 0 && label < classes)) {
      throw new ArgumentRangeError(message(fn, `target[${i}]`, `an integer class in [0, ${classes - 1}]`, String(label)));
    }
  }
  return Int32Array.from(values);
}

/**
 * Cross-entropy of logits (N, classes) against integer labels (N): −log softmax(x)[label],
 * averaged (default), summed or per sample, as PyTorch's F.cross_entropy. Computed in
 * one fused pass (log-softmax and its gradient softmax − onehot).
 */
export function crossEntropy(input: Tensor, target: Labels, options?: { reduction?: Reduction }): Tensor {
  const fn = 'crossEntropy';
  assertTensor(fn, 'input', input);
  if (input.shape.length !== 2) throw new ShapeError(message(fn, 'input.shape', '2-D (N, classes) logits', formatShape(input.shape)));
  const o = checkOptions(fn, options, ['reduction']);
  const reduction = oneOf(fn, 'options.reduction', o.reduction ?? 'mean', ['mean', 'sum', 'none'] as const);
  const [N, classes] = input.shape;
  const labels = readLabels(fn, target, N, classes);
  const x = input.data;
  const losses = allocFloats(N);
  const logSums = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    logSums[n] = logSumExp(x, n * classes, classes, 1);
    losses[n] = logSums[n] - x[n * classes + labels[n]];
  }
  let value: Tensor;
  if (reduction === 'none') value = Tensor._wrap(losses, [N]);
  else {
    let total = 0;
    for (let n = 0; n < N; n++) total += losses[n];
    value = Tensor._wrap(Float32Array.of(reduction === 'mean' ? total / N : total), []);
  }
  return record(value, fn, [input], (g) => {
    const dx = allocGradient(x.length);
    for (let n = 0; n < N; n++) {
      const scale = reduction === 'none' ? g[n] : reduction === 'mean' ? g[0] / N : g[0];
      for (let k = 0; k < classes; k++) dx[n * classes + k] = Math.exp(x[n * classes + k] - logSums[n]) * scale;
      dx[n * classes + labels[n]] -= scale;
    }
    return [dx];
  });
}
