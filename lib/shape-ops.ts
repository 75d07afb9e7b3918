/**
 * Shape ops with PyTorch's semantics, all differentiable: views that keep the storage
 * (flatten, squeeze, unsqueeze: reshapes) and copies (narrow, cat, stack, split, chunk,
 * permute, transpose; tensors here are contiguous, so what PyTorch returns as a strided
 * view is a copy). Every copy moves whole runs: a dimension d splits a tensor into
 * outer × size(d) × inner, and the runs are size(d)·inner elements (or inner) long.
 */
import { allocGradient, allocResult } from './alloc';
import { record } from './autograd';
import { sizeOf } from './broadcast';
import { ShapeError } from './errors';
import { Tensor, assertTensor } from './tensor';
import { formatShape, is, message, rangeError, typeError } from './validate';

/** `dim` (negative counts from the end) as an axis of a rank-`rank` tensor. */
export function axisOf(fn: string, name: string, dim: unknown, rank: number): number {
  if (!is.integer(dim) || dim < -rank || dim >= rank) {
    throw (typeof dim === 'number' ? rangeError : typeError)(fn, name, `an integer in [${-rank}, ${rank - 1}]`, dim);
  }
  return dim < 0 ? dim + rank : dim;
}

const outerOf = (shape: readonly number[], axis: number) => sizeOf(shape.slice(0, axis));
const innerOf = (shape: readonly number[], axis: number) => sizeOf(shape.slice(axis + 1));

/**
 * Copies `rows` runs of `run` elements: run r of `from` starts at fromStart + r·fromStride,
 * and goes to toStart + r·toStride of `to`.
 */
function copyRuns(from: Float32Array, fromStart: number, fromStride: number, to: Float32Array, toStart: number, toStride: number,
  rows: number, run: number): void {
  for (let r = 0; r < rows; r++) {
    const at = fromStart + r * fromStride;
    to.set(from.subarray(at, at + run), toStart + r * toStride);
  }
}

/** Elements [start, start + length) of dimension `dim` (a copy). */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const fn = 'narrow';
  assertTensor(fn, 'input', x);
  const axis = axisOf(fn, 'dim', dim, Math.max(x.shape.length, 1));
  if (x.shape.length === 0) throw new ShapeError(message(fn, 'input', 'a tensor with at least one dimension', 'a 0-d tensor'));
  const size = x.shape[axis];
  if (!is.integer(start) || start < -size || start > size) throw rangeError(fn, 'start', `an integer in [${-size}, ${size}]`, start);
  const first = start < 0 ? start + size : start;
  if (!is.nonNegativeInteger(length) || first + length > size) {
    throw rangeError(fn, 'length', `an integer in [0, ${size - first}] (dimension ${axis} has ${size})`, length);
  }
  const outer = outerOf(x.shape, axis), inner = innerOf(x.shape, axis);
  const shape = x.shape.map((d, i) => (i === axis ? length : d));
  const out = allocResult(sizeOf(shape));
  copyRuns(x.data, first * inner, size * inner, out, 0, length * inner, outer, length * inner);
  return record(Tensor._wrap(out, shape), fn, [x], (g) => {
    const dx = allocGradient(x.size).fill(0);
    copyRuns(g, 0, length * inner, dx, first * inner, size * inner, outer, length * inner);
    return [dx];
  });
}

function tensorList(fn: string, tensors: unknown): Tensor[] {
  if (!Array.isArray(tensors) || tensors.length === 0) throw typeError(fn, 'tensors', 'a non-empty array of Tensors', tensors);
  tensors.forEach((t, i) => assertTensor(fn, `tensors[${i}]`, t));
  return tensors as Tensor[];
}

/** The tensors joined along `dim`; every other dimension must match. */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  const fn = 'cat';
  const list = tensorList(fn, tensors);
  const first = list[0].shape;
  if (first.length === 0) throw new ShapeError(message(fn, 'tensors[0]', 'a tensor with at least one dimension', 'a 0-d tensor'));
  const axis = axisOf(fn, 'dim', dim, first.length);
  list.forEach((t, i) => {
    if (t.shape.length !== first.length || t.shape.some((d, k) => k !== axis && d !== first[k])) {
      const expected = `[${first.map((d, k) => (k === axis ? '*' : d)).join(', ')}] (tensors[0]'s shape but in dimension ${axis})`;
      throw new ShapeError(message(fn, `tensors[${i}].shape`, expected, formatShape(t.shape)));
    }
  });
  const sizes = list.map((t) => t.shape[axis]);
  const total = sizes.reduce((a, b) => a + b, 0);
  const outer = outerOf(first, axis), inner = innerOf(first, axis);
  const shape = first.map((d, k) => (k === axis ? total : d));
  const out = allocResult(sizeOf(shape));
  let offset = 0;
  for (const t of list) {
    const run = t.shape[axis] * inner;
    copyRuns(t.data, 0, run, out, offset, total * inner, outer, run);
    offset += run;
  }
  return record(Tensor._wrap(out, shape), fn, list, (g) => {
    let at = 0;
    return list.map((t) => {
      const run = t.shape[axis] * inner;
      const start = at;
      at += run;
      if (!t.requiresGrad) return null;
      const dx = allocGradient(t.size);
      copyRuns(g, start, total * inner, dx, 0, run, outer, run);
      return dx;
    });
  });
}

/** The tensors (all of one shape) stacked along a new dimension `dim`. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  const fn = 'stack';
  const list = tensorList(fn, tensors);
  const axis = axisOf(fn, 'dim', dim, list[0].shape.length + 1);
  list.forEach((t, i) => {
    if (t.shape.length !== list[0].shape.length || t.shape.some((d, k) => d !== list[0].shape[k])) {
      throw new ShapeError(message(fn, `tensors[${i}].shape`, `${formatShape(list[0].shape)} (as tensors[0])`, formatShape(t.shape)));
    }
  });
  return cat(list.map((t) => unsqueeze(t, axis)), axis);
}

/**
 * Pieces along `dim`: of `splitSize` elements each (the last may be smaller), or of the
 * listed sizes (which must add up to the dimension).
 */
export function split(x: Tensor, splitSize: number | readonly number[], dim = 0): Tensor[] {
  const fn = 'split';
  assertTensor(fn, 'input', x);
  const axis = axisOf(fn, 'dim', dim, x.shape.length);
  const size = x.shape[axis];
  let sizes: number[];
  if (typeof splitSize === 'number') {
    if (!is.positiveInteger(splitSize)) throw rangeError(fn, 'splitSize', 'a positive integer', splitSize);
    sizes = [];
    for (let at = 0; at < size; at += splitSize) sizes.push(Math.min(splitSize, size - at));
    if (size === 0) sizes.push(0);
  } else {
    if (!Array.isArray(splitSize) || !splitSize.every(is.nonNegativeInteger)) {
      throw typeError(fn, 'splitSize', 'a positive integer or an array of non-negative integers', splitSize);
    }
    if (splitSize.reduce((a, b) => a + b, 0) !== size) {
      throw new ShapeError(message(fn, 'splitSize', `sizes adding up to ${size} (dimension ${axis})`, formatShape(splitSize)));
    }
    sizes = splitSize.slice();
  }
  let at = 0;
  return sizes.map((n) => {
    const piece = narrow(x, axis, at, n);
    at += n;
    return piece;
  });
}

/** `chunks` pieces along `dim` (PyTorch's rule: ⌈size / chunks⌉ each, so there may be fewer). */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  const fn = 'chunk';
  assertTensor(fn, 'input', x);
  if (!is.positiveInteger(chunks)) throw rangeError(fn, 'chunks', 'a positive integer', chunks);
  const axis = axisOf(fn, 'dim', dim, x.shape.length);
  return split(x, Math.max(1, Math.ceil(x.shape[axis] / chunks)), axis);
}

/** The dimensions reordered: output dimension i is input dimension dims[i] (a copy). */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  const fn = 'permute';
  assertTensor(fn, 'input', x);
  const rank = x.shape.length;
  if (!Array.isArray(dims) || dims.length !== rank) {
    throw typeError(fn, 'dims', `an array of ${rank} dimensions (a permutation of 0..${rank - 1})`, dims);
  }
  const order = dims.map((d, i) => axisOf(fn, `dims[${i}]`, d, rank));
  if (new Set(order).size !== rank) throw rangeError(fn, 'dims', `a permutation of 0..${rank - 1}`, dims);
  const shape = order.map((a) => x.shape[a]);
  const out = allocResult(x.size);
  permuteInto(x.data, x.shape, order, out);
  const inverse = new Array<number>(rank);
  order.forEach((a, i) => { inverse[a] = i; });
  return record(Tensor._wrap(out, shape), fn, [x], (g) => {
    const dx = allocGradient(x.size);
    permuteInto(g, shape, inverse, dx);
    return [dx];
  });
}

/** out (contiguous, shape[order[i]] along i) = x (contiguous, `shape`) permuted. */
function permuteInto(x: Float32Array, shape: readonly number[], order: readonly number[], out: Float32Array): void {
  const rank = shape.length;
  if (x.length === 0) return;
  const inStrides = new Array<number>(rank);
  for (let i = rank - 1, s = 1; i >= 0; s *= shape[i], i--) inStrides[i] = s;
  const outShape = order.map((a) => shape[a]);
  const strides = order.map((a) => inStrides[a]); // the input stride of each output dimension
  if (rank === 0) {
    out[0] = x[0];
    return;
  }
  const last = rank - 1, n = outShape[last], step = strides[last];
  const index = new Array<number>(rank).fill(0);
  let from = 0;
  for (let o = 0; o < out.length; o += n) {
    if (step === 1) out.set(x.subarray(from, from + n), o);
    else for (let k = 0; k < n; k++) out[o + k] = x[from + k * step];
    for (let d = last - 1; d >= 0; d--) {
      from += strides[d];
      if (++index[d] < outShape[d]) break;
      from -= strides[d] * outShape[d];
      index[d] = 0;
    }
  }
}

/** Dimensions dim0 and dim1 swapped (a copy). */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const fn = 'transpose';
  assertTensor(fn, 'input', x);
  const rank = x.shape.length;
  const a = axisOf(fn, 'dim0', dim0, rank), b = axisOf(fn, 'dim1', dim1, rank);
  const order = x.shape.map((_, i) => (i === a ? b : i === b ? a : i));
  return permute(x, order);
}

/** Dimensions startDim..endDim merged into one (a view; torch.flatten's defaults: all). */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  const fn = 'flatten';
  assertTensor(fn, 'input', x);
  const rank = Math.max(x.shape.length, 1);
  const start = axisOf(fn, 'startDim', startDim, rank), end = axisOf(fn, 'endDim', endDim, rank);
  if (start > end) throw rangeError(fn, 'endDim', `a dimension at or after startDim (${start})`, endDim);
  if (x.shape.length === 0) return x.reshape([1]);
  return x.reshape([...x.shape.slice(0, start), sizeOf(x.shape.slice(start, end + 1)), ...x.shape.slice(end + 1)]);
}

/** A size-1 dimension inserted at `dim` (a view). */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  const fn = 'unsqueeze';
  assertTensor(fn, 'input', x);
  const axis = axisOf(fn, 'dim', dim, x.shape.length + 1);
  return x.reshape([...x.shape.slice(0, axis), 1, ...x.shape.slice(axis)]);
}

/** Size-1 dimensions removed: all of them, or those of `dim` (others are left as they are, as PyTorch). */
export function squeeze(x: Tensor, dim?: number | readonly number[]): Tensor {
  const fn = 'squeeze';
  assertTensor(fn, 'input', x);
  const rank = x.shape.length;
  const list = dim === undefined ? null : typeof dim === 'number' ? [dim] : dim;
  if (list !== null && !Array.isArray(list)) throw typeError(fn, 'dim', 'an integer or an array of integers', dim);
  const dims = list === null ? null : new Set(list.map((d, i) => axisOf(fn, `dim[${i}]`, d, Math.max(rank, 1))));
  return x.reshape(x.shape.filter((d, i) => d !== 1 || (dims !== null && !dims.has(i))));
}
