/**
 * 2-D max and average pooling with PyTorch's options (kernelSize, stride defaulting to
 * the kernel, padding up to half the kernel, ceilMode; countIncludePad for average) on
 * (N, C, H, W) or unbatched (C, H, W) inputs. Validation lives here; the kernels come
 * from the active backend.
 */
import { allocGradient, allocResult } from '../alloc';
import { record } from '../autograd';
import { backend } from '../backend';
import { ShapeError } from '../errors';
import type { PoolGeometry } from '../reference/pool2d';
import { Tensor, assertTensor } from '../tensor';
import { booleanOption, checkOptions, formatShape, is, message } from '../validate';
import { intTuple } from './conv-options';

export interface Pool2dOptions {
  /** Default: kernelSize. */
  stride?: number | readonly [number, number];
  /** Implicit padding on each side, at most half the kernel (default 0). */
  padding?: number | readonly [number, number];
  /** Round the output size up instead of down (default false). */
  ceilMode?: boolean;
}

export interface AvgPool2dOptions extends Pool2dOptions {
  /** Count the zero padding in each window's divisor (default true, as PyTorch). */
  countIncludePad?: boolean;
}

const POOL_OPTIONS = ['stride', 'padding', 'ceilMode'] as const;
const AVG_OPTIONS = [...POOL_OPTIONS, 'countIncludePad'] as const;

interface PoolPlan {
  geometry: PoolGeometry;
  outputShape: readonly number[];
}

/** PyTorch's output size: floor or ceil, the last window starting inside input + left padding. */
function outputSize(size: number, kernel: number, stride: number, pad: number, ceil: boolean): number {
  const span = size + 2 * pad - kernel;
  let out = (ceil ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  if (ceil && (out - 1) * stride >= size + pad) out--;
  return out;
}

interface NormalizedPool {
  kernel: number[];
  stride: number[];
  padding: number[];
  ceilMode: boolean;
  countIncludePad: boolean;
}

/** Checks kernelSize and the options (no input needed: layers call it when built). */
export function normalizePoolOptions(fn: string, kernelSize: unknown, options: unknown, average: boolean): NormalizedPool {
  const o = checkOptions(fn, options, average ? AVG_OPTIONS : POOL_OPTIONS);
  const kernel = intTuple(fn, 'kernelSize', kernelSize, 2, is.positiveInteger, 'a positive integer');
  const stride = o.stride === undefined ? kernel : intTuple(fn, 'options.stride', o.stride, 2, is.positiveInteger, 'a positive integer');
  const padding = intTuple(fn, 'options.padding', o.padding ?? 0, 2, is.nonNegativeInteger, 'a non-negative integer');
  if (padding.some((p, i) => 2 * p > kernel[i])) {
    throw new ShapeError(message(fn, 'options.padding', `at most half of kernelSize [${kernel}]`, `[${padding}]`));
  }
  return {
    kernel, stride, padding,
    ceilMode: booleanOption(fn, 'options.ceilMode', o.ceilMode, false),
    countIncludePad: booleanOption(fn, 'options.countIncludePad', o.countIncludePad, true),
  };
}

function planPool(fn: string, input: unknown, kernelSize: unknown, options: unknown, average: boolean): PoolPlan {
  assertTensor(fn, 'input', input);
  const rank = input.shape.length;
  if (rank !== 3 && rank !== 4) {
    throw new ShapeError(message(fn, 'input.shape', '4-D (N, C, H, W) or 3-D (C, H, W)', formatShape(input.shape)));
  }
  const { kernel, stride, padding, ceilMode, countIncludePad } = normalizePoolOptions(fn, kernelSize, options, average);
  const [H, W] = input.shape.slice(-2);
  if (H < 1 || W < 1) throw new ShapeError(message(fn, 'input.shape', 'a non-empty H × W plane', formatShape(input.shape)));
  if (kernel[0] > H + 2 * padding[0] || kernel[1] > W + 2 * padding[1]) {
    throw new ShapeError(message(fn, 'kernelSize', `at most the padded input size [${H + 2 * padding[0]}, ${W + 2 * padding[1]}]`,
      `[${kernel}]`));
  }
  const planes = input.shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const outHeight = outputSize(H, kernel[0], stride[0], padding[0], ceilMode);
  const outWidth = outputSize(W, kernel[1], stride[1], padding[1], ceilMode);
  return {
    geometry: {
      planes, inHeight: H, inWidth: W, kernelHeight: kernel[0], kernelWidth: kernel[1], strideH: stride[0], strideW: stride[1],
      padTop: padding[0], padLeft: padding[1], outHeight, outWidth, countIncludePad,
    },
    outputShape: [...input.shape.slice(0, -2), outHeight, outWidth],
  };
}

/** The result of maxPool2dWithIndices: the maxima and where each came from (h·W + w in its plane). */
export interface MaxPoolResult {
  output: Tensor;
  indices: Int32Array;
}

/** Max pooling that also returns the argmax indices (PyTorch's return_indices=True). */
export function maxPool2dWithIndices(input: Tensor, kernelSize: number | readonly [number, number], options?: Pool2dOptions): MaxPoolResult {
  const fn = 'maxPool2d';
  const { geometry, outputShape } = planPool(fn, input, kernelSize, options, false);
  const size = outputShape.reduce((a, b) => a * b, 1);
  const out = allocResult(size); // every element written (test/uninitialised-results.test.ts)
  const indices = new Int32Array(size);
  if (size > 0) backend().maxPool2d(geometry, input.data, out, indices);
  const output = record(Tensor._wrap(out, outputShape), fn, [input], (g) => {
    const dx = allocGradient(input.size);
    backend().maxPool2dBackward(geometry, g, indices, dx);
    return [dx];
  });
  return { output, indices };
}

/** The maximum of each window; a window holding NaN gives NaN. */
export function maxPool2d(input: Tensor, kernelSize: number | readonly [number, number], options?: Pool2dOptions): Tensor {
  return maxPool2dWithIndices(input, kernelSize, options).output;
}

/** The mean of each window. */
export function avgPool2d(input: Tensor, kernelSize: number | readonly [number, number], options?: AvgPool2dOptions): Tensor {
  const fn = 'avgPool2d';
  const { geometry, outputShape } = planPool(fn, input, kernelSize, options, true);
  const out = allocResult(outputShape.reduce((a, b) => a * b, 1)); // every element written (the same test)
  if (out.length > 0) backend().avgPool2d(geometry, input.data, out);
  return record(Tensor._wrap(out, outputShape), fn, [input], (g) => {
    const dx = allocGradient(input.size);
    backend().avgPool2dBackward(geometry, g, dx);
    return [dx];
  });
}
