/**
 * Transposed convolution (PyTorch's conv_transpose1d/2d/3d): the gradient of a
 * convolution with respect to its input, run forward. No kernel of its own: for the
 * convolution C that maps the transposed output back onto the transposed input (same
 * weight, stride, padding, dilation, groups),
 *   forward        = C's backward-data pass,
 *   grad input     = C's forward pass (of the output's gradient),
 *   grad weight    = C's backward-weight pass (the output's gradient as C's input),
 *   grad bias      = Σ of the output's gradient per channel,
 * so it runs on the engine's fastest paths. Validation lives here.
 */
import { allocFloats, allocGradient, allocResult } from '../alloc';
import { holdingAsyncMemory } from '../async-memory';
import { record, shouldRecord } from '../autograd';
import { backend } from '../backend';
import { ArgumentRangeError, ShapeError } from '../errors';
import type { ConvGeometry } from '../geometry';
import { reduceLayout } from '../elementwise-layout';
import type { ChannelLayout } from '../reference/channel-norm';
import { Tensor, assertTensor } from '../tensor';
import { MAX_ELEMENTS, booleanOption, checkOptions, formatShape, is, message, positiveInteger, rangeError } from '../validate';
import { type SpatialRank, intTuple } from './conv-options';

export interface ConvTransposeOptions {
  /** Default 1. */
  stride?: number | readonly number[];
  /** Removed from each side of the output: dilation·(k − 1) − padding zeros around the input (default 0). */
  padding?: number | readonly number[];
  /** Added to one side of the output (default 0); smaller than the stride or the dilation. */
  outputPadding?: number | readonly number[];
  /** Default 1. */
  groups?: number;
  /** Default 1. */
  dilation?: number | readonly number[];
}

export const CONV_TRANSPOSE_OPTIONS = ['stride', 'padding', 'outputPadding', 'groups', 'dilation'] as const;
const OPTIONS = CONV_TRANSPOSE_OPTIONS;
const DIMS: Record<SpatialRank, string> = { 1: 'L', 2: 'H, W', 3: 'D, H, W' };

/** Everything a call needs, checked. */
interface TransposePlan {
  outputShape: number[];
  /** The convolution from the output back to the input. */
  geometry: ConvGeometry;
  /** The output as [N, C_out, positions], for the bias and its gradient. */
  outputLayout: ChannelLayout;
}

interface TransposeOptions {
  stride: number[];
  padding: number[];
  outputPadding: number[];
  dilation: number[];
  groups: number;
}

/** Checks the options alone (no shapes): layers call it when built. */
export function normalizeConvTransposeOptions(fn: string, rank: SpatialRank, options: unknown, known: readonly string[] = OPTIONS): TransposeOptions {
  const o = checkOptions(fn, options, known);
  const stride = intTuple(fn, 'options.stride', o.stride ?? 1, rank, is.positiveInteger, 'a positive integer');
  const padding = intTuple(fn, 'options.padding', o.padding ?? 0, rank, is.nonNegativeInteger, 'a non-negative integer');
  const outputPadding = intTuple(fn, 'options.outputPadding', o.outputPadding ?? 0, rank, is.nonNegativeInteger, 'a non-negative integer');
  const dilation = intTuple(fn, 'options.dilation', o.dilation ?? 1, rank, is.positiveInteger, 'a positive integer');
  const groups = positiveInteger(fn, 'options.groups', o.groups ?? 1);
  outputPadding.forEach((p, i) => {
    if (p >= stride[i] && p >= dilation[i]) {
      throw rangeError(fn, 'options.outputPadding', `smaller than the stride (${stride[i]}) or the dilation (${dilation[i]}) on each axis`, outputPadding);
    }
  });
  return { stride, padding, outputPadding, dilation, groups };
}

function planTranspose(fn: string, rank: SpatialRank, input: unknown, weight: unknown, bias: unknown, options: unknown): TransposePlan {
  assertTensor(fn, 'input', input);
  assertTensor(fn, 'weight', weight);
  const { stride, padding, outputPadding, dilation, groups } = normalizeConvTransposeOptions(fn, rank, options);

  const inputRank = input.shape.length;
  if (inputRank !== rank + 1 && inputRank !== rank + 2) {
    throw new ShapeError(message(fn, 'input', `a ${rank + 1}-D (C, ${DIMS[rank]}) or ${rank + 2}-D (N, C, ${DIMS[rank]}) tensor`,
      `shape ${formatShape(input.shape)}`));
  }
  if (weight.shape.length !== rank + 2) {
    throw new ShapeError(message(fn, 'weight', `a ${rank + 2}-D (inChannels, outChannels / groups, …kernel) tensor`,
      `shape ${formatShape(weight.shape)}`));
  }
  const batched = inputRank === rank + 2;
  const [N, C, ...inSize] = batched ? input.shape : [1, ...input.shape];
  const [Cw, Og, ...kernel] = weight.shape;
  if (input.size === 0 || weight.size === 0) {
    throw new ShapeError(message(fn, 'input and weight', 'tensors with no zero-sized dimension',
      `shapes ${formatShape(input.shape)} and ${formatShape(weight.shape)}`));
  }
  if (Cw !== C) {
    throw new ShapeError(message(fn, 'weight.shape[0]', `the input's channel count (${C})`, `shape ${formatShape(weight.shape)}`));
  }
  if (C % groups !== 0) {
    throw new ShapeError(message(fn, 'the input channel count', `divisible by groups = ${groups}`, String(C)));
  }
  const O = Og * groups;
  if (bias !== undefined && bias !== null) {
    assertTensor(fn, 'bias', bias);
    if (bias.shape.length !== 1 || bias.shape[0] !== O) {
      throw new ShapeError(message(fn, 'bias', `a 1-D tensor of shape [${O}] (one value per output channel)`, `shape ${formatShape(bias.shape)}`));
    }
  }
  const outSize = inSize.map((s, i) => (s - 1) * stride[i] - 2 * padding[i] + dilation[i] * (kernel[i] - 1) + outputPadding[i] + 1);
  if (outSize.some((s) => s < 1)) {
    throw new ShapeError(message(fn, 'the output size', 'positive on every axis',
      `[${outSize}] (input ${formatShape(input.shape)}, kernel [${kernel}], stride [${stride}], padding [${padding}])`));
  }
  const outputElements = N * O * outSize.reduce((a, b) => a * b, 1);
  if (outputElements > MAX_ELEMENTS) throw rangeError(fn, 'the output size', `at most ${MAX_ELEMENTS} elements`, outputElements);
  // The convolution's GEMM grid must fit 64-bit indexing (conv_params.cc checks too).
  const reach = kernel.map((k, i) => ((k - 1) * dilation[i]) / stride[i]);
  const grid = Og * kernel.reduce((p, _k, i) => p * stride[i] * (inSize[i] + reach[i] + 1), 1);
  if (grid > 2 ** 40) {
    throw new ArgumentRangeError(message(fn, 'the geometry', 'a dilated kernel and stride of at most about 2^40 positions per image',
      `dilation [${dilation}], stride [${stride}]`));
  }

  const lead = 3 - rank;
  const at = (values: readonly number[], axis: number, fill: number) => (axis >= lead ? values[axis - lead] : fill);
  // Where one position or tap exists, stride or dilation cannot matter: 1 for the kernels.
  const convStride = stride.map((s, i) => (inSize[i] === 1 ? 1 : s));
  const convDilation = dilation.map((d, i) => (kernel[i] === 1 ? 1 : d));
  const geometry: ConvGeometry = {
    batch: N, inChannels: O, outChannels: C, groups,
    inDepth: at(outSize, 0, 1), inHeight: at(outSize, 1, 1), inWidth: at(outSize, 2, 1),
    kernelDepth: at(kernel, 0, 1), kernelHeight: at(kernel, 1, 1), kernelWidth: at(kernel, 2, 1),
    outDepth: at(inSize, 0, 1), outHeight: at(inSize, 1, 1), outWidth: at(inSize, 2, 1),
    strideD: at(convStride, 0, 1), strideH: at(convStride, 1, 1), strideW: at(convStride, 2, 1),
    padFront: at(padding, 0, 0), padTop: at(padding, 1, 0), padLeft: at(padding, 2, 0),
    dilationD: at(convDilation, 0, 1), dilationH: at(convDilation, 1, 1), dilationW: at(convDilation, 2, 1),
  };
  const positions = outSize.reduce((a, b) => a * b, 1);
  return {
    outputShape: batched ? [N, O, ...outSize] : [O, ...outSize],
    geometry,
    outputLayout: { outer: N, channels: O, inner: positions },
  };
}

/** The output's bias, added in place per channel. */
function addBias(plan: TransposePlan, bias: Tensor | null, out: Float32Array): void {
  if (bias === null) return;
  const { outputLayout } = plan;
  backend().channelAffine(outputLayout, { u: out, a: allocFloats(outputLayout.channels).fill(1), d: bias.data }, out);
}

/** The gradients the mask asks for, from the output's gradient g. */
function transposeGradients(plan: TransposePlan, x: Float32Array, weight: Tensor, g: Float32Array,
  want: { input: boolean; weight: boolean; bias: boolean }): [Float32Array | null, Float32Array | null, Float32Array | null] {
  const { geometry, outputLayout } = plan;
  let gx: Float32Array | null = null, gw: Float32Array | null = null, gb: Float32Array | null = null;
  if (want.input) {
    gx = allocGradient(x.length);
    backend().forward(geometry, g, weight.data, null, gx);
  }
  if (want.weight) {
    gw = allocGradient(weight.size);
    backend().backward(geometry, g, null, x, { gradInput: null, gradWeight: gw, gradBias: null });
  }
  if (want.bias) {
    gb = allocFloats(outputLayout.channels);
    const { outer, channels, inner } = outputLayout;
    backend().reduce('sum', reduceLayout([outer, channels, inner], new Set([0, 2])), 1, g, gb);
  }
  return [gx, gw, gb];
}

function recordTranspose(fn: string, plan: TransposePlan, input: Tensor, weight: Tensor, bias: Tensor | null, out: Float32Array,
  enabled?: boolean): Tensor {
  const x = input.data;
  const parents = bias === null ? [input, weight] : [input, weight, bias];
  return record(Tensor._wrap(out, plan.outputShape), fn, parents, (g) => {
    const [gx, gw, gb] = transposeGradients(plan, x, weight, g,
      { input: input.requiresGrad, weight: weight.requiresGrad, bias: bias?.requiresGrad ?? false });
    return bias === null ? [gx, gw] : [gx, gw, gb];
  }, enabled);
}

function convTranspose(fn: string, rank: SpatialRank, input: Tensor, weight: Tensor, bias: Tensor | null | undefined, options: unknown): Tensor {
  const plan = planTranspose(fn, rank, input, weight, bias, options);
  const out = allocResult(plan.outputShape.reduce((a, b) => a * b, 1));
  backend().backward(plan.geometry, null, weight.data, input.data, { gradInput: out, gradWeight: null, gradBias: null });
  addBias(plan, bias ?? null, out);
  return recordTranspose(fn, plan, input, weight, bias ?? null, out);
}

/** convTranspose computed off the JavaScript thread (the bias added when it is done). */
async function convTransposeAsync(fn: string, rank: SpatialRank, input: Tensor, weight: Tensor, bias: Tensor | null | undefined,
  options: unknown): Promise<Tensor> {
  const plan = planTranspose(fn, rank, input, weight, bias, options);
  const enabled = shouldRecord([input, weight, bias]);
  const size = plan.outputShape.reduce((a, b) => a * b, 1);
  const out = allocResult(size);
  // The call's copies: the input and weight, and a private output.
  return holdingAsyncMemory(fn, 4 * (input.size + weight.size + size), async () => {
    await backend().backwardAsync(plan.geometry, null, weight.data, input.data, { gradInput: out, gradWeight: null, gradBias: null });
    addBias(plan, bias ?? null, out);
    return recordTranspose(fn.replace(/Async$/, ''), plan, input, weight, bias ?? null, out, enabled);
  });
}

/** The gradients of a transposed convolution, computed directly (PyTorch's functional backward). */
export interface ConvTransposeGradients {
  gradInput: Tensor | null;
  gradWeight: Tensor | null;
  gradBias: Tensor | null;
}

function convTransposeBackward(fn: string, rank: SpatialRank, input: Tensor, weight: Tensor, gradOutput: Tensor,
  options: (ConvTransposeOptions & { compute?: { gradInput?: boolean; gradWeight?: boolean; gradBias?: boolean } }) | undefined): ConvTransposeGradients {
  const { compute, ...rest } = checkOptions(fn, options, [...OPTIONS, 'compute']);
  const mask = checkOptions(fn, compute, ['gradInput', 'gradWeight', 'gradBias']);
  const want = {
    input: booleanOption(fn, 'options.compute.gradInput', mask.gradInput, true),
    weight: booleanOption(fn, 'options.compute.gradWeight', mask.gradWeight, true),
    bias: booleanOption(fn, 'options.compute.gradBias', mask.gradBias, true),
  };
  const plan = planTranspose(fn, rank, input, weight, null, rest);
  assertTensor(fn, 'gradOutput', gradOutput);
  if (gradOutput.shape.length !== plan.outputShape.length || gradOutput.shape.some((d, i) => d !== plan.outputShape[i])) {
    throw new ShapeError(message(fn, 'gradOutput.shape', `the output's shape ${formatShape(plan.outputShape)}`, formatShape(gradOutput.shape)));
  }
  const [gx, gw, gb] = transposeGradients(plan, input.data, weight, gradOutput.data, want);
  return {
    gradInput: gx && Tensor._wrap(gx, [...input.shape]),
    gradWeight: gw && Tensor._wrap(gw, [...weight.shape]),
    gradBias: gb && Tensor._wrap(gb, [plan.outputLayout.channels]),
  };
}

/** 1-D transposed convolution of (N, C_in, L) or (C_in, L) with weight (C_in, C_out / groups, k). */
export function convTranspose1d(input: Tensor, weight: Tensor, bias?: Tensor | null, options?: ConvTransposeOptions): Tensor {
  return convTranspose('convTranspose1d', 1, input, weight, bias, options);
}

/** 2-D transposed convolution of (N, C_in, H, W) or (C_in, H, W) with weight (C_in, C_out / groups, kH, kW). */
export function convTranspose2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options?: ConvTransposeOptions): Tensor {
  return convTranspose('convTranspose2d', 2, input, weight, bias, options);
}

/** 3-D transposed convolution of (N, C_in, D, H, W) or (C_in, D, H, W) with weight (C_in, C_out / groups, kD, kH, kW). */
export function convTranspose3d(input: Tensor, weight: Tensor, bias?: Tensor | null, options?: ConvTransposeOptions): Tensor {
  return convTranspose('convTranspose3d', 3, input, weight, bias, options);
}

/** convTranspose1d off the JavaScript thread. */
export function convTranspose1dAsync(input: Tensor, weight: Tensor, bias?: Tensor | null, options?: ConvTransposeOptions): Promise<Tensor> {
  return convTransposeAsync('convTranspose1dAsync', 1, input, weight, bias, options);
}

/** convTranspose2d off the JavaScript thread. */
export function convTranspose2dAsync(input: Tensor, weight: Tensor, bias?: Tensor | null, options?: ConvTransposeOptions): Promise<Tensor> {
  return convTransposeAsync('convTranspose2dAsync', 2, input, weight, bias, options);
}

/** convTranspose3d off the JavaScript thread. */
export function convTranspose3dAsync(input: Tensor, weight: Tensor, bias?: Tensor | null, options?: ConvTransposeOptions): Promise<Tensor> {
  return convTransposeAsync('convTranspose3dAsync', 3, input, weight, bias, options);
}

export type ConvTransposeBackwardOptions = ConvTransposeOptions & { compute?: { gradInput?: boolean; gradWeight?: boolean; gradBias?: boolean } };

/** convTranspose1d's gradients for a given gradOutput. */
export function convTranspose1dBackward(input: Tensor, weight: Tensor, gradOutput: Tensor, options?: ConvTransposeBackwardOptions): ConvTransposeGradients {
  return convTransposeBackward('convTranspose1dBackward', 1, input, weight, gradOutput, options);
}

/** convTranspose2d's gradients for a given gradOutput. */
export function convTranspose2dBackward(input: Tensor, weight: Tensor, gradOutput: Tensor, options?: ConvTransposeBackwardOptions): ConvTransposeGradients {
  return convTransposeBackward('convTranspose2dBackward', 2, input, weight, gradOutput, options);
}

/** convTranspose3d's gradients for a given gradOutput. */
export function convTranspose3dBackward(input: Tensor, weight: Tensor, gradOutput: Tensor, options?: ConvTransposeBackwardOptions): ConvTransposeGradients {
  return convTransposeBackward('convTranspose3dBackward', 3, input, weight, gradOutput, options);
}
