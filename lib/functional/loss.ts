/** Loss functions, composed from differentiable tensor ops. */
import { ShapeError } from '../errors';
import { Tensor } from '../tensor';
import { checkOptions, formatShape, message, oneOf, typeError } from '../validate';

export type Reduction = 'mean' | 'sum' | 'none';

/** Squared error (pred − target)², averaged (default), summed, or element-wise. */
export function mseLoss(pred: Tensor, target: Tensor, options?: { reduction?: Reduction }): Tensor {
  const fn = 'mseLoss';
  if (!(pred instanceof Tensor)) throw typeError(fn, 'pred', 'a Tensor', pred);
  if (!(target instanceof Tensor)) throw typeError(fn, 'target', 'a Tensor', target);
  const o = checkOptions(fn, options, ['reduction']);
  const reduction = oneOf(fn, 'options.reduction', o.reduction ?? 'mean', ['mean', 'sum', 'none'] as const);
  if (pred.shape.length !== target.shape.length || pred.shape.some((d, i) => d !== target.shape[i])) {
    throw new ShapeError(message(fn, 'target.shape', `equal to pred.shape ${formatShape(pred.shape)}`, formatShape(target.shape)));
  }
  const squared = pred.sub(target).square();
  return reduction === 'none' ? squared : reduction === 'sum' ? squared.sum() : squared.mean();
}
