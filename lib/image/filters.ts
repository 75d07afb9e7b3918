/**
 * The named filters of `convcore filter` and filterImage, and how specs become kernels:
 * "sobel", "gaussian:1.5", "box:5", a custom 2-D kernel (cross-correlation, like the
 * rest of convcore). Separable kernels (box, gaussian) carry their two 1-D factors, so
 * they run as a row pass and a column pass.
 */
import { ArgumentRangeError, ArgumentTypeError } from '../errors';
import { Tensor } from '../tensor';
import { describe, is, message, quoteList } from '../validate';

/** A kernel applied to every channel. */
export interface KernelFilter {
  kind: 'kernel';
  /** How it was asked for, e.g. "gaussian:1.5". */
  name: string;
  height: number;
  width: number;
  /** Row-major height × width weights. */
  weights: Float32Array;
  /** [column factor (height), row factor (width)] when the kernel is their outer product. */
  separable: [Float32Array, Float32Array] | null;
}

/** The gradient magnitude √(gx² + gy²) of two kernels (sobel). */
export interface MagnitudeFilter {
  kind: 'magnitude';
  name: string;
  x: KernelFilter;
  y: KernelFilter;
}

export type Filter = KernelFilter | MagnitudeFilter;

/** A named filter with arguments ("gaussian:1.5"), a 2-D array of weights, or a 2-D Tensor. */
export type FilterSpec = string | readonly (readonly number[])[] | Tensor;

function kernel(name: string, rows: readonly (readonly number[])[], separable: [number[], number[]] | null = null): KernelFilter {
  return {
    kind: 'kernel', name, height: rows.length, width: rows[0].length, weights: Float32Array.from(rows.flat()),
    separable: separable && [Float32Array.from(separable[0]), Float32Array.from(separable[1])],
  };
}

const SOBEL_X = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]];
const SCHARR_X = [[-3, 0, 3], [-10, 0, 10], [-3, 0, 3]];
const transpose = (rows: number[][]) => rows[0].map((_, j) => rows.map((row) => row[j]));

/** The named filters without arguments. */
const FIXED: Record<string, () => Filter> = {
  identity: () => kernel('identity', [[1]]),
  'sobel-x': () => kernel('sobel-x', SOBEL_X, [[1, 2, 1], [-1, 0, 1]]),
  'sobel-y': () => kernel('sobel-y', transpose(SOBEL_X), [[-1, 0, 1], [1, 2, 1]]),
  sobel: () => ({ kind: 'magnitude', name: 'sobel', x: FIXED['sobel-x']() as KernelFilter, y: FIXED['sobel-y']() as KernelFilter }),
  'scharr-x': () => kernel('scharr-x', SCHARR_X, [[3, 10, 3], [-1, 0, 1]]),
  'scharr-y': () => kernel('scharr-y', transpose(SCHARR_X), [[-1, 0, 1], [3, 10, 3]]),
  laplacian: () => kernel('laplacian', [[0, 1, 0], [1, -4, 1], [0, 1, 0]]),
  sharpen: () => kernel('sharpen', [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
  emboss: () => kernel('emboss', [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]),
  // The book's edge detector: +1 where the image goes from white to black.
  edge: () => kernel('edge', [[1, -1]]),
};

export const FILTER_NAMES = [...Object.keys(FIXED), 'box', 'gaussian'];

function argumentError(spec: string, expected: string, got: string): ArgumentRangeError {
  return new ArgumentRangeError(message('filter', `the arguments of '${spec}'`, expected, got));
}

/** n × n, every weight 1/n², as a row and a column pass. */
function box(spec: string, args: string[]): KernelFilter {
  const n = Number(args[0]);
  if (args.length !== 1 || !is.positiveInteger(n)) throw argumentError(spec, 'one positive integer size (box:5)', args.join(':') || 'none');
  const factor = new Array<number>(n).fill(1 / n);
  return kernel(spec, Array.from({ length: n }, () => new Array<number>(n).fill(1 / (n * n))), [factor, factor]);
}

/**
 * exp(−x²/2σ²) normalised to sum 1, over an odd size (default 2·⌈3σ⌉ + 1, which holds
 * all but 0.3% of the weight), as a row and a column pass.
 */
function gaussian(spec: string, args: string[]): KernelFilter {
  const sigma = Number(args[0]);
  const size = args[1] === undefined ? 2 * Math.ceil(3 * sigma) + 1 : Number(args[1]);
  if (args.length < 1 || args.length > 2 || !(Number.isFinite(sigma) && sigma > 0) || !(is.positiveInteger(size) && size % 2 === 1)) {
    throw argumentError(spec, 'a positive sigma and an optional odd size (gaussian:1.5 or gaussian:1.5:7)', args.join(':') || 'none');
  }
  const half = (size - 1) / 2;
  const raw = Array.from({ length: size }, (_, i) => Math.exp(-((i - half) ** 2) / (2 * sigma * sigma)));
  const total = raw.reduce((a, b) => a + b, 0);
  const factor = raw.map((v) => v / total);
  return kernel(spec, factor.map((a) => factor.map((b) => a * b)), [factor, factor]);
}

/** A custom kernel from rows of finite numbers (rectangular, at least 1 × 1). */
export function customKernel(rows: unknown, name = 'kernel'): KernelFilter {
  const expected = 'a 2-D array of finite numbers with rows of equal length, e.g. [[0,-1,0],[-1,5,-1],[0,-1,0]]';
  if (rows instanceof Tensor) {
    const dims = rows.shape.filter((d, i) => !(d === 1 && i < rows.shape.length - 2));
    if (dims.length !== 2) throw new ArgumentRangeError(message('filter', name, 'a 2-D kernel (or a (1, 1, kh, kw) Conv2D weight)', `a Tensor of shape [${rows.shape.join(', ')}]`));
    const [h, w] = rows.shape.slice(-2);
    return kernel(name, Array.from({ length: h }, (_, i) => [...rows.data.subarray(i * w, (i + 1) * w)]));
  }
  if (!Array.isArray(rows) || rows.length === 0 || !rows.every((r) => Array.isArray(r) && r.length === rows[0].length && r.length > 0)) {
    throw new ArgumentTypeError(message('filter', name, expected, describe(rows)));
  }
  if (!rows.every((r: unknown[]) => r.every((v) => is.finite(v)))) throw new ArgumentRangeError(message('filter', name, expected, describe(rows)));
  return kernel(name, rows as number[][]);
}

/** Resolves one spec: a name with ':'-separated arguments, rows of weights, or a Tensor. */
export function parseFilter(spec: FilterSpec): Filter {
  if (typeof spec !== 'string') return customKernel(spec);
  const [name, ...args] = spec.split(':');
  if (name === 'box') return box(spec, args);
  if (name === 'gaussian') return gaussian(spec, args);
  const make = FIXED[name];
  if (make === undefined) {
    throw new ArgumentRangeError(message('filter', 'the filter name', `one of ${quoteList(FILTER_NAMES)}`, `'${name}'`));
  }
  if (args.length > 0) throw argumentError(spec, 'no arguments', args.join(':'));
  return make();
}
