/**
 * conv2d and its gradients, synchronous and asynchronous, with PyTorch's semantics.
 * Validation is all in conv2d-options.ts; the kernels come from the active backend.
 */
import { allocFloats } from '../alloc';
import { record, shouldRecord } from '../autograd';
import { type BackwardBuffers, backend } from '../backend';
import { ShapeError } from '../errors';
import { inputSize } from '../geometry';
import { Tensor } from '../tensor';
import { checkOptions, formatShape, message, typeError } from '../validate';
import { sameShape } from '../broadcast';
import {
  CONV2D_OPTIONS, type Conv2dOptions, type Conv2dPlan, isImmutableOptions, normalizeConv2dOptions, planConv2d,
} from './conv2d-options';
import { pad2d, pad2dBackward, pad2dData } from './pad2d';

export interface Conv2dForwardOptions extends Conv2dOptions {
  /**
   * A tensor of the output's shape to write the result into (and return), instead of
   * allocating one: for loops that must not allocate. It must not overlap the inputs.
   */
  out?: Tensor;
}

const FORWARD_OPTIONS = [...CONV2D_OPTIONS, 'out'] as const;

/**
 * 2-D cross-correlation of `input` (N, C, H, W) or (C, H, W) with `weight`
 * (O, C / groups, kH, kW), plus `bias` (O) if given: `torch.nn.functional.conv2d`.
 * Differentiable in input, weight and bias.
 */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options?: Conv2dForwardOptions): Tensor {
  const plan = cachedPlan(input, weight, bias, options) ??
    rememberPlan(input, weight, bias, options, planConv2d('conv2d', input, weight, bias,
      normalizeConv2dOptions('conv2d', options, FORWARD_OPTIONS)));
  const out = outputBuffer('conv2d', 'options.out', options?.out, plan.outputShape, [input, weight, bias]);
  const x = paddedInput(input, plan);
  backend().forward(plan.geometry, x.data, weight.data, bias?.data ?? null, out);
  return recordConv(plan, x, weight, bias ?? null, out, shouldRecord([x, weight, bias]));
}

/** Checks a caller's `out` tensor (or allocates the output when there is none). */
function outputBuffer(
  fn: string, name: string, out: unknown, shape: readonly number[], inputs: ReadonlyArray<Tensor | null | undefined>,
): Float32Array {
  if (out === undefined || out === null) return allocFloats(shape.reduce((a, b) => a * b, 1));
  if (!(out instanceof Tensor)) throw typeError(fn, name, 'a Tensor', out);
  if (!sameShape(out.shape, shape)) {
    throw new ShapeError(message(fn, `${name}.shape`, formatShape(shape), formatShape(out.shape)));
  }
  for (const t of inputs) {
    if (t && overlaps(t.data, out.data)) {
      throw new ShapeError(message(fn, name, 'a tensor whose memory does not overlap the inputs', 'one that shares memory with an input'));
    }
  }
  return out.data;
}

function overlaps(a: Float32Array, b: Float32Array): boolean {
  return a.buffer === b.buffer &&
    a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

/**
 * The last plan, for repeated calls (a layer's forward in a training loop): reused only
 * when the options cannot have changed (none, or a layer's frozen ones) and the
 * shapes are the same, so every check it passed still holds.
 */
let last: { options: unknown; input: readonly number[]; weight: readonly number[]; bias: readonly number[] | null; plan: Conv2dPlan } | null = null;

function cachedPlan(input: unknown, weight: unknown, bias: unknown, options: unknown): Conv2dPlan | null {
  if (last === null || last.options !== options || !(input instanceof Tensor) || !(weight instanceof Tensor)) return null;
  if (!sameShape(last.input, input.shape) || !sameShape(last.weight, weight.shape)) return null;
  if (bias === undefined || bias === null) return last.bias === null ? last.plan : null;
  return bias instanceof Tensor && last.bias !== null && sameShape(last.bias, bias.shape) ? last.plan : null;
}

function rememberPlan(input: Tensor, weight: Tensor, bias: Tensor | null | undefined, options: unknown, plan: Conv2dPlan): Conv2dPlan {
  if (isImmutableOptions(options)) {
    // Copies: a plain-JS caller could still write to a shape array.
    last = { options, input: input.shape.slice(), weight: weight.shape.slice(), bias: bias ? bias.shape.slice() : null, plan };
  }
  return plan;
}

/**
 * conv2d computed off the JavaScript thread: the event loop keeps running meanwhile.
 * Inputs must not be written to until the promise settles. The result is recorded for
 * autograd like conv2d's (its backward runs synchronously).
 */
export async function conv2dAsync(
  input: Tensor, weight: Tensor, bias?: Tensor | null, options?: Conv2dForwardOptions,
): Promise<Tensor> {
  const plan = planConv2d('conv2dAsync', input, weight, bias, normalizeConv2dOptions('conv2dAsync', options, FORWARD_OPTIONS));
  const out = outputBuffer('conv2dAsync', 'options.out', options?.out, plan.outputShape, [input, weight, bias]);
  const enabled = shouldRecord([input, weight, bias]);
  const x = paddedInput(input, plan);
  await backend().forwardAsync(plan.geometry, x.data, weight.data, bias?.data ?? null, out);
  return recordConv(plan, x, weight, bias ?? null, out, enabled);
}

/** The input as the kernels read it: explicitly padded for the non-zero padding modes. */
function paddedInput(input: Tensor, plan: Conv2dPlan): Tensor {
  return plan.paddingMode === 'zeros' ? input : pad2d(input, plan.inputDims, plan.padding, plan.paddingMode);
}

function recordConv(
  plan: Conv2dPlan, x: Tensor, weight: Tensor, bias: Tensor | null, out: Float32Array, enabled: boolean,
): Tensor {
  const parents = bias === null ? [x, weight] : [x, weight, bias];
  return record(Tensor._wrap(out, plan.outputShape.slice()), 'conv2d', parents, (g) => {
    const buffers: BackwardBuffers = {
      gradInput: x.requiresGrad ? allocFloats(x.size) : null,
      gradWeight: weight.requiresGrad ? allocFloats(weight.size) : null,
      gradBias: bias?.requiresGrad ? allocFloats(bias.size) : null,
    };
    backend().backward(plan.geometry, x.data, weight.data, g, buffers);
    return [buffers.gradInput, buffers.gradWeight, buffers.gradBias];
  }, enabled);
}

/** Which gradients conv2dBackward computes (each defaults to true). */
export interface Conv2dGradientMask {
  gradInput?: boolean;
  gradWeight?: boolean;
  gradBias?: boolean;
}

export interface Conv2dBackwardOptions extends Conv2dOptions {
  compute?: Conv2dGradientMask;
  /** Tensors to write the gradients into, instead of allocating them. */
  out?: { gradInput?: Tensor; gradWeight?: Tensor; gradBias?: Tensor };
}

/** The gradients of a conv2d; a gradient not asked for is null. */
export interface Conv2dGradients {
  gradInput: Tensor | null;
  gradWeight: Tensor | null;
  gradBias: Tensor | null;
}

const BACKWARD_OPTIONS = [...CONV2D_OPTIONS, 'compute', 'out'] as const;
const MASK_KEYS = ['gradInput', 'gradWeight', 'gradBias'] as const;

interface BackwardJob {
  plan: Conv2dPlan;
  input: Tensor;
  weight: Tensor;
  gradOutput: Tensor;
  /** The input as the kernels read it (padded for non-zero modes). */
  x: Float32Array;
  /** The caller's output tensors, if any. */
  out: Record<string, unknown>;
  buffers: BackwardBuffers;
}

function prepareBackward(fn: string, input: unknown, weight: unknown, gradOutput: unknown, options: unknown): BackwardJob {
  const normalized = normalizeConv2dOptions(fn, options, BACKWARD_OPTIONS);
  const plan = planConv2d(fn, input, weight, null, normalized);
  if (!(gradOutput instanceof Tensor)) throw typeError(fn, 'gradOutput', 'a Tensor', gradOutput);
  const expected = plan.outputShape;
  if (gradOutput.shape.length !== expected.length || gradOutput.shape.some((d, i) => d !== expected[i])) {
    throw new ShapeError(message(fn, 'gradOutput.shape', `${formatShape(expected)} (the shape of conv2d's output)`,
      formatShape(gradOutput.shape)));
  }
  const rawMask = (options as Conv2dBackwardOptions | undefined)?.compute;
  const mask = checkOptions(fn, rawMask, MASK_KEYS);
  if (rawMask !== undefined && rawMask !== null) {
    for (const key of MASK_KEYS) {
      if (mask[key] !== undefined && typeof mask[key] !== 'boolean') {
        throw typeError(fn, `options.compute.${key}`, 'a boolean', mask[key]);
      }
    }
  }
  const g = plan.geometry;
  const inputTensor = input as Tensor, weightTensor = weight as Tensor;
  const rawOut = (options as Conv2dBackwardOptions | undefined)?.out;
  const out = checkOptions(fn, rawOut, MASK_KEYS);
  const sources = [inputTensor, weightTensor, gradOutput];
  // gradInput is computed for the padded input when the padding is explicit, then folded.
  const explicit = plan.paddingMode !== 'zeros';
  return {
    plan,
    input: inputTensor,
    weight: weightTensor,
    gradOutput,
    x: explicit ? pad2dData(inputTensor.data, plan.inputDims, plan.padding, plan.paddingMode) : inputTensor.data,
    out,
    buffers: {
      gradInput: mask.gradInput === false ? null
        : explicit ? allocFloats(inputSize(g)) : outputBuffer(fn, 'options.out.gradInput', out.gradInput, inputTensor.shape, sources),
      gradWeight: mask.gradWeight === false ? null : outputBuffer(fn, 'options.out.gradWeight', out.gradWeight, weightTensor.shape, sources),
      gradBias: mask.gradBias === false ? null : outputBuffer(fn, 'options.out.gradBias', out.gradBias, [g.outChannels], sources),
    },
  };
}

function finishBackward(job: BackwardJob): Conv2dGradients {
  const { plan, buffers } = job;
  let gradInput = buffers.gradInput;
  if (gradInput !== null && plan.paddingMode !== 'zeros') {
    gradInput = pad2dBackward(gradInput, plan.inputDims, plan.padding, plan.paddingMode);
    const target = job.out.gradInput;
    if (target !== undefined && target !== null) {
      const checked = outputBuffer('conv2dBackward', 'options.out.gradInput', target, job.input.shape,
        [job.input, job.weight, job.gradOutput]);
      checked.set(gradInput);
      gradInput = checked;
    }
  }
  return {
    gradInput: gradInput && Tensor._wrap(gradInput, job.input.shape.slice()),
    gradWeight: buffers.gradWeight && Tensor._wrap(buffers.gradWeight, job.weight.shape.slice()),
    gradBias: buffers.gradBias && Tensor._wrap(buffers.gradBias, [plan.geometry.outChannels]),
  };
}

/**
 * The gradients of conv2d with respect to its input, weight and bias, given the
 * gradient of its output: what `backward()` computes, as a plain function (no graph).
 */
export function conv2dBackward(
  input: Tensor, weight: Tensor, gradOutput: Tensor, options?: Conv2dBackwardOptions,
): Conv2dGradients {
  const job = prepareBackward('conv2dBackward', input, weight, gradOutput, options);
  backend().backward(job.plan.geometry, job.x, job.weight.data, job.gradOutput.data, job.buffers);
  return finishBackward(job);
}

/** conv2dBackward computed off the JavaScript thread. */
export async function conv2dBackwardAsync(
  input: Tensor, weight: Tensor, gradOutput: Tensor, options?: Conv2dBackwardOptions,
): Promise<Conv2dGradients> {
  const job = prepareBackward('conv2dBackwardAsync', input, weight, gradOutput, options);
  await backend().backwardAsync(job.plan.geometry, job.x, job.weight.data, job.gradOutput.data, job.buffers);
  return finishBackward(job);
}
