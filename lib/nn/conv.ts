/**
 * The convolution layers' common part: a weight and an optional bias around conv1d,
 * conv2d or conv3d, initialised as PyTorch does.
 */
import { ShapeError } from '../errors';
import { convolve } from '../functional/conv';
import { CONV_OPTIONS, type NormalizedConvOptions, type PaddingMode, type SpatialRank, intTuple, normalizeConvOptions } from '../functional/conv-options';
import { Tensor } from '../tensor';
import { is, message, rangeError, typeError } from '../validate';
import { uniformParameter } from './init';
import { Module } from './module';

export interface ConvLayerOptions {
  stride?: number | readonly number[];
  padding?: number | readonly number[] | 'valid' | 'same';
  dilation?: number | readonly number[];
  groups?: number;
  paddingMode?: PaddingMode;
  /** Add a learnable bias (default true). */
  bias?: boolean;
}

export abstract class ConvLayer extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number[];
  readonly options: NormalizedConvOptions;
  private readonly fn: string;
  private readonly rank: SpatialRank;

  /**
   * The weight (outChannels, inChannels / groups, …kernelSize) and bias are drawn from
   * U(-1/√fanIn, 1/√fanIn) with fanIn = inChannels / groups · ∏ kernelSize: PyTorch's
   * default initialisation.
   */
  protected constructor(
    name: string, rank: SpatialRank, inChannels: number, outChannels: number,
    kernelSize: number | readonly number[], options: ConvLayerOptions | undefined,
  ) {
    super();
    for (const [argument, value] of [['inChannels', inChannels], ['outChannels', outChannels]] as const) {
      if (!is.positiveInteger(value)) {
        throw (typeof value === 'number' ? rangeError : typeError)(name, argument, 'a positive integer', value);
      }
    }
    this.kernelSize = intTuple(name, 'kernelSize', kernelSize, rank, is.positiveInteger, 'a positive integer');
    this.options = normalizeConvOptions(name, rank, options, [...CONV_OPTIONS, 'bias']);
    const useBias = options?.bias ?? true;
    if (typeof useBias !== 'boolean') throw typeError(name, 'options.bias', 'a boolean', useBias);
    const { groups } = this.options;
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new ShapeError(message(name, 'inChannels and outChannels', `divisible by groups = ${groups}`,
        `${inChannels} and ${outChannels}`));
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.fn = name;
    this.rank = rank;
    const fanIn = (inChannels / groups) * this.kernelSize.reduce((a, b) => a * b, 1);
    const bound = 1 / Math.sqrt(fanIn);
    this.weight = uniformParameter(name, 'weight', [outChannels, inChannels / groups, ...this.kernelSize], bound);
    this.bias = useBias ? uniformParameter(name, 'bias', [outChannels], bound) : null;
  }

  override forward(input: Tensor): Tensor {
    return convolve(`${this.fn}.forward`, this.rank, input, this.weight, this.bias, this.options as never);
  }

  override describe(): string {
    const o = this.options;
    return `${this.fn}(${this.inChannels}, ${this.outChannels}, kernelSize=[${this.kernelSize}], ` +
      `stride=[${o.stride}], padding=${typeof o.padding === 'string' ? `'${o.padding}'` : `[${o.padding}]`}, ` +
      `dilation=[${o.dilation}], groups=${o.groups}, bias=${this.bias !== null}, paddingMode='${o.paddingMode}')`;
  }
}
