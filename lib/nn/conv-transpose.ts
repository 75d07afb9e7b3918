/**
 * Transposed convolution layers (PyTorch's nn.ConvTranspose1d/2d/3d): a weight
 * (inChannels, outChannels / groups, …kernelSize) and an optional bias, initialised as
 * PyTorch does (fan-in taken from the weight's second dimension, as its init does).
 */
import {
  CONV_TRANSPOSE_OPTIONS, type ConvTransposeOptions, convTranspose1d, convTranspose2d, convTranspose3d, normalizeConvTransposeOptions,
} from '../functional/conv-transpose';
import { type SpatialRank, intTuple } from '../functional/conv-options';
import { ShapeError } from '../errors';
import type { Tensor } from '../tensor';
import { checkOptions, is, message, positiveInteger, typeError } from '../validate';
import { uniformParameter } from './init';
import { Module } from './module';

export interface ConvTransposeLayerOptions extends ConvTransposeOptions {
  /** Add a learnable bias (default true). */
  bias?: boolean;
}

const FUNCTIONS = { 1: convTranspose1d, 2: convTranspose2d, 3: convTranspose3d } as const;

abstract class ConvTransposeLayer extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  /** The functional options (without bias), frozen. */
  readonly options: Readonly<ConvTransposeOptions>;
  private readonly rank: SpatialRank;

  protected constructor(rank: SpatialRank, inChannels: number, outChannels: number, kernelSize: number | readonly number[],
    options: ConvTransposeLayerOptions | undefined) {
    super();
    const fn = this.constructor.name;
    positiveInteger(fn, 'inChannels', inChannels);
    positiveInteger(fn, 'outChannels', outChannels);
    this.kernelSize = intTuple(fn, 'kernelSize', kernelSize, rank, is.positiveInteger, 'a positive integer');
    const { bias: useBias = true, ...rest } = checkOptions(fn, options, [...CONV_TRANSPOSE_OPTIONS, 'bias']) as ConvTransposeLayerOptions;
    if (typeof useBias !== 'boolean') throw typeError(fn, 'options.bias', 'a boolean', useBias);
    const { groups } = normalizeConvTransposeOptions(fn, rank, rest);
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new ShapeError(message(fn, 'inChannels and outChannels', `divisible by groups = ${groups}`, `${inChannels} and ${outChannels}`));
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.rank = rank;
    this.options = Object.freeze({ ...rest });
    const fanIn = (outChannels / groups) * this.kernelSize.reduce((a, b) => a * b, 1);
    const bound = 1 / Math.sqrt(fanIn);
    this.weight = uniformParameter(fn, 'weight', [inChannels, outChannels / groups, ...this.kernelSize], bound);
    this.bias = useBias ? uniformParameter(fn, 'bias', [outChannels], bound) : null;
  }

  override forward(input: Tensor): Tensor {
    return FUNCTIONS[this.rank](input, this.weight, this.bias, this.options);
  }

  override describe(): string {
    const o = this.options;
    return `${this.constructor.name}(${this.inChannels}, ${this.outChannels}, kernelSize=[${this.kernelSize}], ` +
      `stride=${JSON.stringify(o.stride ?? 1)}, padding=${JSON.stringify(o.padding ?? 0)}, ` +
      `outputPadding=${JSON.stringify(o.outputPadding ?? 0)}, groups=${o.groups ?? 1}, bias=${this.bias !== null})`;
  }
}

export class ConvTranspose1d extends ConvTransposeLayer {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly [number], options?: ConvTransposeLayerOptions) {
    super(1, inChannels, outChannels, kernelSize, options);
  }
}

export class ConvTranspose2d extends ConvTransposeLayer {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly [number, number], options?: ConvTransposeLayerOptions) {
    super(2, inChannels, outChannels, kernelSize, options);
  }
}

export class ConvTranspose3d extends ConvTransposeLayer {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly [number, number, number], options?: ConvTransposeLayerOptions) {
    super(3, inChannels, outChannels, kernelSize, options);
  }
}
