/**
 * NumPy/PyTorch broadcasting for element-wise ops: shapes are aligned on the right and
 * dimensions of size 1 stretch (the layouts the kernels read: lib/elementwise-layout.ts).
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
