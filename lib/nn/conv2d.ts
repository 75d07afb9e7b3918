/** Conv2D: a weight and an optional bias around conv2d, initialised as PyTorch does. */
import { conv2d } from '../functional/conv2d';
import {
  CONV2D_OPTIONS, type Conv2dOptions, type NormalizedConv2dOptions, normalizeConv2dOptions,
} from '../functional/conv2d-options';
import { ShapeError } from '../errors';
import { randomFor } from '../random';
import { Tensor } from '../tensor';
import { intPair, is, message, rangeError, typeError } from '../validate';
import { Module } from './module';

export interface Conv2DOptions extends Conv2dOptions {
  /** Add a learnable bias (default true). */
  bias?: boolean;
}

/** Uniform in [-bound, bound), from the global generator (see manualSeed). */
function uniformTensor(shape: number[], bound: number): Tensor {
  const random = randomFor(undefined);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = (random.uniform() * 2 - 1) * bound;
  return new Tensor(data, shape, { requiresGrad: true });
}

export class Conv2D extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly options: NormalizedConv2dOptions;

  /**
   * `kernelSize` is a positive integer or [kH, kW]. The weight (outChannels,
   * inChannels / groups, kH, kW) and bias are drawn from U(-1/√fanIn, 1/√fanIn) with
   * fanIn = inChannels / groups · kH · kW: PyTorch's default initialisation.
   */
  constructor(inChannels: number, outChannels: number, kernelSize: number | [number, number], options?: Conv2DOptions) {
    super();
    const fn = 'Conv2D';
    for (const [name, value] of [['inChannels', inChannels], ['outChannels', outChannels]] as const) {
      if (!is.positiveInteger(value)) {
        throw (typeof value === 'number' ? rangeError : typeError)(fn, name, 'a positive integer', value);
      }
    }
    this.kernelSize = intPair(fn, 'kernelSize', kernelSize, is.positiveInteger, 'a positive integer');
    this.options = normalizeConv2dOptions(fn, options, [...CONV2D_OPTIONS, 'bias']);
    const useBias = options?.bias ?? true;
    if (typeof useBias !== 'boolean') throw typeError(fn, 'options.bias', 'a boolean', useBias);
    const { groups } = this.options;
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new ShapeError(message(fn, 'inChannels and outChannels', `divisible by groups = ${groups}`,
        `${inChannels} and ${outChannels}`));
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    const [kh, kw] = this.kernelSize;
    const bound = 1 / Math.sqrt((inChannels / groups) * kh * kw);
    this.weight = uniformTensor([outChannels, inChannels / groups, kh, kw], bound);
    this.bias = useBias ? uniformTensor([outChannels], bound) : null;
  }

  override forward(input: Tensor): Tensor {
    return conv2d(input, this.weight, this.bias, this.options as Conv2dOptions);
  }

  override toString(): string {
    const o = this.options;
    return `Conv2D(${this.inChannels}, ${this.outChannels}, kernelSize=[${this.kernelSize}], ` +
      `stride=[${o.stride}], padding=${typeof o.padding === 'string' ? `'${o.padding}'` : `[${o.padding}]`}, ` +
      `dilation=[${o.dilation}], groups=${o.groups}, bias=${this.bias !== null}, paddingMode='${o.paddingMode}')`;
  }
}
