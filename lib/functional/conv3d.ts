/**
 * conv3d (torch.nn.functional.conv3d): video, medical volumes, weather maps,
 * (N, C, D, H, W) or (C, D, H, W), with weight (O, C / groups, kD, kH, kW). The engine
 * runs each output depth as one 2-D convolution whose channels are (channel, depth tap)
 * pairs, so every call does the whole reduction (native/kernels/conv_volume.h).
 */
import type { Tensor } from '../tensor';
import {
  type ConvBackwardExtras, type ConvGradients, convolve, convolveAsync, convolveBackward, convolveBackwardAsync,
} from './conv';
import type { PaddingMode } from './conv-options';

type Triple = readonly [number, number, number];

export interface Conv3dOptions {
  /** Step between kernel positions: a positive integer or [sD, sH, sW] (default 1). */
  stride?: number | Triple;
  /** A non-negative integer, [pD, pH, pW], 'valid' or 'same' (stride 1). Default 0. */
  padding?: number | Triple | 'valid' | 'same';
  /** Spacing between kernel taps (default 1). */
  dilation?: number | Triple;
  /** Split channels into this many independent groups (default 1). */
  groups?: number;
  /** What the padding reads: 'zeros' (default), 'reflect', 'replicate' or 'circular'. */
  paddingMode?: PaddingMode;
}

export interface Conv3dForwardOptions extends Conv3dOptions {
  /** A tensor of the output's shape to write the result into. */
  out?: Tensor;
}

export interface Conv3dBackwardOptions extends Conv3dOptions, ConvBackwardExtras {}

/** 3-D cross-correlation; differentiable in input, weight and bias. */
export function conv3d(input: Tensor, weight: Tensor, bias?: Tensor | null, options?: Conv3dForwardOptions): Tensor {
  return convolve('conv3d', 3, input, weight, bias, options);
}

/** conv3d computed off the JavaScript thread. */
export function conv3dAsync(input: Tensor, weight: Tensor, bias?: Tensor | null, options?: Conv3dForwardOptions): Promise<Tensor> {
  return convolveAsync('conv3dAsync', 3, input, weight, bias, options);
}

/** The gradients of conv3d, as a plain function. */
export function conv3dBackward(input: Tensor, weight: Tensor, gradOutput: Tensor, options?: Conv3dBackwardOptions): ConvGradients {
  return convolveBackward('conv3dBackward', 3, input, weight, gradOutput, options);
}

/** conv3dBackward computed off the JavaScript thread. */
export function conv3dBackwardAsync(
  input: Tensor, weight: Tensor, gradOutput: Tensor, options?: Conv3dBackwardOptions,
): Promise<ConvGradients> {
  return convolveBackwardAsync('conv3dBackwardAsync', 3, input, weight, gradOutput, options);
}
