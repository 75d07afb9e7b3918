/**
 * Matrix products on the native GEMM (the convolution engine's micro-kernel):
 * `matmul` of two matrices and `linear`, the fully connected layer's y = x·Wᵀ + b.
 */
import { allocFloats, allocGradient } from '../alloc';
import { record, shouldRecord } from '../autograd';
import { backend } from '../backend';
import { ShapeError } from '../errors';
import type { MatmulGeometry } from '../reference/matmul';
import { Tensor, assertTensor } from '../tensor';
import { MAX_ELEMENTS, formatShape, message, rangeError } from '../validate';

/**
 * C (m×n) = op(A)·op(B) (+ bias per column) into a new buffer: a gradient buffer
 * (reused across steps) when called from a backward function.
 */
function gemm(m: number, n: number, k: number, a: Float32Array, transA: boolean, b: Float32Array, transB: boolean,
  bias: Float32Array | null, forGradient = false): Float32Array {
  if (m * n > MAX_ELEMENTS) throw rangeError('matmul', 'the result size', `at most ${MAX_ELEMENTS} elements`, m * n);
  const c = forGradient ? allocGradient(m * n) : allocFloats(m * n);
  if (m > 0 && n > 0) backend().matmul({ m, n, k, transA, transB, accumulate: false } satisfies MatmulGeometry, a, b, bias, c);
  return c;
}

function checkTensor(fn: string, name: string, value: unknown, rank: number, what: string): Tensor {
  assertTensor(fn, name, value);
  if (value.shape.length !== rank) {
    throw new ShapeError(message(fn, `${name}.shape`, `${rank}-D ${what}`, formatShape(value.shape)));
  }
  return value;
}

/** The product of an (m, k) and a (k, n) matrix, differentiable in both. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const fn = 'matmul';
  checkTensor(fn, 'a', a, 2, '(m, k)');
  checkTensor(fn, 'b', b, 2, '(k, n)');
  const [m, k] = a.shape, [k2, n] = b.shape;
  if (k !== k2) throw new ShapeError(message(fn, 'b.shape[0]', `${k} (a.shape[1])`, String(k2)));
  const out = gemm(m, n, k, a.data, false, b.data, false, null);
  return record(Tensor._wrap(out, [m, n]), fn, [a, b], (g) => [
    // dA = g·Bᵀ, dB = Aᵀ·g
    a.requiresGrad ? gemm(m, k, n, g, false, b.data, true, null, true) : null,
    b.requiresGrad ? gemm(k, n, m, a.data, true, g, false, null, true) : null,
  ]);
}

/**
 * y = x·Wᵀ + b for x of shape (…, inFeatures), weight (outFeatures, inFeatures) and
 * bias (outFeatures) or none: PyTorch's F.linear.
 */
export function linear(input: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const fn = 'linear';
  assertTensor(fn, 'input', input);
  if (input.shape.length < 1) throw new ShapeError(message(fn, 'input.shape', 'at least 1-D (…, inFeatures)', formatShape(input.shape)));
  checkTensor(fn, 'weight', weight, 2, '(outFeatures, inFeatures)');
  const [outFeatures, inFeatures] = weight.shape;
  const last = input.shape[input.shape.length - 1];
  if (last !== inFeatures) {
    throw new ShapeError(message(fn, 'input.shape', `(…, ${inFeatures}) to match weight.shape ${formatShape(weight.shape)}`,
      formatShape(input.shape)));
  }
  if (bias !== undefined && bias !== null) {
    checkTensor(fn, 'bias', bias, 1, `(${outFeatures})`);
    if (bias.shape[0] !== outFeatures) throw new ShapeError(message(fn, 'bias.shape', `[${outFeatures}]`, formatShape(bias.shape)));
  }
  const rows = inFeatures === 0 ? input.size : input.size / inFeatures;
  const b = bias ?? null;
  const out = gemm(rows, outFeatures, inFeatures, input.data, false, weight.data, true, b?.data ?? null);
  const outShape = [...input.shape.slice(0, -1), outFeatures];
  const parents = b === null ? [input, weight] : [input, weight, b];
  if (!shouldRecord(parents)) return Tensor._wrap(out, outShape);
  return record(Tensor._wrap(out, outShape), fn, parents, (g) => [
    // dx = g·W, dW = gᵀ·x, db = Σ_rows g
    input.requiresGrad ? gemm(rows, inFeatures, outFeatures, g, false, weight.data, false, null, true) : null,
    weight.requiresGrad ? gemm(outFeatures, inFeatures, rows, g, true, input.data, false, null, true) : null,
    b?.requiresGrad ? columnSums(g, rows, outFeatures) : null,
  ]);
}

function columnSums(g: Float32Array, rows: number, cols: number): Float32Array {
  const sums = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) sums[j] += g[r * cols + j];
  const out = allocFloats(cols);
  out.set(sums);
  return out;
}
