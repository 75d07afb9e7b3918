/**
 * The options and shapes of conv1d, conv2d and conv3d, validated and normalised in one
 * place. Everything downstream (the ops, the layers, the kernels) receives the plain,
 * fully defaulted result.
 */
import { ArgumentRangeError, ShapeError } from '../errors';
import { expectTensor } from '../tensor';
import {
  MAX_ELEMENTS, checkOptions, formatShape, is, message, oneOf, rangeError, typeError,
} from '../validate';

export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';
export const PADDING_MODES: readonly PaddingMode[] = ['zeros', 'reflect', 'replicate', 'circular'];
export const CONV_OPTIONS = ['stride', 'padding', 'dilation', 'groups', 'paddingMode'] as const;

/** Number of spatial dimensions: conv1d, conv2d, conv3d. */
export type SpatialRank = 1 | 2 | 3;

/** Options with every default filled in and every value checked (shape-independent). */
export interface NormalizedConvOptions {
  readonly rank: SpatialRank;
  readonly stride: readonly number[];
  readonly padding: readonly number[] | 'valid' | 'same';
  readonly dilation: readonly number[];
  readonly groups: number;
  readonly paddingMode: PaddingMode;
}

/** Everything a convolution call needs, from its arguments. */
export interface ConvPlan {
  /** False for unbatched input: the output then drops its batch dimension too. */
  batched: boolean;
  /** The output's shape as the caller sees it. */
  outputShape: number[];
  paddingMode: PaddingMode;
  /** Padding before and after each spatial dimension. */
  before: number[];
  after: number[];
  batch: number;
  inChannels: number;
  outChannels: number;
  /** Unpadded input and output sizes, and the kernel, per spatial dimension. */
  inSize: number[];
  outSize: number[];
  kernel: number[];
  stride: readonly number[];
  dilation: readonly number[];
  groups: number;
}

const DIM_NAMES: Record<SpatialRank, string[]> = { 1: ['L'], 2: ['H', 'W'], 3: ['D', 'H', 'W'] };
const TUPLE: Record<SpatialRank, string> = { 1: 'an array of one', 2: 'a pair', 3: 'a triple' };

/** A number or a tuple of `rank` numbers, each accepted by `ok`; returns the tuple. */
export function intTuple(
  fn: string, argument: string, value: unknown, rank: SpatialRank, ok: (v: unknown) => boolean, expected: string,
): number[] {
  const whole = `${expected} or ${TUPLE[rank]} of them`;
  if (typeof value === 'number') {
    if (!ok(value)) throw rangeError(fn, argument, whole, value);
    return new Array<number>(rank).fill(value);
  }
  if (Array.isArray(value) && value.length === rank && value.every((v) => typeof v === 'number')) {
    if (!value.every(ok)) throw rangeError(fn, argument, whole, value);
    return value.slice();
  }
  if (Array.isArray(value) && value.length !== rank) throw rangeError(fn, argument, whole, value);
  throw typeError(fn, argument, whole, value);
}

/** The class of the options objects built here (frozen): they need no second validation. */
class Normalized implements NormalizedConvOptions {
  constructor(
    readonly rank: SpatialRank,
    readonly stride: readonly number[],
    readonly padding: readonly number[] | 'valid' | 'same',
    readonly dilation: readonly number[],
    readonly groups: number,
    readonly paddingMode: PaddingMode,
  ) {
    Object.freeze(this);
  }
}

/** Validates the options alone (no shapes); `known` may add names the caller handles itself. */
export function normalizeConvOptions(
  fn: string,
  rank: SpatialRank,
  options: unknown,
  known: readonly string[] = CONV_OPTIONS,
): NormalizedConvOptions {
  if (options instanceof Normalized && options.rank === rank) return options;
  const o = checkOptions(fn, options, known);
  const stride = intTuple(fn, 'options.stride', o.stride ?? 1, rank, is.positiveInteger, 'a positive integer');
  const dilation = intTuple(fn, 'options.dilation', o.dilation ?? 1, rank, is.positiveInteger, 'a positive integer');
  let padding: NormalizedConvOptions['padding'];
  if (o.padding === 'valid' || o.padding === 'same') padding = o.padding;
  else if (typeof o.padding === 'string') {
    throw rangeError(fn, 'options.padding', `a non-negative integer, ${TUPLE[rank]} of them, 'valid' or 'same'`, o.padding);
  } else {
    padding = intTuple(fn, 'options.padding', o.padding ?? 0, rank, is.nonNegativeInteger, "a non-negative integer (or 'valid' or 'same')");
  }
  const groups = o.groups ?? 1;
  if (!is.positiveInteger(groups)) {
    throw (typeof groups === 'number' ? rangeError : typeError)(fn, 'options.groups', 'a positive integer', groups);
  }
  const paddingMode = oneOf(fn, 'options.paddingMode', o.paddingMode ?? 'zeros', PADDING_MODES);
  if (padding === 'same' && stride.some((s) => s !== 1)) {
    throw rangeError(fn, "options.stride when options.padding is 'same'", '1 (PyTorch does not support strided same convolutions either)', stride);
  }
  return new Normalized(rank, stride, padding, dilation, groups, paddingMode);
}

/** True for options that cannot change between calls: none, or ones built here. */
export function isImmutableOptions(options: unknown): boolean {
  return options === undefined || options instanceof Normalized;
}

/**
 * Checks input, weight and bias against each other and the options, and derives the
 * output size: every error a convolution call can raise is raised here, before any work.
 */
export function planConv(
  fn: string,
  rank: SpatialRank,
  inputArg: unknown,
  weightArg: unknown,
  biasArg: unknown,
  options: NormalizedConvOptions,
): ConvPlan {
  const input = expectTensor(fn, 'input', inputArg);
  const weight = expectTensor(fn, 'weight', weightArg);
  const bias = biasArg === undefined || biasArg === null ? null : expectTensor(fn, 'bias', biasArg);
  const names = DIM_NAMES[rank];

  const inputRank = input.shape.length;
  if (inputRank !== rank + 1 && inputRank !== rank + 2) {
    throw new ShapeError(message(fn, 'input', `a ${rank + 1}-D (C, ${names.join(', ')}) or ${rank + 2}-D (N, C, ${names.join(', ')}) tensor`,
      `shape ${formatShape(input.shape)} (${inputRank}-D)`));
  }
  if (weight.shape.length !== rank + 2) {
    throw new ShapeError(message(fn, 'weight', `a ${rank + 2}-D (outChannels, inChannels / groups, ${names.map((n) => 'k' + n).join(', ')}) tensor`,
      `shape ${formatShape(weight.shape)} (${weight.shape.length}-D)`));
  }
  const batched = inputRank === rank + 2;
  const [N, C, ...inSize] = batched ? input.shape : [1, ...input.shape];
  const [O, Cg, ...kernel] = weight.shape;
  if (input.size === 0) {
    throw new ShapeError(message(fn, 'input', 'a tensor with no zero-sized dimension', `shape ${formatShape(input.shape)}`));
  }
  if (weight.size === 0) {
    throw new ShapeError(message(fn, 'weight', 'a tensor with no zero-sized dimension', `shape ${formatShape(weight.shape)}`));
  }
  const { groups, stride, dilation, paddingMode } = options;
  const channelAxis = batched ? 1 : 0;
  if (C % groups !== 0) {
    throw new ShapeError(message(fn, `the input channel count (input.shape[${channelAxis}])`,
      `divisible by groups = ${groups}`, `${C} (input shape ${formatShape(input.shape)})`));
  }
  if (O % groups !== 0) {
    throw new ShapeError(message(fn, 'the output channel count (weight.shape[0])',
      `divisible by groups = ${groups}`, `${O} (weight shape ${formatShape(weight.shape)})`));
  }
  if (Cg * groups !== C) {
    throw new ShapeError(message(fn, `input.shape[${channelAxis}] (input channels)`,
      `weight.shape[1] × groups = ${Cg} × ${groups} = ${Cg * groups}`,
      `${C} (input shape ${formatShape(input.shape)}, weight shape ${formatShape(weight.shape)})`));
  }
  if (bias !== null && (bias.shape.length !== 1 || bias.shape[0] !== O)) {
    throw new ShapeError(message(fn, 'bias', `a 1-D tensor of shape [${O}] (one value per output channel)`,
      `shape ${formatShape(bias.shape)}`));
  }

  const span = kernel.map((k, i) => dilation[i] * (k - 1) + 1);
  const { before, after } = resolvePadding(options.padding, span);
  const padded = inSize.map((s, i) => s + before[i] + after[i]);
  if (span.some((s, i) => s > padded[i])) {
    throw new ShapeError(message(fn, 'the dilated kernel size', `at most the padded input size ${padded.join(' × ')}`,
      `${span.join(' × ')} (weight shape ${formatShape(weight.shape)}, dilation ${formatShape(dilation)})`));
  }
  checkPaddingFits(fn, paddingMode, before, after, inSize, names);
  if (paddingMode !== 'zeros') {
    // The non-zero modes pad explicitly: the padded input is a real tensor.
    const paddedElements = N * C * padded.reduce((a, b) => a * b, 1);
    if (paddedElements > MAX_ELEMENTS) {
      throw rangeError(fn, `the ${paddingMode}-padded input`, `at most ${MAX_ELEMENTS} elements`, paddedElements);
    }
  }

  const outSize = padded.map((p, i) => Math.floor((p - span[i]) / stride[i]) + 1);
  const outputElements = N * O * outSize.reduce((a, b) => a * b, 1);
  if (outputElements > MAX_ELEMENTS) {
    throw rangeError(fn, 'the output size', `at most ${MAX_ELEMENTS} elements`, outputElements);
  }
  // The engine's GEMM grid spans each output row plus the kernel's reach, for every
  // stride phase: with a dilation or padding far beyond the input that grid would not
  // fit 64-bit indexing (native/kernels/conv_params.cc refuses it too).
  const effectiveStride = stride.map((st, i) => (outSize[i] === 1 ? 1 : st));
  const effectiveDilation = dilation.map((d, i) => (kernel[i] === 1 ? 1 : d));
  const grid = (C / groups) * kernel.slice(-2).reduce((product, k, j) => {
    const i = kernel.length - Math.min(2, kernel.length) + j;
    const reach = ((k - 1) * effectiveDilation[i]) / effectiveStride[i];
    return product * effectiveStride[i] * (outSize[i] + reach + 1);
  }, 1);
  if (grid > 2 ** 40 || span.some((s) => s > 2 ** 40)) {
    throw new ArgumentRangeError(message(fn, 'the geometry (dilation and padding against the input)',
      'a dilated kernel and padding of at most about 2^40 positions per image', `dilation ${formatShape(dilation)}, padding ${formatShape(before)}`));
  }
  return {
    batched,
    outputShape: batched ? [N, O, ...outSize] : [O, ...outSize],
    paddingMode, before, after,
    batch: N, inChannels: C, outChannels: O,
    // Where one output position or one kernel tap exists, stride or dilation cannot
    // matter: they reach the kernels as 1 (so a stride of 2^40 never enters their
    // index arithmetic).
    inSize, outSize, kernel,
    stride: effectiveStride,
    dilation: effectiveDilation,
    groups,
  };
}

function resolvePadding(padding: NormalizedConvOptions['padding'], span: number[]): { before: number[]; after: number[] } {
  if (padding === 'valid') return { before: span.map(() => 0), after: span.map(() => 0) };
  if (padding === 'same') {
    // The extra row/column of an odd total goes after (bottom/right), as in PyTorch.
    const before = span.map((s) => Math.floor((s - 1) / 2));
    return { before, after: span.map((s, i) => s - 1 - before[i]) };
  }
  return { before: padding.slice(), after: padding.slice() };
}

/** reflect needs padding < size (it never repeats the edge); circular needs padding <= size. */
function checkPaddingFits(
  fn: string, mode: PaddingMode, before: number[], after: number[], size: number[], names: string[],
): void {
  if (mode !== 'reflect' && mode !== 'circular') return;
  const limit = size.map((s) => (mode === 'reflect' ? s - 1 : s));
  const widest = before.map((b, i) => Math.max(b, after[i]));
  if (widest.some((w, i) => w > limit[i])) {
    const relation = mode === 'reflect' ? 'less than' : 'at most';
    throw rangeError(fn, `options.padding with paddingMode '${mode}'`,
      `${relation} the input size (${names.map((n, i) => `${n} = ${size[i]}`).join(', ')}) on each side`, widest);
  }
}
