/**
 * Element-wise ops with broadcasting, unary maths and reductions over any dimensions, as
 * Tensor's methods run them: validation, the layout (lib/elementwise-layout.ts), the
 * backend's kernel (native: threaded and vectorised; reference: lib/reference/
 * elementwise.ts) and the gradient. Ops whose float32 result does not depend on how it
 * is computed run small tensors in TypeScript even on the native backend: a native call
 * costs more than a few thousand additions, and the bits are the same.
 */
import { allocGradient, allocResult, scalarFloats } from './alloc';
import { record, shouldRecord } from './autograd';
import { type Backend, backend, referenceKernels } from './backend';
import { broadcastShapes, sameShape, sizeOf } from './broadcast';
import { type BroadcastLayout, broadcastDims, broadcastLayout, reduceLayout } from './elementwise-layout';
import { ArgumentRangeError, ShapeError } from './errors';
import { elementwiseOutput } from './out-buffer';
import { type BinaryOp, EXACT_UNARY, type UnaryOp, forEachElement } from './reference/elementwise';
import { Tensor, assertTensor } from './tensor';
import { checkOptions, formatShape, is, message, rangeError, typeError } from './validate';

export type { BinaryOp, UnaryOp } from './reference/elementwise';

/** Below this many elements, exact ops skip the native call. */
const SMALL = 4096;
/** The native kernels take layouts of up to 8 dimensions (after merging). */
const MAX_NATIVE_RANK = 8;

function kernelsFor(exact: boolean, size: number, rank: number): Backend {
  const active = backend();
  if (active.name === 'native' && ((exact && size < SMALL) || rank > MAX_NATIVE_RANK)) return referenceKernels();
  return active;
}

/**
 * Before TypeScript reads a tensor the native side would have re-checked: its buffer's
 * own length, which V8's optimised code does not report stale for a buffer detached
 * since (a view's length, which assertTensor reads, it has been seen to).
 */
function assertAttached(fn: string, name: string, t: Tensor): void {
  const data = t.data, available = Math.max(0, (data.buffer.byteLength - data.byteOffset) >> 2);
  if (available < t.size) {
    throw new ShapeError(message(fn, `${name}.data`, `${t.size} elements (shape ${formatShape(t.shape)})`,
      `${available} elements: its buffer was detached or resized`));
  }
}

/** A gradient of outShape summed down to `shape` (the operand's shape before broadcasting). */
function sumToShape(g: Float32Array, outShape: readonly number[], shape: readonly number[]): Float32Array {
  if (sameShape(outShape, shape)) return g;
  const l = reduceLayout(outShape, broadcastDims(shape, outShape));
  const out = allocGradient(sizeOf(shape));
  kernelsFor(false, g.length, l.sizes.length).reduce('sum', l, 1, g, out);
  return out;
}

/**
 * a + b into a new gradient buffer: the sum of two contributions to one tensor's gradient
 * (a ResNet's skip joins its block's path), on the add kernel where it is large (a
 * JavaScript loop cost 2.4 ms a step of ResNet-18).
 */
export function addGradients(a: Float32Array, b: Float32Array): Float32Array {
  const sum = allocGradient(a.length);
  const kernels = kernelsFor(true, a.length, 1);
  if (kernels.name === 'reference') {
    for (let i = 0; i < a.length; i++) sum[i] = a[i] + b[i];
  } else {
    const shape = [a.length];
    kernels.binary('add', broadcastLayout(shape, shape, shape), a, b, sum);
  }
  return sum;
}

/**
 * The gradients of x + y and x − y: g itself (or its sum down to x's shape) for x, passed
 * on rather than copied (a ResNet's residual adds copied 2 × 9 MB a step), and for y the
 * same, or a copy where x took g already, or −g.
 */
function sumBackward(op: 'add' | 'sub', g: Float32Array, x: Tensor, y: Tensor | null, outShape: readonly number[],
  layout: BroadcastLayout, kernels: Backend): (Float32Array | null)[] {
  const gradX = x.requiresGrad ? sumToShape(g, outShape, x.shape) : null;
  if (y === null) return [gradX];
  if (!y.requiresGrad) return [gradX, null];
  if (op === 'sub') {
    const gy = allocGradient(g.length);
    if (g.length > 0) kernels.binaryBackward(op, layout, g, x.data, y.data, null, gy);
    return [gradX, sumToShape(gy, outShape, y.shape)];
  }
  let gradY = sumToShape(g, outShape, y.shape);
  if (gradY === g && gradX === g) {
    gradY = allocGradient(g.length);
    gradY.set(g);
  }
  return [gradX, gradY];
}

/** Where an element-wise op writes its result: `out` (PyTorch's out=) instead of fresh storage. */
export interface OutOption {
  out?: Tensor | null;
}

function outOption(fn: string, options: OutOption | undefined): Tensor | null | undefined {
  return checkOptions(fn, options, ['out']).out as Tensor | null | undefined;
}

/** The result: `out` itself where the caller gave one (nothing to record then), else a new tensor. */
function resultTensor(out: Tensor | null | undefined, data: Float32Array, shape: readonly number[]): Tensor {
  return out ?? Tensor._wrap(data, shape);
}

/**
 * x op y, broadcast (`other` a tensor or a number); gradients for tensor operands. With
 * `overwriteX` (addOverwriting) the result takes x's storage.
 */
export function binaryOp(op: BinaryOp, x: Tensor, other: Tensor | number, options?: OutOption, overwriteX = false): Tensor {
  assertTensor(op, 'this', x);
  const scalar = typeof other === 'number';
  if (!scalar && !(other instanceof Tensor)) throw typeError(op, 'other', 'a Tensor or a number', other);
  const y = scalar ? Tensor._wrap(scalarFloats(other), []) : other;
  if (!scalar) assertTensor(op, 'other', y);
  const outShape = sameShape(x.shape, y.shape) ? x.shape : broadcastShapes(op, x.shape, y.shape);
  const size = sizeOf(outShape);
  const layout = broadcastLayout(x.shape, y.shape, outShape);
  const kernels = kernelsFor(true, size, layout.sizes.length);
  if (kernels.name === 'reference') {
    assertAttached(op, 'this', x);
    if (!scalar) assertAttached(op, 'other', y);
  }
  const target = outOption(op, options);
  const out = overwriteX ? x.data : elementwiseOutput(op, target, outShape, [x, y], shouldRecord([x, y]));
  if (size > 0) kernels.binary(op, layout, x.data, y.data, out);
  return record(resultTensor(target, out, outShape), op, scalar ? [x] : [x, y], (g) => {
    if (op === 'add' || op === 'sub') return sumBackward(op, g, x, scalar ? null : y, outShape, layout, kernels);
    const gx = x.requiresGrad ? allocGradient(size) : null;
    const gy = !scalar && y.requiresGrad ? allocGradient(size) : null;
    if (size > 0 && (gx || gy)) kernels.binaryBackward(op, layout, g, x.data, y.data, gx, gy);
    const gradX = gx && sumToShape(gx, outShape, x.shape);
    return scalar ? [gradX] : [gradX, gy && sumToShape(gy, outShape, y.shape)];
  });
}

/**
 * x + y written over x's storage (torchvision's `out += identity`), for the models' own
 * forward (not exported): x a result its caller has just made, that nothing else holds,
 * whose op's backward does not read its output (a BatchNorm's); y of x's shape.
 */
export function addOverwriting(x: Tensor, y: Tensor): Tensor {
  if (!sameShape(x.shape, y.shape)) throw new ShapeError(message('add', 'other.shape', formatShape(x.shape), formatShape(y.shape)));
  return binaryOp('add', x, y, undefined, true);
}

/** condition ≠ 0 ? x : other, all three broadcast (x and other may be numbers); PyTorch's where. */
export function whereOp(condition: Tensor, input: Tensor | number, other: Tensor | number): Tensor {
  const fn = 'where';
  assertTensor(fn, 'condition', condition);
  const operand = (name: string, v: Tensor | number) => {
    if (typeof v === 'number') return Tensor._wrap(scalarFloats(v), []);
    assertTensor(fn, name, v);
    return v;
  };
  const x = operand('input', input), y = operand('other', other);
  const outShape = broadcastShapes(fn, broadcastShapes(fn, condition.shape, x.shape), y.shape);
  const size = sizeOf(outShape);
  const layout = broadcastLayout(x.shape, y.shape, outShape, condition.shape);
  const kernels = kernelsFor(false, size, layout.sizes.length);
  const out = allocResult(size);
  if (size > 0) kernels.where(layout, condition.data, x.data, y.data, out);
  const isTensor = [typeof input !== 'number', typeof other !== 'number'];
  const parents = [x, y].filter((_, k) => isTensor[k]);
  return record(Tensor._wrap(out, outShape), fn, parents, (g) => {
    const gx = isTensor[0] && x.requiresGrad ? allocGradient(size) : null;
    const gy = isTensor[1] && y.requiresGrad ? allocGradient(size) : null;
    if (size > 0 && (gx || gy)) kernels.whereBackward(layout, condition.data, g, gx, gy);
    const grads = [gx && sumToShape(gx, outShape, x.shape), gy && sumToShape(gy, outShape, y.shape)];
    return grads.filter((_, k) => isTensor[k]);
  });
}

/** op(x): `a` is pow's exponent, [a, b] clamp's bounds. */
export function unaryOp(op: UnaryOp, x: Tensor, a = 0, b = 0, options?: OutOption): Tensor {
  assertTensor(op, 'this', x);
  const n = x.size;
  const kernels = kernelsFor(EXACT_UNARY.has(op), n, 1);
  if (kernels.name === 'reference') assertAttached(op, 'this', x);
  const target = outOption(op, options);
  const out = elementwiseOutput(op, target, x.shape, [x], shouldRecord([x]));
  if (n > 0) kernels.unary(op, a, b, x.data, out);
  return record(resultTensor(target, out, x.shape), op, [x], (g) => {
    const gx = allocGradient(n);
    if (n > 0) kernels.unaryBackward(op, a, b, g, x.data, out, gx);
    return [gx];
  });
}

/** clamp's bounds: numbers (not NaN), at least one given, min ≤ max. */
export function clampOp(
  x: Tensor, min: number | null | undefined, max: number | null | undefined, options?: OutOption,
): Tensor {
  const fn = 'clamp';
  const bound = (name: string, v: number | null | undefined, absent: number) => {
    if (v === undefined || v === null) return absent;
    if (typeof v !== 'number') throw typeError(fn, name, 'a number, null or undefined', v);
    if (Number.isNaN(v)) throw rangeError(fn, name, 'a number that is not NaN', v);
    return Math.fround(v);
  };
  const lo = bound('min', min, -Infinity), hi = bound('max', max, Infinity);
  if ((min === undefined || min === null) && (max === undefined || max === null)) {
    throw new ArgumentRangeError(message(fn, 'min and max', 'at least one bound', 'neither'));
  }
  if (lo > hi) throw rangeError(fn, 'min', `at most max (${hi})`, lo);
  return unaryOp('clamp', x, lo, hi, options);
}

// ---- reductions -----------------------------------------------------------------------

export type Dims = number | readonly number[];
export type Reduction = 'sum' | 'mean' | 'amax' | 'amin';

/** The dimensions a reduction names (all where `dim` is undefined), each once, non-negative. */
function reducedDims(fn: string, shape: readonly number[], dim: Dims | undefined): Set<number> {
  const rank = shape.length, span = Math.max(rank, 1);
  if (dim === undefined || dim === null) return new Set(shape.map((_, i) => i));
  const list = typeof dim === 'number' ? [dim] : dim;
  if (!Array.isArray(list)) throw typeError(fn, 'dim', 'an integer or an array of integers', dim);
  const dims = new Set<number>();
  for (const d of list) {
    if (!is.integer(d) || d < -span || d >= span) {
      throw (typeof d === 'number' ? rangeError : typeError)(fn, 'dim', `integers in [${-span}, ${span - 1}]`, d);
    }
    const axis = d < 0 ? d + span : d;
    if (dims.has(axis)) throw rangeError(fn, 'dim', 'each dimension once', dim);
    if (rank > 0) dims.add(axis);
  }
  return dims;
}

function keepdimOption(fn: string, options: unknown): boolean {
  if (options === undefined) return false;
  const { keepdim } = checkOptions(fn, options, ['keepdim']);
  if (keepdim !== undefined && typeof keepdim !== 'boolean') throw typeError(fn, 'options.keepdim', 'a boolean', keepdim);
  return keepdim === true;
}

function reducedShape(shape: readonly number[], dims: ReadonlySet<number>, keepdim: boolean): number[] {
  return keepdim ? shape.map((d, i) => (dims.has(i) ? 1 : d)) : shape.filter((_, i) => !dims.has(i));
}

/** sum, mean, amax or amin over `dim` (one, several, or all when undefined). */
export function reduceOp(fn: Reduction, x: Tensor, dim: Dims | undefined, options: unknown): Tensor {
  assertTensor(fn, 'this', x);
  const dims = reducedDims(fn, x.shape, dim);
  const keepdim = keepdimOption(fn, options);
  const outShape = reducedShape(x.shape, dims, keepdim);
  let count = 1;
  for (const d of dims) count *= x.shape[d];
  const extreme = fn === 'amax' || fn === 'amin';
  if (extreme && count === 0 && sizeOf(outShape) > 0) {
    throw rangeError(fn, 'this', 'a non-empty tensor along the reduced dimensions', `shape [${x.shape.join(', ')}]`);
  }
  const layout = reduceLayout(x.shape, dims);
  const kernels = kernelsFor(false, x.size, layout.sizes.length);
  const scale = fn === 'mean' ? 1 / count : 1;
  const out = allocResult(sizeOf(outShape));
  kernels.reduce(extreme ? (fn === 'amax' ? 'max' : 'min') : 'sum', layout, scale, x.data, out);
  const kept = reducedShape(x.shape, dims, true);
  return record(Tensor._wrap(out, outShape), fn, [x], (g) => {
    const gx = allocGradient(x.size);
    if (x.size === 0) return [gx];
    if (extreme) return [extremeGradient(broadcastLayout(x.shape, kept, x.shape), x.data, out, g, gx)];
    // g (at the kept shape) spread over x's shape: divided by the count for a mean, as PyTorch.
    const spread = broadcastLayout(kept, [], x.shape);
    kernelsFor(true, x.size, spread.sizes.length).binary('div', spread, g, scalarFloats(fn === 'mean' ? count : 1), gx);
    return [gx];
  });
}

/**
 * amax's and amin's gradient, as PyTorch's: g shared evenly by the elements equal to the
 * extreme (x read through `spread`'s x strides, the extreme and g through its y strides).
 */
function extremeGradient(spread: BroadcastLayout, x: Float32Array, extreme: Float32Array, g: Float32Array, gx: Float32Array): Float32Array {
  const ties = new Float64Array(extreme.length);
  // x is contiguous at the layout's shape: its index is the output index.
  forEachElement(spread, (i, _xi, k) => { if (x[i] === extreme[k]) ties[k]++; });
  forEachElement(spread, (i, _xi, k) => { gx[i] = x[i] === extreme[k] ? g[k] / ties[k] : 0; });
  return gx;
}

/** argmax or argmin over one dimension (or the flattened tensor), as float32 indices; the first on ties, NaN counting as the extreme. */
export function argReduceOp(fn: 'argmax' | 'argmin', x: Tensor, dim: number | undefined, options: unknown): Tensor {
  assertTensor(fn, 'this', x);
  if (dim !== undefined && typeof dim !== 'number') throw typeError(fn, 'dim', 'an integer or undefined', dim);
  const dims = reducedDims(fn, x.shape, dim);
  const keepdim = keepdimOption(fn, options);
  const all = dim === undefined;
  const axis = all ? -1 : [...dims][0] ?? 0;
  const length = all ? x.size : x.shape.length === 0 ? 1 : x.shape[axis];
  if (length === 0) throw rangeError(fn, 'this', 'a non-empty tensor along the dimension', `shape [${x.shape.join(', ')}]`);
  const inner = all ? 1 : sizeOf(x.shape.slice(axis + 1));
  const outer = all ? 1 : sizeOf(x.shape.slice(0, axis));
  const outShape = all ? (keepdim ? x.shape.map(() => 1) : []) : reducedShape(x.shape, dims, keepdim);
  const out = allocResult(outer * inner);
  // Exact however computed: small ones in TypeScript.
  kernelsFor(true, x.size, 1).argReduce(fn, { outer, length, inner }, x.data, out);
  return Tensor._wrap(out, outShape);
}
