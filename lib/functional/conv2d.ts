/**
 * conv2d and its gradients, synchronous and asynchronous, with PyTorch's semantics.
 * Validation is all in conv2d-options.ts; the kernels come from the active backend.
 */
import { allocFloats } from '../alloc';
import { record, shouldRecord } from '../autograd';
import { type BackwardBuffers, backend } from '../backend';
import { ShapeError } from '../errors';
import { inputSize, outputSize, weightSize } from '../geometry';
import { Tensor } from '../tensor';
import { checkOptions, formatShape, message, typeError } from '../validate';
import { sameShape } from '../broadcast';
import {
  CONV2D_OPTIONS, type Conv2dOptions, type Conv2dPlan, isImmutableOptions, normalizeConv2dOptions, planConv2d,
} from './conv2d-options';
import { pad2d, pad2dBackward, pad2dData } from './pad2d';

/**
 * 2-D cross-correlation of `input` (N, C, H, W) or (C, H, W) with `weight`
 * (O, C / groups, kH, kW), plus `bias` (O) if given: `torch.nn.functional.conv2d`.
 * Differentiable in input, weight and bias.
 */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options?: Conv2dOptions): Tensor {
  const plan = cachedPlan(input, weight, bias, options) ??
    rememberPlan(input, weight, bias, options, planConv2d('conv2d', input, weight, bias, normalizeConv2dOptions('conv2d', options)));
  const x = paddedInput(input, plan);
  const out = allocFloats(outputSize(plan.geometry));
  backend().forward(plan.geometry, x.data, weight.data, bias?.data ?? null, out);
  return recordConv(plan, x, weight, bias ?? null, out, shouldRecord([x, weight, bias]));
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
    last = { options, input: input.shape, weight: weight.shape, bias: bias ? bias.shape : null, plan };
  }
  return plan;
}

/**
 * conv2d computed off the JavaScript thread: the event loop keeps running meanwhile.
 * Inputs must not be written to until the promise settles. The result is recorded for
 * autograd like conv2d's (its backward runs synchronously).
 */
export async function conv2dAsync(
  input: Tensor, weight: Tensor, bias?: Tensor | null, options?: Conv2dOptions,
): Promise<Tensor> {
  const plan = planConv2d('conv2dAsync', input, weight, bias, normalizeConv2dOptions('conv2dAsync', options));
  const enabled = shouldRecord([input, weight, bias]);
  const x = paddedInput(input, plan);
  const out = allocFloats(outputSize(plan.geometry));
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
}

/** The gradients of a conv2d; a gradient not asked for is null. */
export interface Conv2dGradients {
  gradInput: Tensor | null;
  gradWeight: Tensor | null;
  gradBias: Tensor | null;
}

const BACKWARD_OPTIONS = [...CONV2D_OPTIONS, 'compute'] as const;
const MASK_KEYS = ['gradInput', 'gradWeight', 'gradBias'] as const;

interface BackwardJob {
  plan: Conv2dPlan;
  input: Tensor;
  weight: Tensor;
  gradOutput: Tensor;
  /** The input as the kernels read it (padded for non-zero modes). */
  x: Float32Array;
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
  const inputTensor = input as Tensor;
  return {
    plan,
    input: inputTensor,
    weight: weight as Tensor,
    gradOutput,
    x: plan.paddingMode === 'zeros' ? inputTensor.data : pad2dData(inputTensor.data, plan.inputDims, plan.padding, plan.paddingMode),
    buffers: {
      gradInput: mask.gradInput === false ? null : allocFloats(inputSize(g)),
      gradWeight: mask.gradWeight === false ? null : allocFloats(weightSize(g)),
      gradBias: mask.gradBias === false ? null : allocFloats(g.outChannels),
    },
  };
}

function finishBackward(job: BackwardJob): Conv2dGradients {
  const { plan, buffers } = job;
  let gradInput = buffers.gradInput;
  if (gradInput !== null && plan.paddingMode !== 'zeros') {
    gradInput = pad2dBackward(gradInput, plan.inputDims, plan.padding, plan.paddingMode);
  }
  return {
    gradInput: gradInput && new Tensor(gradInput, job.input.shape),
    gradWeight: buffers.gradWeight && new Tensor(buffers.gradWeight, job.weight.shape),
    gradBias: buffers.gradBias && new Tensor(buffers.gradBias, [plan.geometry.outChannels]),
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
