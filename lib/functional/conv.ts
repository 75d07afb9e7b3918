/**
 * The machinery shared by conv1d, conv2d and conv3d: plans (validated in
 * conv-options.ts), explicit padding, the kernel calls, autograd records, async
 * variants and the functional backward. The kernels see every rank as a 3-D geometry
 * (depth and height 1 where the rank is lower) and come from the active backend.
 */
import { allocFloats, allocGradient } from '../alloc';
import { holdingAsyncMemory } from '../async-memory';
import { record, shouldRecord } from '../autograd';
import { type BackwardBuffers, backend } from '../backend';
import { sameShape } from '../broadcast';
import { ShapeError } from '../errors';
import { type ConvGeometry, inputSize, outputSize, weightSize } from '../geometry';
import { outputBuffer } from '../out-buffer';
import { Tensor, assertTensor } from '../tensor';
import { checkOptions, formatShape, message, typeError } from '../validate';
import {
  CONV_OPTIONS, type ConvPlan, type PaddingMode, type SpatialRank, isImmutableOptions, normalizeConvOptions, planConv,
} from './conv-options';
import { pad, padBackward, padData, padSpec } from './pad';

/** A plan with what the kernels see. */
interface KernelPlan extends ConvPlan {
  rank: SpatialRank;
  /** Unpadded input as (N, C, …spatial). */
  inputDims: number[];
  geometry: ConvGeometry;
}

/** Which gradients a functional backward computes (each defaults to true). */
export interface ConvGradientMask {
  gradInput?: boolean;
  gradWeight?: boolean;
  gradBias?: boolean;
}

/** The gradients of a convolution; a gradient not asked for is null. */
export interface ConvGradients {
  gradInput: Tensor | null;
  gradWeight: Tensor | null;
  gradBias: Tensor | null;
}

export interface ConvBackwardExtras {
  compute?: ConvGradientMask;
  /** Tensors to write the gradients into, instead of allocating them. */
  out?: { gradInput?: Tensor; gradWeight?: Tensor; gradBias?: Tensor };
}

const FORWARD_OPTIONS = [...CONV_OPTIONS, 'out'] as const;
const BACKWARD_OPTIONS = [...CONV_OPTIONS, 'compute', 'out'] as const;
const MASK_KEYS = ['gradInput', 'gradWeight', 'gradBias'] as const;

function kernelPlan(fn: string, rank: SpatialRank, input: unknown, weight: unknown, bias: unknown, options: unknown, known: readonly string[]): KernelPlan {
  const plan = planConv(fn, rank, input, weight, bias, normalizeConvOptions(fn, rank, options, known)) as KernelPlan;
  // Axes aligned to (depth, height, width): lower ranks have size 1 in front.
  const lead = 3 - rank;
  const at = (values: readonly number[], axis: number, fill: number) => (axis >= lead ? values[axis - lead] : fill);
  // Non-zero padding modes pad explicitly; the kernels then see no padding.
  const explicit = plan.paddingMode !== 'zeros';
  const inAt = (axis: number) =>
    axis >= lead ? plan.inSize[axis - lead] + (explicit ? plan.before[axis - lead] + plan.after[axis - lead] : 0) : 1;
  const padAt = (axis: number) => (explicit ? 0 : at(plan.before, axis, 0));
  plan.rank = rank;
  // Frozen once, so every output tensor can share it.
  Object.freeze(plan.outputShape);
  plan.inputDims = [plan.batch, plan.inChannels, ...plan.inSize];
  plan.geometry = {
    batch: plan.batch, inChannels: plan.inChannels, outChannels: plan.outChannels, groups: plan.groups,
    inDepth: inAt(0), inHeight: inAt(1), inWidth: inAt(2),
    kernelDepth: at(plan.kernel, 0, 1), kernelHeight: at(plan.kernel, 1, 1), kernelWidth: at(plan.kernel, 2, 1),
    outDepth: at(plan.outSize, 0, 1), outHeight: at(plan.outSize, 1, 1), outWidth: at(plan.outSize, 2, 1),
    strideD: at(plan.stride, 0, 1), strideH: at(plan.stride, 1, 1), strideW: at(plan.stride, 2, 1),
    padFront: padAt(0), padTop: padAt(1), padLeft: padAt(2),
    dilationD: at(plan.dilation, 0, 1), dilationH: at(plan.dilation, 1, 1), dilationW: at(plan.dilation, 2, 1),
  };
  return plan;
}

// ---- plan reuse ---------------------------------------------------------------------------

/**
 * The values of an options object that a plan depends on, to tell whether a caller's
 * (mutable) options object still holds what was validated.
 */
interface OptionValues {
  keys: number;
  values: unknown[];
}

function snapshot(options: unknown): OptionValues | null {
  if (options === undefined || options === null || typeof options !== 'object') return null;
  const record = options as Record<string, unknown>;
  let keys = 0;
  for (const key in record) if (Object.prototype.hasOwnProperty.call(record, key)) keys++;
  const values = new Array<unknown>(CONV_OPTIONS.length);
  for (let i = 0; i < CONV_OPTIONS.length; i++) {
    const value = record[CONV_OPTIONS[i]];
    values[i] = Array.isArray(value) ? value.slice() : value;
  }
  return { keys, values };
}

function unchanged(before: OptionValues | null, options: unknown): boolean {
  if (before === null) return true; // undefined, or a frozen layer options object
  const now = snapshot(options);
  if (now === null || now.keys !== before.keys) return false;
  return before.values.every((v, i) => {
    const w = now.values[i];
    return Array.isArray(v) ? Array.isArray(w) && sameShape(v, w) : v === w;
  });
}

interface CachedPlan {
  rank: SpatialRank;
  options: unknown;
  /**
   * What the options held when checked: null for immutable options; 'pending' until
   * the same object comes back (a fresh object per call then costs no snapshot).
   */
  values: OptionValues | null | 'pending';
  input: readonly number[];
  weight: readonly number[];
  bias: readonly number[] | null;
  plan: KernelPlan;
}

/**
 * The last plan of each kind of call, for repeated calls (a training loop): reused when
 * the same options object still holds the same values and the shapes are the same, so
 * every check it passed still holds (a buffer detached since is refused by the C++
 * re-check, as an ArgumentRangeError). A layer's options (frozen, normalised) key a plan
 * of their own, so that a network's layers do not evict each other's plans.
 */
const lastPlans: { forward: CachedPlan | null; backward: CachedPlan | null } = { forward: null, backward: null };
const layerPlans = { forward: new WeakMap<object, CachedPlan>(), backward: new WeakMap<object, CachedPlan>() };

function cachedPlan(last: CachedPlan | null | undefined, rank: SpatialRank, input: unknown, weight: unknown, bias: unknown, options: unknown): KernelPlan | null {
  if (last == null || last.rank !== rank || last.options !== options || !(input instanceof Tensor) || !(weight instanceof Tensor)) return null;
  if (!sameShape(last.input, input.shape) || !sameShape(last.weight, weight.shape)) return null;
  if (bias === undefined || bias === null) {
    if (last.bias !== null) return null;
  } else if (!(bias instanceof Tensor) || last.bias === null || !sameShape(last.bias, bias.shape)) {
    return null;
  }
  return last.values !== 'pending' && unchanged(last.values, options) ? last.plan : null;
}

function planFor(
  kind: 'forward' | 'backward', fn: string, rank: SpatialRank, input: unknown, weight: unknown, bias: unknown, options: unknown,
): KernelPlan {
  const layerOptions = options !== undefined && isImmutableOptions(options) ? (options as object) : null;
  const previous = layerOptions ? layerPlans[kind].get(layerOptions) : lastPlans[kind];
  const hit = cachedPlan(previous, rank, input, weight, bias, options);
  if (hit) return hit;
  const plan = kernelPlan(fn, rank, input, weight, bias, options, kind === 'forward' ? FORWARD_OPTIONS : BACKWARD_OPTIONS);
  const reused = previous != null && previous.options === options;
  // Copies: a plain-JS caller could still write to a shape array.
  const entry: CachedPlan = {
    rank, options, values: isImmutableOptions(options) ? null : reused ? snapshot(options) : 'pending',
    input: (input as Tensor).shape.slice(), weight: (weight as Tensor).shape.slice(),
    bias: bias instanceof Tensor ? bias.shape.slice() : null, plan,
  };
  if (layerOptions) layerPlans[kind].set(layerOptions, entry);
  else lastPlans[kind] = entry;
  return plan;
}

// ---- forward ----------------------------------------------------------------------------------

/** The input as the kernels read it: explicitly padded for the non-zero padding modes. */
function paddedInput(input: Tensor, plan: KernelPlan): Tensor {
  return plan.paddingMode === 'zeros' ? input : pad(input, plan.inputDims, plan.before, plan.after, plan.paddingMode);
}

function recordConv(
  op: string, plan: KernelPlan, x: Tensor, weight: Tensor, bias: Tensor | null, out: Float32Array, enabled: boolean,
): Tensor {
  const parents = bias === null ? [x, weight] : [x, weight, bias];
  return record(Tensor._wrap(out, plan.outputShape), op, parents, (g) => {
    const buffers: BackwardBuffers = {
      gradInput: x.requiresGrad ? allocGradient(x.size) : null,
      gradWeight: weight.requiresGrad ? allocGradient(weight.size) : null,
      gradBias: bias?.requiresGrad ? allocGradient(bias.size) : null,
    };
    backend().backward(plan.geometry, x.data, weight.data, g, buffers);
    return [buffers.gradInput, buffers.gradWeight, buffers.gradBias];
  }, enabled);
}

/** A differentiable convolution of the given rank; `fn` names it in errors. */
export function convolve(
  fn: string, rank: SpatialRank, input: Tensor, weight: Tensor, bias: Tensor | null | undefined, options: { out?: Tensor } | undefined,
): Tensor {
  const plan = planFor('forward', fn, rank, input, weight, bias, options);
  const out = outputBuffer(fn, 'options.out', options?.out, plan.outputShape, [input, weight, bias]);
  const x = paddedInput(input, plan);
  backend().forward(plan.geometry, x.data, weight.data, bias?.data ?? null, out);
  return recordConv(fn, plan, x, weight, bias ?? null, out, shouldRecord([x, weight, bias]));
}

/** `convolve` computed off the JavaScript thread. */
export async function convolveAsync(
  fn: string, rank: SpatialRank, input: Tensor, weight: Tensor, bias: Tensor | null | undefined, options: { out?: Tensor } | undefined,
): Promise<Tensor> {
  const plan = planFor('forward', fn, rank, input, weight, bias, options);
  const out = outputBuffer(fn, 'options.out', options?.out, plan.outputShape, [input, weight, bias]);
  const enabled = shouldRecord([input, weight, bias]);
  const g = plan.geometry;
  // The call's copies: the (padded) input, the weights and bias, and a private output.
  const bytes = 4 * (inputSize(g) + weightSize(g) + (bias?.size ?? 0) + outputSize(g));
  return holdingAsyncMemory(fn, bytes, async () => {
    const x = paddedInput(input, plan);
    await backend().forwardAsync(g, x.data, weight.data, bias?.data ?? null, out);
    return recordConv(fn.replace(/Async$/, ''), plan, x, weight, bias ?? null, out, enabled);
  });
}

// ---- functional backward ------------------------------------------------------------------------

interface BackwardJob {
  fn: string;
  plan: KernelPlan;
  input: Tensor;
  weight: Tensor;
  gradOutput: Tensor;
  /** The input as the kernels read it (padded for non-zero modes). */
  x: Float32Array;
  /** The caller's output tensors, if any. */
  out: Record<string, unknown>;
  buffers: BackwardBuffers;
}

function prepareBackward(fn: string, rank: SpatialRank, input: unknown, weight: unknown, gradOutput: unknown, options: unknown): BackwardJob {
  const plan = planFor('backward', fn, rank, input, weight, null, options);
  assertTensor(fn, 'gradOutput', gradOutput);
  const expected = plan.outputShape;
  if (!sameShape(gradOutput.shape, expected)) {
    const forward = fn.replace(/Backward(Async)?$/, '');
    throw new ShapeError(message(fn, 'gradOutput.shape', `${formatShape(expected)} (the shape of ${forward}'s output)`,
      formatShape(gradOutput.shape)));
  }
  const extras = options as ConvBackwardExtras | undefined;
  const mask = checkOptions(fn, extras?.compute, MASK_KEYS);
  for (const key of MASK_KEYS) {
    if (mask[key] !== undefined && typeof mask[key] !== 'boolean') {
      throw typeError(fn, `options.compute.${key}`, 'a boolean', mask[key]);
    }
  }
  const g = plan.geometry;
  const inputTensor = input as Tensor, weightTensor = weight as Tensor;
  const out = checkOptions(fn, extras?.out, MASK_KEYS);
  const sources = [inputTensor, weightTensor, gradOutput];
  // gradInput is computed for the padded input when the padding is explicit, then folded.
  const explicit = plan.paddingMode !== 'zeros';
  const spec = explicit ? padSpec(plan.inputDims, plan.before, plan.after, plan.paddingMode as PaddingMode) : null;
  return {
    fn, plan, input: inputTensor, weight: weightTensor, gradOutput, out,
    x: spec ? padData(inputTensor.data, spec) : inputTensor.data,
    buffers: {
      gradInput: mask.gradInput === false ? null
        : explicit ? allocFloats(inputSize(g)) : outputBuffer(fn, 'options.out.gradInput', out.gradInput, inputTensor.shape, sources),
      gradWeight: mask.gradWeight === false ? null : outputBuffer(fn, 'options.out.gradWeight', out.gradWeight, weightTensor.shape, sources),
      gradBias: mask.gradBias === false ? null : outputBuffer(fn, 'options.out.gradBias', out.gradBias, [g.outChannels], sources),
    },
  };
}

function finishBackward(job: BackwardJob): ConvGradients {
  const { plan, buffers } = job;
  let gradInput = buffers.gradInput;
  if (gradInput !== null && plan.paddingMode !== 'zeros') {
    gradInput = padBackward(gradInput, padSpec(plan.inputDims, plan.before, plan.after, plan.paddingMode));
    const target = job.out.gradInput;
    if (target !== undefined && target !== null) {
      const checked = outputBuffer(job.fn, 'options.out.gradInput', target, job.input.shape,
        [job.input, job.weight, job.gradOutput]);
      checked.set(gradInput);
      gradInput = checked;
    }
  }
  return {
    gradInput: gradInput && Tensor._wrap(gradInput, job.input.shape),
    gradWeight: buffers.gradWeight && Tensor._wrap(buffers.gradWeight, job.weight.shape),
    gradBias: buffers.gradBias && Tensor._wrap(buffers.gradBias, [plan.geometry.outChannels]),
  };
}

/** The gradients of a convolution given its output's gradient (no graph). */
export function convolveBackward(
  fn: string, rank: SpatialRank, input: Tensor, weight: Tensor, gradOutput: Tensor, options: unknown,
): ConvGradients {
  const job = prepareBackward(fn, rank, input, weight, gradOutput, options);
  backend().backward(job.plan.geometry, job.x, job.weight.data, job.gradOutput.data, job.buffers);
  return finishBackward(job);
}

/** `convolveBackward` computed off the JavaScript thread. */
export async function convolveBackwardAsync(
  fn: string, rank: SpatialRank, input: Tensor, weight: Tensor, gradOutput: Tensor, options: unknown,
): Promise<ConvGradients> {
  const job = prepareBackward(fn, rank, input, weight, gradOutput, options);
  const { gradInput, gradWeight, gradBias } = job.buffers;
  // The call's copies (input, weights, output gradient) and its private gradients.
  const bytes = 4 * (job.x.length + job.weight.size + job.gradOutput.size +
    (gradInput?.length ?? 0) + (gradWeight?.length ?? 0) + (gradBias?.length ?? 0));
  return holdingAsyncMemory(fn, bytes, async () => {
    await backend().backwardAsync(job.plan.geometry, job.x, job.weight.data, job.gradOutput.data, job.buffers);
    return finishBackward(job);
  });
}
