/** conv2d and its gradients, with PyTorch's semantics (torch.nn.functional.conv2d). */
import type { Tensor } from '../tensor';
import {
  type ConvBackwardExtras, type ConvGradientMask, type ConvGradients,
  convolve, convolveAsync, convolveBackward, convolveBackwardAsync,
} from './conv';
import type { PaddingMode } from './conv-options';

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

export interface Conv2dForwardOptions extends Conv2dOptions {
  /**
   * A tensor of the output's shape to write the result into, instead of allocating
   * one: for loops that must not allocate. It must not overlap the inputs.
   */
  out?: Tensor;
}

export type Conv2dGradientMask = ConvGradientMask;
export type Conv2dGradients = ConvGradients;
export interface Conv2dBackwardOptions extends Conv2dOptions, ConvBackwardExtras {}

/**
 * 2-D cross-correlation of `input` (N, C, H, W) or (C, H, W) with `weight`
 * (O, C / groups, kH, kW), plus `bias` (O) if given. Differentiable in all three.
 */
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor | null, options?: Conv2dForwardOptions): Tensor {
  return convolve('conv2d', 2, input, weight, bias, options);
}

/**
 * conv2d computed off the JavaScript thread: the event loop keeps running meanwhile.
 * The inputs are copied when the call is made (so they may change meanwhile without
 * affecting the result); `options.out` is written when the promise resolves. The result
 * is recorded for autograd like conv2d's (its backward runs synchronously).
 */
export function conv2dAsync(input: Tensor, weight: Tensor, bias?: Tensor | null, options?: Conv2dForwardOptions): Promise<Tensor> {
  return convolveAsync('conv2dAsync', 2, input, weight, bias, options);
}

/**
 * The gradients of conv2d with respect to its input, weight and bias, given the
 * gradient of its output: what `backward()` computes, as a plain function (no graph).
 */
export function conv2dBackward(input: Tensor, weight: Tensor, gradOutput: Tensor, options?: Conv2dBackwardOptions): Conv2dGradients {
  return convolveBackward('conv2dBackward', 2, input, weight, gradOutput, options);
}

/** conv2dBackward computed off the JavaScript thread. */
export function conv2dBackwardAsync(
  input: Tensor, weight: Tensor, gradOutput: Tensor, options?: Conv2dBackwardOptions,
): Promise<Conv2dGradients> {
  return convolveBackwardAsync('conv2dBackwardAsync', 2, input, weight, gradOutput, options);
}
