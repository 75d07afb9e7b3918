/**
 * conv1d (torch.nn.functional.conv1d): sequences and time series, (N, C, L) or (C, L),
 * with weight (O, C / groups, kL). It runs on the 2-D engine as a convolution of height
 * 1: the same blocking, threads and exactness.
 */
import type { Tensor } from '../tensor';
import {
  type ConvBackwardExtras, type ConvGradients, convolve, convolveAsync, convolveBackward, convolveBackwardAsync,
} from './conv';
import type { PaddingMode } from './conv-options';

export interface Conv1dOptions {
  /** Step between kernel positions (default 1). */
  stride?: number | readonly [number];
  /** A non-negative integer, 'valid' or 'same' (stride 1; extra padding at the end). Default 0. */
  padding?: number | readonly [number] | 'valid' | 'same';
  /** Spacing between kernel taps (default 1). */
  dilation?: number | readonly [number];
  /** Split channels into this many independent groups (default 1). */
  groups?: number;
  /** What the padding reads: 'zeros' (default), 'reflect', 'replicate' or 'circular'. */
  paddingMode?: PaddingMode;
}

export interface Conv1dForwardOptions extends Conv1dOptions {
  /** A tensor of the output's shape to write the result into. */
  out?: Tensor;
}

export interface Conv1dBackwardOptions extends Conv1dOptions, ConvBackwardExtras {}

/** 1-D cross-correlation; differentiable in input, weight and bias. */
export function conv1d(input: Tensor, weight: Tensor, bias?: Tensor | null, options?: Conv1dForwardOptions): Tensor {
  return convolve('conv1d', 1, input, weight, bias, options);
}

/** conv1d computed off the JavaScript thread. */
export function conv1dAsync(input: Tensor, weight: Tensor, bias?: Tensor | null, options?: Conv1dForwardOptions): Promise<Tensor> {
  return convolveAsync('conv1dAsync', 1, input, weight, bias, options);
}

/** The gradients of conv1d, as a plain function. */
export function conv1dBackward(input: Tensor, weight: Tensor, gradOutput: Tensor, options?: Conv1dBackwardOptions): ConvGradients {
  return convolveBackward('conv1dBackward', 1, input, weight, gradOutput, options);
}

/** conv1dBackward computed off the JavaScript thread. */
export function conv1dBackwardAsync(
  input: Tensor, weight: Tensor, gradOutput: Tensor, options?: Conv1dBackwardOptions,
): Promise<ConvGradients> {
  return convolveBackwardAsync('conv1dBackwardAsync', 1, input, weight, gradOutput, options);
}
