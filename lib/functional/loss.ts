/** Loss functions, composed from differentiable tensor ops. */
import { allocFloats, allocGradient, scalarFloats } from '../alloc';
import { record } from '../autograd';
import { ArgumentRangeError, ShapeError } from '../errors';
import { Tensor, assertTensor } from '../tensor';
import { logSumExp } from './softmax';
import { checkOptions, formatShape, is, message, oneOf, rangeError, typeError } from '../validate';

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
function readLabels(fn: string, target: unknown, count: number, classes: number, ignoreIndex: number): Int32Array {
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
    if (!(Number.isInteger(label) && ((label >= 0 && label < classes) || label === ignoreIndex))) {
      throw new ArgumentRangeError(message(fn, `target[${i}]`, `an integer class in [0, ${classes - 1}] (or ignoreIndex, ${ignoreIndex})`,
        String(label)));
    }
  }
  return Int32Array.from(values);
}

export interface CrossEntropyOptions {
  /** 'mean' (default: over the samples not ignored, weighted by their class weights), 'sum' or 'none'. */
  reduction?: Reduction;
  /** A weight per class (classes): each sample's loss is scaled by its label's weight. */
  weight?: Tensor | null;
  /** Samples with this label add nothing, and do not count in the mean (default −100). */
  ignoreIndex?: number;
  /** ε in [0, 1]: the target is (1 − ε)·onehot + ε/classes (default 0). */
  labelSmoothing?: number;
}

/**
 * Cross-entropy of logits (N, classes) against integer labels (N): −log softmax(x)[label],
 * with PyTorch's F.cross_entropy options (class weights, ignoreIndex, label smoothing,
 * the same normalisation of a mean). Computed in one fused pass (log-softmax, and its
 * gradient in closed form).
 */
export function crossEntropy(input: Tensor, target: Labels, options?: CrossEntropyOptions): Tensor {
  const fn = 'crossEntropy';
  assertTensor(fn, 'input', input);
  if (input.shape.length !== 2) throw new ShapeError(message(fn, 'input.shape', '2-D (N, classes) logits', formatShape(input.shape)));
  const o = checkOptions(fn, options, ['reduction', 'weight', 'ignoreIndex', 'labelSmoothing']);
  const reduction = oneOf(fn, 'options.reduction', o.reduction ?? 'mean', ['mean', 'sum', 'none'] as const);
  const [N, classes] = input.shape;
  const ignoreIndex = o.ignoreIndex ?? -100;
  if (!is.integer(ignoreIndex)) throw typeError(fn, 'options.ignoreIndex', 'an integer', ignoreIndex);
  const epsilon = o.labelSmoothing ?? 0;
  if (!(is.finite(epsilon) && epsilon >= 0 && epsilon <= 1)) throw rangeError(fn, 'options.labelSmoothing', 'a number in [0, 1]', epsilon);
  let classWeight: Float32Array | null = null;
  if (o.weight !== undefined && o.weight !== null) {
    assertTensor(fn, 'options.weight', o.weight);
    if (o.weight.shape.length !== 1 || o.weight.shape[0] !== classes) {
      throw new ShapeError(message(fn, 'options.weight.shape', `[${classes}] (one weight per class)`, formatShape(o.weight.shape)));
    }
    classWeight = o.weight.data.slice();
  }
  const labels = readLabels(fn, target, N, classes, ignoreIndex);
  const w = (c: number) => (classWeight === null ? 1 : classWeight[c]);
  let weightSum = 0;
  for (let c = 0; c < classes; c++) weightSum += w(c);

  const x = input.data;
  const losses = allocFloats(N);
  const logSums = new Float64Array(N);
  let denominator = 0; // Σ of the label weights of the samples not ignored
  for (let n = 0; n < N; n++) {
    const y = labels[n];
    if (y === ignoreIndex) continue;
    const row = n * classes;
    const lse = (logSums[n] = logSumExp(x, row, classes, 1));
    let smooth = 0;
    if (epsilon > 0) for (let c = 0; c < classes; c++) smooth += w(c) * (lse - x[row + c]);
    losses[n] = (1 - epsilon) * w(y) * (lse - x[row + y]) + (epsilon / classes) * smooth;
    denominator += w(y);
  }
  let value: Tensor;
  if (reduction === 'none') value = Tensor._wrap(losses, [N]);
  else {
    let total = 0;
    for (let n = 0; n < N; n++) total += losses[n];
    value = Tensor._wrap(scalarFloats(reduction === 'mean' ? total / denominator : total), []);
  }
  return record(value, fn, [input], (g) => {
    const dx = allocGradient(x.length);
    for (let n = 0; n < N; n++) {
      const row = n * classes, y = labels[n];
      if (y === ignoreIndex) {
        dx.fill(0, row, row + classes);
        continue;
      }
      const scale = reduction === 'none' ? g[n] : reduction === 'mean' ? g[0] / denominator : g[0];
      // d/dx_k: (1 − ε)·w_y·(p_k − [k = y]) + ε/C·(Σw·p_k − w_k).
      const pScale = (1 - epsilon) * w(y) + (epsilon / classes) * weightSum;
      for (let k = 0; k < classes; k++) {
        dx[row + k] = (Math.exp(x[row + k] - logSums[n]) * pScale - (epsilon / classes) * w(k)) * scale;
      }
      dx[row + y] -= (1 - epsilon) * w(y) * scale;
    }
    return [dx];
  });
}
