/**
 * conv2d's options and shapes, validated and normalised in one place. Everything
 * downstream (the ops, the Conv2D layer, the kernels) receives the plain result.
 */
import { ShapeError } from '../errors';
import type { ConvGeometry } from '../geometry';
import { Tensor } from '../tensor';
import {
  MAX_ELEMENTS, checkOptions, formatShape, intPair, is, message, oneOf, rangeError, typeError,
} from '../validate';

export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';
export const PADDING_MODES: readonly PaddingMode[] = ['zeros', 'reflect', 'replicate', 'circular'];

export interface Conv2dOptions {
  /** Step between kernel positions: a positive integer or [sH, sW] (default 1). */
  stride?: number | readonly [number, number];
  /**
   * Implicit padding: a non-negative integer, [pH, pW], 'valid' (none) or 'same' (output
   * as large as the input; stride 1 only; an odd total puts the extra row/column at the
   * bottom/right, as PyTorch does). Default 0.
   */
  padding?: number | readonly [number, number] | 'valid' | 'same';
  /** Spacing between kernel taps: a positive integer or [dH, dW] (default 1). */
  dilation?: number | readonly [number, number];
  /** Split channels into this many independent groups (default 1). */
  groups?: number;
  /** What the padding reads: 'zeros' (default), 'reflect', 'replicate' or 'circular'. */
  paddingMode?: PaddingMode;
}

export const CONV2D_OPTIONS = ['stride', 'padding', 'dilation', 'groups', 'paddingMode'] as const;

/** Options with every default filled in and every value checked (shape-independent). */
export interface NormalizedConv2dOptions {
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number] | 'valid' | 'same';
  readonly dilation: readonly [number, number];
  readonly groups: number;
  readonly paddingMode: PaddingMode;
}

/** Padding amounts on each side of the image. */
export interface Padding2d {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** Everything a conv2d call needs, from its arguments. */
export interface Conv2dPlan {
  /** False for (C, H, W) input: the output then drops its batch dimension too. */
  batched: boolean;
  /** The output's shape as the caller sees it. */
  outputShape: number[];
  paddingMode: PaddingMode;
  padding: Padding2d;
  /** Unpadded input, as (N, C, H, W). */
  inputDims: [number, number, number, number];
  /** What the kernels see: padded sizes if paddingMode is not 'zeros', else implicit zero padding. */
  geometry: ConvGeometry;
}

/** Options objects this module built (frozen): they need no second validation. */
const normalized = new WeakSet<object>();

/** Validates the options alone (no shapes); `known` may add names the caller handles itself. */
export function normalizeConv2dOptions(
  fn: string,
  options: unknown,
  known: readonly string[] = CONV2D_OPTIONS,
): NormalizedConv2dOptions {
  if (typeof options === 'object' && options !== null && normalized.has(options)) {
    return options as NormalizedConv2dOptions;
  }
  const o = checkOptions(fn, options, known);
  const stride = intPair(fn, 'options.stride', o.stride ?? 1, is.positiveInteger, 'a positive integer');
  const dilation = intPair(fn, 'options.dilation', o.dilation ?? 1, is.positiveInteger, 'a positive integer');
  let padding: NormalizedConv2dOptions['padding'];
  if (o.padding === 'valid' || o.padding === 'same') padding = o.padding;
  else if (typeof o.padding === 'string') {
    throw rangeError(fn, 'options.padding', "a non-negative integer, a pair of them, 'valid' or 'same'", o.padding);
  } else {
    padding = intPair(fn, 'options.padding', o.padding ?? 0, is.nonNegativeInteger, "a non-negative integer (or 'valid' or 'same')");
  }
  const groups = o.groups ?? 1;
  if (!is.positiveInteger(groups)) {
    throw (typeof groups === 'number' ? rangeError : typeError)(fn, 'options.groups', 'a positive integer', groups);
  }
  const paddingMode = oneOf(fn, 'options.paddingMode', o.paddingMode ?? 'zeros', PADDING_MODES);
  if (padding === 'same' && (stride[0] !== 1 || stride[1] !== 1)) {
    throw rangeError(fn, "options.stride when options.padding is 'same'", '1 (PyTorch does not support strided same convolutions either)', stride);
  }
  const result = Object.freeze({ stride, padding, dilation, groups, paddingMode });
  normalized.add(result);
  return result;
}

/** True for options that cannot change between calls: none, or ones built here. */
export function isImmutableOptions(options: unknown): boolean {
  return options === undefined || (typeof options === 'object' && options !== null && normalized.has(options));
}

function expectTensor(fn: string, name: string, value: unknown): Tensor {
  if (!(value instanceof Tensor)) throw typeError(fn, name, 'a Tensor', value);
  return value;
}

/**
 * Checks input, weight and bias against each other and the options, and derives the
 * output size: every error a conv2d call can raise is raised here, before any work.
 */
export function planConv2d(
  fn: string,
  inputArg: unknown,
  weightArg: unknown,
  biasArg: unknown,
  options: NormalizedConv2dOptions,
): Conv2dPlan {
  const input = expectTensor(fn, 'input', inputArg);
  const weight = expectTensor(fn, 'weight', weightArg);
  const bias = biasArg === undefined || biasArg === null ? null : expectTensor(fn, 'bias', biasArg);

  const rank = input.shape.length;
  if (rank !== 3 && rank !== 4) {
    throw new ShapeError(message(fn, 'input', 'a 3-D (C, H, W) or 4-D (N, C, H, W) tensor',
      `shape ${formatShape(input.shape)} (${rank}-D)`));
  }
  if (weight.shape.length !== 4) {
    throw new ShapeError(message(fn, 'weight', 'a 4-D (outChannels, inChannels / groups, kH, kW) tensor',
      `shape ${formatShape(weight.shape)} (${weight.shape.length}-D)`));
  }
  const batched = rank === 4;
  const [N, C, H, W] = batched ? input.shape : [1, ...input.shape];
  const [O, Cg, KH, KW] = weight.shape;
  if (input.size === 0) {
    throw new ShapeError(message(fn, 'input', 'a tensor with no zero-sized dimension', `shape ${formatShape(input.shape)}`));
  }
  if (weight.size === 0) {
    throw new ShapeError(message(fn, 'weight', 'a tensor with no zero-sized dimension', `shape ${formatShape(weight.shape)}`));
  }
  const { groups, stride, dilation, paddingMode } = options;
  if (C % groups !== 0) {
    throw new ShapeError(message(fn, 'the input channel count (input.shape[' + (batched ? 1 : 0) + '])',
      `divisible by groups = ${groups}`, `${C} (input shape ${formatShape(input.shape)})`));
  }
  if (O % groups !== 0) {
    throw new ShapeError(message(fn, 'the output channel count (weight.shape[0])',
      `divisible by groups = ${groups}`, `${O} (weight shape ${formatShape(weight.shape)})`));
  }
  if (Cg * groups !== C) {
    throw new ShapeError(message(fn, `input.shape[${batched ? 1 : 0}] (input channels)`,
      `weight.shape[1] × groups = ${Cg} × ${groups} = ${Cg * groups}`,
      `${C} (input shape ${formatShape(input.shape)}, weight shape ${formatShape(weight.shape)})`));
  }
  if (bias !== null && (bias.shape.length !== 1 || bias.shape[0] !== O)) {
    throw new ShapeError(message(fn, 'bias', `a 1-D tensor of shape [${O}] (one value per output channel)`,
      `shape ${formatShape(bias.shape)}`));
  }

  const spanH = dilation[0] * (KH - 1) + 1;
  const spanW = dilation[1] * (KW - 1) + 1;
  const padding = resolvePadding(options.padding, spanH, spanW);
  const paddedH = H + padding.top + padding.bottom;
  const paddedW = W + padding.left + padding.right;
  if (spanH > paddedH || spanW > paddedW) {
    throw new ShapeError(message(fn, 'the dilated kernel size', `at most the padded input size ${paddedH} × ${paddedW}`,
      `${spanH} × ${spanW} (weight shape ${formatShape(weight.shape)}, dilation ${formatShape(dilation)})`));
  }
  checkPaddingFits(fn, paddingMode, padding, H, W);

  const OH = Math.floor((paddedH - spanH) / stride[0]) + 1;
  const OW = Math.floor((paddedW - spanW) / stride[1]) + 1;
  if (N * O * OH * OW > MAX_ELEMENTS) {
    throw rangeError(fn, 'the output size', `at most ${MAX_ELEMENTS} elements`, N * O * OH * OW);
  }
  const explicit = paddingMode !== 'zeros';
  return {
    batched,
    outputShape: batched ? [N, O, OH, OW] : [O, OH, OW],
    paddingMode,
    padding,
    inputDims: [N, C, H, W],
    geometry: {
      batch: N, inChannels: C, outChannels: O,
      inHeight: explicit ? paddedH : H, inWidth: explicit ? paddedW : W,
      kernelHeight: KH, kernelWidth: KW, outHeight: OH, outWidth: OW,
      strideH: stride[0], strideW: stride[1],
      padTop: explicit ? 0 : padding.top, padLeft: explicit ? 0 : padding.left,
      dilationH: dilation[0], dilationW: dilation[1], groups,
    },
  };
}

function resolvePadding(padding: NormalizedConv2dOptions['padding'], spanH: number, spanW: number): Padding2d {
  if (padding === 'valid') return { top: 0, bottom: 0, left: 0, right: 0 };
  if (padding === 'same') {
    // The extra row/column of an odd total goes bottom/right, as in PyTorch.
    const totalH = spanH - 1, totalW = spanW - 1;
    const top = Math.floor(totalH / 2), left = Math.floor(totalW / 2);
    return { top, bottom: totalH - top, left, right: totalW - left };
  }
  return { top: padding[0], bottom: padding[0], left: padding[1], right: padding[1] };
}

/** reflect needs padding < size (it never repeats the edge); circular needs padding <= size. */
function checkPaddingFits(fn: string, mode: PaddingMode, p: Padding2d, H: number, W: number): void {
  if (mode !== 'reflect' && mode !== 'circular') return;
  const limitH = mode === 'reflect' ? H - 1 : H;
  const limitW = mode === 'reflect' ? W - 1 : W;
  if (Math.max(p.top, p.bottom) > limitH || Math.max(p.left, p.right) > limitW) {
    const relation = mode === 'reflect' ? 'less than' : 'at most';
    throw rangeError(fn, `options.padding with paddingMode '${mode}'`,
      `${relation} the input size (H = ${H}, W = ${W}) on each side`,
      [Math.max(p.top, p.bottom), Math.max(p.left, p.right)]);
  }
}
