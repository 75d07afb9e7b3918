/**
 * The `out` option of every op that takes one (convolutions, element-wise ops): the
 * caller's tensor, checked, or fresh storage when there is none. A result written into
 * memory an input still reads would change the input halfway through, so `out` may not
 * share memory with one.
 */
import { allocResult } from './alloc';
import { sameShape } from './broadcast';
import { AutogradError, ShapeError } from './errors';
import { Tensor, assertTensor } from './tensor';
import { formatShape, message } from './validate';

/** Whether two arrays share any byte of memory. */
export function overlaps(a: Float32Array, b: Float32Array): boolean {
  return a.buffer === b.buffer &&
    a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/** Checks a caller's `out` tensor (or allocates the output, uninitialised, when there is none). */
export function outputBuffer(
  fn: string, name: string, out: unknown, shape: readonly number[], inputs: ReadonlyArray<Tensor | null | undefined>,
): Float32Array {
  if (out === undefined || out === null) return allocResult(shape.reduce((a, b) => a * b, 1));
  assertTensor(fn, name, out);
  if (!sameShape(out.shape, shape)) {
    throw new ShapeError(message(fn, `${name}.shape`, formatShape(shape), formatShape(out.shape)));
  }
  for (const t of inputs) {
    if (t && overlaps(t.data, out.data)) {
      throw new ShapeError(message(fn, name, 'a tensor whose memory does not overlap the inputs', 'one that shares memory with an input'));
    }
  }
  return out.data;
}

/**
 * An element-wise op's `out`: as outputBuffer, and, as in PyTorch, refused where autograd
 * would record the op (its gradient may read the result, which the caller will overwrite)
 * or where `out` itself requires grad.
 */
export function elementwiseOutput(
  fn: string, out: Tensor | null | undefined, shape: readonly number[], inputs: readonly Tensor[], recording: boolean,
): Float32Array {
  if (out !== undefined && out !== null) {
    assertTensor(fn, 'options.out', out);
    if (recording || out.requiresGrad) {
      throw new AutogradError(message(fn, 'options.out',
        'no out tensor while autograd records the op (an input or out requires grad; use noGrad() or detach())',
        out.requiresGrad ? 'an out tensor that requires grad' : 'an out tensor, with an input that requires grad'));
    }
  }
  return outputBuffer(fn, 'options.out', out, shape, inputs);
}
