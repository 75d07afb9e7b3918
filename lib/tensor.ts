/**
 * Tensor: float32, contiguous, row-major, with reverse-mode autograd. `data` is the
 * storage itself (never copied on construction from a Float32Array), and `reshape`
 * and `detach` return views of it.
 */
import { allocFloats, allocGradient } from './alloc';
import { type GradNode, record, runBackward } from './autograd';
import { broadcastShapes, sameShape, sizeOf, sumToShape, broadcastIndex } from './broadcast';
import { AutogradError, ShapeError } from './errors';
import { type BinaryOp, type UnaryOp, binaryForward, binaryGradX, binaryGradY, unaryForward, unaryGrad } from './elementwise';
import { inferShape, flatten, unflatten, type NestedArray } from './nested';
import { randomFor } from './random';
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
  /** The accumulated gradient after `backward()`, on leaf tensors that require grad. */
  grad: Tensor | null = null;
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
    const t = new Tensor(new Float32Array(sizeOf(dims)).fill(value), dims);
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
    const data = new Float32Array(sizeOf(dims));
    for (let i = 0; i < data.length; i++) data[i] = sample(random);
    return new Tensor(data, dims, { requiresGrad });
  }

  /** From a (nested) array of numbers; the shape is the nesting. */
  static fromArray(values: NestedArray, options?: TensorOptions): Tensor {
    const fn = 'Tensor.fromArray';
    const shape = inferShape(fn, values);
    const data = new Float32Array(sizeOf(shape));
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

  // ---- element-wise ops ------------------------------------------------------------

  add(other: Operand): Tensor {
    return this.binary('add', other);
  }

  sub(other: Operand): Tensor {
    return this.binary('sub', other);
  }

  mul(other: Operand): Tensor {
    return this.binary('mul', other);
  }

  div(other: Operand): Tensor {
    return this.binary('div', other);
  }

  neg(): Tensor {
    return this.unary('neg');
  }

  square(): Tensor {
    return this.unary('square');
  }

  pow(exponent: number): Tensor {
    if (typeof exponent !== 'number') throw typeError('pow', 'exponent', 'a number', exponent);
    return this.unary('pow', exponent);
  }

  private unary(op: UnaryOp, exponent = 0): Tensor {
    assertTensor(op, 'this', this);
    const x = this.data;
    const out = allocFloats(x.length);
    unaryForward(op, x, out, exponent);
    return record(Tensor._wrap(out, this.shape), op, [this], (g) => {
      const gx = allocGradient(x.length);
      unaryGrad(op, g, x, gx, exponent);
      return [gx];
    });
  }

  private binary(op: BinaryOp, other: Operand): Tensor {
    assertTensor(op, 'this', this);
    if (typeof other === 'number') {
      // A scalar operand: no broadcast bookkeeping, no gradient for it.
      const x = this.data, y = Math.fround(other);
      const out = allocFloats(x.length);
      binaryForward(op, x, y, out);
      return record(Tensor._wrap(out, this.shape), op, [this], (g) => {
        const gx = allocGradient(g.length);
        binaryGradX(op, g, y, gx);
        return [gx];
      });
    }
    const b = other;
    if (!(b instanceof Tensor)) throw typeError(op, 'other', 'a Tensor or a number', other);
    assertTensor(op, 'other', b);
    const outShape = sameShape(this.shape, b.shape) ? this.shape : broadcastShapes(op, this.shape, b.shape);
    const x = expand(this, outShape);
    const y = expand(b, outShape);
    const out = allocFloats(x.length);
    binaryForward(op, x, y, out);
    return record(Tensor._wrap(out, outShape), op, [this, b], (g) => {
      // Only the gradients some parent wants (a target tensor wants none).
      let gx: Float32Array | null = null, gy: Float32Array | null = null;
      if (this.requiresGrad) {
        gx = allocGradient(g.length);
        binaryGradX(op, g, y, gx);
      }
      if (b.requiresGrad) {
        gy = allocGradient(g.length);
        binaryGradY(op, g, x, y, gy);
      }
      return [gx && sumToShape(gx, outShape, this.shape), gy && sumToShape(gy, outShape, b.shape)];
    });
  }

  // ---- reductions ------------------------------------------------------------------

  /** Sum of all elements (a 0-d tensor), or over `dim` (negative counts from the end). */
  sum(dim?: number, options?: { keepdim?: boolean }): Tensor {
    return this.reduce('sum', dim, options, false);
  }

  /** Mean of all elements, or over `dim`. */
  mean(dim?: number, options?: { keepdim?: boolean }): Tensor {
    return this.reduce('mean', dim, options, true);
  }

  private reduce(fn: string, dim: number | undefined, options: unknown, average: boolean): Tensor {
    const { keepdim } = options === undefined ? { keepdim: undefined } : checkOptions(fn, options, ['keepdim']);
    if (keepdim !== undefined && typeof keepdim !== 'boolean') {
      throw typeError(fn, 'options.keepdim', 'a boolean', keepdim);
    }
    const rank = this.shape.length;
    let axis = -1;
    if (dim !== undefined) {
      if (!is.integer(dim) || dim < -Math.max(rank, 1) || dim >= Math.max(rank, 1)) {
        throw (typeof dim === 'number' ? rangeError : typeError)(
          fn, 'dim', `an integer in [${-Math.max(rank, 1)}, ${Math.max(rank, 1) - 1}]`, dim);
      }
      axis = dim < 0 ? dim + rank : dim;
    }
    // View the tensor as (outer, length, inner) with `length` the reduced extent.
    const length = axis === -1 ? this.size : rank === 0 ? 1 : this.shape[axis];
    const inner = axis === -1 ? 1 : sizeOf(this.shape.slice(axis + 1));
    const outer = this.size / Math.max(1, length * inner);
    const outShape =
      axis === -1 ? [] : keepdim ? this.shape.map((d, i) => (i === axis ? 1 : d)) : this.shape.filter((_, i) => i !== axis);
    const scale = average ? 1 / length : 1;
    const x = this.data;
    const out = allocFloats(outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        let acc = 0;
        for (let k = 0; k < length; k++) acc += x[(o * length + k) * inner + i];
        out[o * inner + i] = acc * scale;
      }
    }
    return record(Tensor._wrap(out, outShape), fn, [this], (g) => {
      const gx = allocGradient(x.length);
      for (let o = 0; o < outer; o++) {
        for (let k = 0; k < length; k++) {
          for (let i = 0; i < inner; i++) gx[(o * length + k) * inner + i] = g[o * inner + i] * scale;
        }
      }
      return [gx];
    });
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
      seed = Float32Array.of(1);
    } else {
      assertTensor(fn, 'grad', grad);
      if (!sameShape(grad.shape, this.shape)) {
        throw new ShapeError(message(fn, 'grad.shape', formatShape(this.shape), formatShape(grad.shape)));
      }
      seed = grad.data;
    }
    runBackward(this, seed);
  }

  /** @internal Adds a gradient into `grad` (allocating it on first use). */
  _accumulateGrad(g: Float32Array): void {
    if (this.grad === null) {
      const copy = allocFloats(g.length);
      copy.set(g);
      this.grad = Tensor._wrap(copy, this.shape);
      return;
    }
    const acc = this.grad.data;
    for (let i = 0; i < acc.length; i++) acc[i] += g[i];
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

/** The data of `t` broadcast to `shape` (the data itself when no broadcast is needed). */
function expand(t: Tensor, shape: readonly number[]): Float32Array {
  if (sameShape(t.shape, shape)) return t.data;
  const index = broadcastIndex(t.shape, shape);
  const out = allocFloats(index.length);
  for (let i = 0; i < out.length; i++) out[i] = t.data[index[i]];
  return out;
}
