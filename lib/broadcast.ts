/**
 * NumPy/PyTorch broadcasting for element-wise ops: shapes are aligned on the right and
 * dimensions of size 1 stretch. `sumToShape` is its adjoint, used by the gradients.
 */
import { ShapeError } from './errors';
import { formatShape, message } from './validate';

export function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function broadcastShapes(fn: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        message(fn, 'the shapes', 'broadcastable (equal, or 1, in each dimension from the right)',
          `${formatShape(a)} and ${formatShape(b)}`),
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * For each element of a tensor of `outShape`, the index of the element of a tensor of
 * `shape` (broadcast to `outShape`) that it reads.
 */
export function broadcastIndex(shape: readonly number[], outShape: readonly number[]): Int32Array {
  const rank = outShape.length;
  const strides = new Array<number>(rank).fill(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const axis = rank - shape.length + i;
    strides[axis] = shape[i] === 1 ? 0 : stride;
    stride *= shape[i];
  }
  const size = sizeOf(outShape);
  const index = new Int32Array(size);
  const counter = new Array<number>(rank).fill(0);
  let source = 0;
  for (let flat = 0; flat < size; flat++) {
    index[flat] = source;
    // Odometer increment over outShape, keeping `source` in step.
    for (let axis = rank - 1; axis >= 0; axis--) {
      counter[axis]++;
      source += strides[axis];
      if (counter[axis] < outShape[axis]) break;
      source -= strides[axis] * counter[axis];
      counter[axis] = 0;
    }
  }
  return index;
}

/** Sums a gradient of `outShape` down to `shape` (the operand's shape before broadcasting). */
export function sumToShape(
  grad: Float32Array,
  outShape: readonly number[],
  shape: readonly number[],
): Float32Array {
  if (sameShape(outShape, shape)) return grad;
  const sums = new Float64Array(sizeOf(shape));
  const index = broadcastIndex(shape, outShape);
  for (let i = 0; i < grad.length; i++) sums[index[i]] += grad[i];
  return Float32Array.from(sums);
}
