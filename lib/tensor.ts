/**
 * Tensor: float32, contiguous, row-major, with reverse-mode autograd. `data` is the
 * storage itself (never copied on construction from a Float32Array), and `reshape`
 * and `detach` return views of it.
 */
import { allocGradient, allocStorage, isPooledGradient, releaseGradient, scalarFloats } from './alloc';
import { type GradNode, record, runBackward } from './autograd';
import { sameShape, sizeOf } from './broadcast';
import { AutogradError, ShapeError } from './errors';
import { inferShape, flatten, unflatten, type NestedArray } from './nested';
import { type Dims, type OutOption, argReduceOp, binaryOp, clampOp, reduceOp, unaryOp, whereOp } from './tensor-ops';
import { randomFor } from './random';
import { chunk, flatten as flattenDims, narrow, permute, split, squeeze, transpose, unsqueeze } from './shape-ops';
import { MAX_ELEMENTS, formatShape, is, message, rangeError, typeError, checkOptions } from './validate';

export type Shape = readonly number[];

export interface TensorOptions {
  /** Record operations on this tensor so that `backward()` can compute its gradient. */
  requiresGrad?: boolean;
}

export interface RandomOptions extends TensorOptions {
  /** Seed for a reproducible result; without it the global generator (see `manualSeed`) is used. */
  seed?: number;
}

const TENSOR_OPTIONS = ['requiresGrad'] as const;
const RANDOM_OPTIONS = ['requiresGrad', 'seed'] as const;

function checkShape(fn: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) throw typeError(fn, 'shape', 'an array of non-negative integers', shape);
  if (!shape.every(is.nonNegativeInteger)) {
    throw rangeError(fn, 'shape', 'an array of non-negative integers', shape);
  }
  const size = sizeOf(shape);
  if (size > MAX_ELEMENTS) {
    throw rangeError(fn, 'the size of shape', `at most ${MAX_ELEMENTS} elements`, size);
  }
  return shape.slice();
}

function readTensorOptions(fn: string, options: unknown, known: readonly string[]) {
  const o = checkOptions(fn, options, known);
  if (o.requiresGrad !== undefined && typeof o.requiresGrad !== 'boolean') {
    throw typeError(fn, 'options.requiresGrad', 'a boolean', o.requiresGrad);
  }
  if (o.seed !== undefined && !is.nonNegativeInteger(o.seed)) {
    throw (typeof o.seed === 'number' ? rangeError : typeError)(
      fn, 'options.seed', 'a non-negative integer', o.seed);
  }
  return { requiresGrad: o.requiresGrad === true, seed: o.seed as number | undefined };
}

type Operand = Tensor | number;

/** Passed as `options` by _wrap: the caller guarantees data and shape agree. */
const TRUSTED: unique symbol = Symbol('trusted');

export class Tensor {
  /** The elements, row-major. Writing to it changes the tensor (and its views). */
  readonly data: Float32Array;
  readonly shape: Shape;
  /** Whether operations on this tensor are recorded for `backward()`. */
  requiresGrad: boolean;
  // The gradient, private so that only the getter hands it out; recyclable: its storage
  // came from the gradient pool and the getter has not handed it out since, so nothing
  // outside the library can reach it and the setter (zeroGrad) may give the storage back.
  #grad: Tensor | null = null;
  #gradRecyclable = false;
  /** @internal The op that produced this tensor, when it was recorded. */
  _node: GradNode | null = null;
  /** @internal Gradient waiting to be propagated during backward(). */
  _pendingGrad: Float32Array | null = null;
  /** @internal Visit mark of the last backward() pass that reached this tensor. */
  _mark = 0;

  /**
   * Wraps `data` (a Float32Array is used as storage, without copying; a plain array of
   * numbers is copied) as a tensor of `shape` (default: 1-D).
   */
  constructor(data: Float32Array | readonly number[], shape?: Shape, options?: TensorOptions) {
    if ((options as unknown) === TRUSTED) {
      // Internal results: a fresh shape array, or another tensor's (frozen, so it can be
      // shared). Every shape is frozen, so code reading shapes sees one kind of array.
      this.data = data as Float32Array;
      this.shape = Object.isFrozen(shape) ? (shape as Shape) : Object.freeze(shape as number[]);
      this.requiresGrad = false;
      return;
    }
    const fn = 'Tensor';
    let storage: Float32Array;
    if (data instanceof Float32Array) storage = data;
    else if (Array.isArray(data) && data.every((v) => typeof v === 'number')) {
      storage = Float32Array.from(data);
    } else {
      throw typeError(fn, 'data', 'a Float32Array or an array of numbers (convert other data with Float32Array.from)', data);
    }
    const resolved = shape === undefined ? [storage.length] : checkShape(fn, shape);
    if (sizeOf(resolved) !== storage.length) {
      throw new ShapeError(
        message(fn, 'data.length', `${sizeOf(resolved)} (the product of shape ${formatShape(resolved)})`,
          String(storage.length)),
      );
    }
    this.data = storage;
    this.shape = Object.freeze(resolved);
    this.requiresGrad = readTensorOptions(fn, options, TENSOR_OPTIONS).requiresGrad;
  }

  /** @internal A tensor over `data` with `shape` (a fresh array), skipping validation. */
  static _wrap(data: Float32Array, shape: Shape): Tensor {
    return new Tensor(data, shape, TRUSTED as unknown as TensorOptions);
  }

  // ---- factories -------------------------------------------------------------------

  static zeros(shape: Shape, options?: TensorOptions): Tensor {
    return Tensor.full(shape, 0, options);
  }

  static ones(shape: Shape, options?: TensorOptions): Tensor {
    return Tensor.full(shape, 1, options);
  }

  static full(shape: Shape, value: number, options?: TensorOptions): Tensor {
    const fn = 'Tensor.full';
    const dims = checkShape(fn, shape);
    if (typeof value !== 'number') throw typeError(fn, 'value', 'a number', value);
    const t = new Tensor(allocStorage(sizeOf(dims)).fill(value), dims);
    t.requiresGrad = readTensorOptions(fn, options, TENSOR_OPTIONS).requiresGrad;
    return t;
  }

  /** Uniform in [0, 1). */
  static rand(shape: Shape, options?: RandomOptions): Tensor {
    return Tensor.random('Tensor.rand', shape, options, (r) => r.uniform());
  }

  /** Standard normal. */
  static randn(shape: Shape, options?: RandomOptions): Tensor {
    return Tensor.random('Tensor.randn', shape, options, (r) => r.normal());
  }

  private static random(
    fn: string,
    shape: Shape,
    options: RandomOptions | undefined,
    sample: (r: ReturnType<typeof randomFor>) => number,
  ): Tensor {
    const dims = checkShape(fn, shape);
    const { requiresGrad, seed } = readTensorOptions(fn, options, RANDOM_OPTIONS);
    const random = randomFor(seed);
    const data = allocStorage(sizeOf(dims));
    for (let i = 0; i < data.length; i++) data[i] = sample(random);
    return new Tensor(data, dims, { requiresGrad });
  }

  /** From a (nested) array of numbers; the shape is the nesting. */
  static fromArray(values: NestedArray, options?: TensorOptions): Tensor {
    const fn = 'Tensor.fromArray';
    const shape = inferShape(fn, values);
    const data = allocStorage(sizeOf(shape));
    flatten(values, data);
    return new Tensor(data, shape, options);
  }

  // ---- properties and views -------------------------------------------------------

  get size(): number {
    return this.data.length;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** Same storage, another shape; one dimension may be -1 (inferred). */
  reshape(shape: Shape): Tensor {
    const fn = 'reshape';
    if (!Array.isArray(shape) || !shape.every((d) => is.integer(d) && d >= -1)) {
      throw typeError(fn, 'shape', 'an array of non-negative integers (and at most one -1)', shape);
    }
    const inferred = shape.indexOf(-1);
    const dims = shape.slice();
    if (inferred !== -1) {
      const known = sizeOf(dims.filter((_, i) => i !== inferred));
      if (dims.indexOf(-1, inferred + 1) !== -1 || known === 0 || this.size % known !== 0) {
        throw new ShapeError(message(fn, 'shape', `compatible with ${this.size} elements`, formatShape(shape)));
      }
      dims[inferred] = this.size / known;
    }
    if (sizeOf(dims) !== this.size) {
      throw new ShapeError(
        message(fn, 'shape', `a shape of ${this.size} elements (the tensor has shape ${formatShape(this.shape)})`,
          `${formatShape(dims)} with ${sizeOf(dims)} elements`),
      );
    }
    const view = Tensor._wrap(this.data, dims);
    return record(view, 'reshape', [this], (g) => [g]);
  }

  /** reshape (the storage is always contiguous, so every view is a reshape). */
  view(shape: Shape): Tensor {
    return this.reshape(shape);
  }

  // ---- shape ops (lib/shape-ops.ts) ------------------------------------------------------

  /** Dimensions reordered: output dimension i is this tensor's dims[i] (a copy). */
  permute(...dims: number[] | [readonly number[]]): Tensor {
    return permute(this, (Array.isArray(dims[0]) ? dims[0] : dims) as number[]);
  }

  /** Dimensions dim0 and dim1 swapped (a copy). */
  transpose(dim0: number, dim1: number): Tensor {
    return transpose(this, dim0, dim1);
  }

  /** Elements [start, start + length) of dimension dim (a copy). */
  narrow(dim: number, start: number, length: number): Tensor {
    return narrow(this, dim, start, length);
  }

  /** Pieces along dim of splitSize each, or of the listed sizes. */
  split(splitSize: number | readonly number[], dim = 0): Tensor[] {
    return split(this, splitSize, dim);
  }

  /** `chunks` pieces along dim. */
  chunk(chunks: number, dim = 0): Tensor[] {
    return chunk(this, chunks, dim);
  }

  /** Dimensions startDim..endDim merged (default: all). */
  flatten(startDim = 0, endDim = -1): Tensor {
    return flattenDims(this, startDim, endDim);
  }

  /** Size-1 dimensions removed (all, or those of dim). */
  squeeze(dim?: number | readonly number[]): Tensor {
    return squeeze(this, dim);
  }

  /** A size-1 dimension inserted at dim. */
  unsqueeze(dim: number): Tensor {
    return unsqueeze(this, dim);
  }

  /** A copy of the data; gradients flow back to this tensor. */
  clone(): Tensor {
    return record(Tensor._wrap(this.data.slice(), this.shape), 'clone', [this], (g) => [g]);
  }

  /** Same storage, cut from the graph: no gradient flows through it. */
  detach(): Tensor {
    return Tensor._wrap(this.data, this.shape);
  }

  toArray(): NestedArray {
    return unflatten(this.data, this.shape);
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) {
      throw new ShapeError(message('item', 'the tensor', 'a one-element tensor', `shape ${formatShape(this.shape)}`));
    }
    return this.data[0];
  }

  toString(): string {
    return `Tensor(${JSON.stringify(this.toArray())}, shape=${formatShape(this.shape)})`;
  }

  // ---- element-wise ops (lib/tensor-ops.ts) -------------------------------------------
  // Each takes { out }: the result written into that tensor (of the result's shape, apart
  // from the inputs' memory) and the tensor returned, as PyTorch's out= (not while
  // autograd records the op).

  /** this + other, broadcast (other a tensor or a number). */
  add(other: Operand, options?: OutOption): Tensor {
    return binaryOp('add', this, other, options);
  }

  sub(other: Operand, options?: OutOption): Tensor {
    return binaryOp('sub', this, other, options);
  }

  mul(other: Operand, options?: OutOption): Tensor {
    return binaryOp('mul', this, other, options);
  }

  div(other: Operand, options?: OutOption): Tensor {
    return binaryOp('div', this, other, options);
  }

  /** The larger of each pair, broadcast; NaN where either is NaN (PyTorch's maximum). */
  maximum(other: Operand, options?: OutOption): Tensor {
    return binaryOp('maximum', this, other, options);
  }

  /** The smaller of each pair, broadcast; NaN where either is NaN. */
  minimum(other: Operand, options?: OutOption): Tensor {
    return binaryOp('minimum', this, other, options);
  }

  /** condition ≠ 0 ? this : other, broadcast (PyTorch's x.where(condition, y)). */
  where(condition: Tensor, other: Operand): Tensor {
    return whereOp(condition, this, other);
  }

  neg(options?: OutOption): Tensor {
    return unaryOp('neg', this, 0, 0, options);
  }

  square(options?: OutOption): Tensor {
    return unaryOp('square', this, 0, 0, options);
  }

  pow(exponent: number, options?: OutOption): Tensor {
    if (typeof exponent !== 'number') throw typeError('pow', 'exponent', 'a number', exponent);
    return unaryOp('pow', this, exponent, 0, options);
  }

  exp(options?: OutOption): Tensor {
    return unaryOp('exp', this, 0, 0, options);
  }

  log(options?: OutOption): Tensor {
    return unaryOp('log', this, 0, 0, options);
  }

  sqrt(options?: OutOption): Tensor {
    return unaryOp('sqrt', this, 0, 0, options);
  }

  /** 1 / sqrt(x). */
  rsqrt(options?: OutOption): Tensor {
    return unaryOp('rsqrt', this, 0, 0, options);
  }

  abs(options?: OutOption): Tensor {
    return unaryOp('abs', this, 0, 0, options);
  }

  /** Each element limited to [min, max] (either bound may be null); NaN stays NaN. */
  clamp(min?: number | null, max?: number | null, options?: OutOption): Tensor {
    return clampOp(this, min, max, options);
  }

  // ---- reductions (lib/tensor-ops.ts) --------------------------------------------------

  /** Sum of all elements (a 0-d tensor), or over `dim`: one dimension or several (negative counts from the end). */
  sum(dim?: Dims, options?: { keepdim?: boolean }): Tensor {
    return reduceOp('sum', this, dim, options);
  }

  /** Mean of all elements, or over `dim`. */
  mean(dim?: Dims, options?: { keepdim?: boolean }): Tensor {
    return reduceOp('mean', this, dim, options);
  }

  /** Largest element, or the largest over `dim`; NaN if any is NaN. The gradient is shared by ties. */
  amax(dim?: Dims, options?: { keepdim?: boolean }): Tensor {
    return reduceOp('amax', this, dim, options);
  }

  /** Smallest element, or the smallest over `dim`. */
  amin(dim?: Dims, options?: { keepdim?: boolean }): Tensor {
    return reduceOp('amin', this, dim, options);
  }

  /** Index of the largest element (of the flattened tensor, or along `dim`), as float32; no gradient. */
  argmax(dim?: number, options?: { keepdim?: boolean }): Tensor {
    return argReduceOp('argmax', this, dim, options);
  }

  /** Index of the smallest element (of the flattened tensor, or along `dim`). */
  argmin(dim?: number, options?: { keepdim?: boolean }): Tensor {
    return argReduceOp('argmin', this, dim, options);
  }

  // ---- autograd ----------------------------------------------------------------------

  /**
   * Computes the gradient of this tensor with respect to every leaf that requires grad,
   * adding it to their `grad`. Without `grad`, only a one-element tensor (a loss) may
   * call it, as in PyTorch.
   */
  backward(grad?: Tensor): void {
    const fn = 'backward';
    if (!this.requiresGrad) {
      throw new AutogradError(
        message(fn, 'the tensor', 'a tensor that requires grad (computed from one with requiresGrad: true)',
          'requiresGrad = false'),
      );
    }
    let seed: Float32Array;
    if (grad === undefined) {
      if (this.size !== 1) {
        throw new AutogradError(
          message(fn, 'grad', `given for a tensor of shape ${formatShape(this.shape)} (only one-element tensors have an implicit gradient of 1)`,
            'undefined'),
        );
      }
      seed = scalarFloats(1);
    } else {
      assertTensor(fn, 'grad', grad);
      if (!sameShape(grad.shape, this.shape)) {
        throw new ShapeError(message(fn, 'grad.shape', formatShape(this.shape), formatShape(grad.shape)));
      }
      seed = grad.data;
    }
    runBackward(this, seed);
  }

  /** The accumulated gradient after `backward()`, on leaf tensors that require grad. */
  get grad(): Tensor | null {
    this.#gradRecyclable = false; // handed out: from now on only the garbage collector frees it
    return this.#grad;
  }

  /**
   * Replaces the gradient (`p.grad = null` forgets it, as zeroGrad does). A gradient that
   * backward() made and no one has read through `.grad` gives its storage back to the
   * gradient pool: the next backward() reuses it instead of allocating.
   */
  set grad(value: Tensor | null) {
    if (this.#gradRecyclable && this.#grad !== null && this.#grad !== value) releaseGradient(this.#grad.data);
    this.#grad = value;
    this.#gradRecyclable = false;
  }

  /** @internal The gradient's elements for the library's own use (optimisers), without handing the gradient out. */
  _gradData(): Float32Array | null {
    return this.#grad === null ? null : this.#grad.data;
  }

  /**
   * @internal Adds g, a gradient backward() has consumed, into `grad`. The first becomes
   * `grad`: kept as it is when it is the gradient pool's (the caller then must not release
   * it), else copied. Returns whether g was kept.
   */
  _accumulateGrad(g: Float32Array): boolean {
    if (this.#grad === null) {
      const kept = isPooledGradient(g);
      let storage = g;
      if (!kept) {
        storage = allocGradient(g.length); // every element written by set()
        storage.set(g);
      }
      this.#grad = Tensor._wrap(storage, this.shape);
      this.#gradRecyclable = true;
      return kept;
    }
    const acc = this.#grad.data;
    for (let i = 0; i < acc.length; i++) acc[i] += g[i];
    return false;
  }
}

/**
 * `value` as a Tensor whose storage still holds all its elements: a tensor whose buffer
 * was detached (transferred) or shrunk since it was made is refused, never read.
 */
export function assertTensor(fn: string, name: string, value: unknown): asserts value is Tensor {
  if (!(value instanceof Tensor)) throw typeError(fn, name, 'a Tensor', value);
  const data = value.data, size = sizeOf(value.shape);
  // The view's length (reading .buffer would move a small array's storage off V8's heap
  // on every call). V8's optimised code has been seen to report a stale length for a
  // view whose buffer was just detached: the C++ re-check then refuses the call, and
  // backend.ts renames its error to ArgumentRangeError.
  if (data.length !== size) {
    throw new ShapeError(message(fn, `${name}.data`, `${size} elements (shape ${formatShape(value.shape)})`,
      `${data.length} elements: its buffer was detached or resized`));
  }
}

/** assertTensor, returning the tensor. */
export function expectTensor(fn: string, name: string, value: unknown): Tensor {
  assertTensor(fn, name, value);
  return value;
}
