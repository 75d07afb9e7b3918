/** A fully connected layer: y = x·Wᵀ + b, as PyTorch's nn.Linear. */
import { linear } from '../functional/linear';
import type { Tensor } from '../tensor';
import { checkOptions, is, rangeError, typeError } from '../validate';
import { uniformParameter } from './init';
import { Module } from './module';

export interface LinearOptions {
  /** Add a learnable bias (default true). */
  bias?: boolean;
}

export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;
  readonly inFeatures: number;
  readonly outFeatures: number;

  /** weight (outFeatures, inFeatures) and bias drawn from U(-1/√inFeatures, 1/√inFeatures). */
  constructor(inFeatures: number, outFeatures: number, options?: LinearOptions) {
    super();
    const fn = 'Linear';
    for (const [argument, value] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const) {
      if (!is.positiveInteger(value)) {
        throw (typeof value === 'number' ? rangeError : typeError)(fn, argument, 'a positive integer', value);
      }
    }
    const o = checkOptions(fn, options, ['bias']);
    const useBias = o.bias ?? true;
    if (typeof useBias !== 'boolean') throw typeError(fn, 'options.bias', 'a boolean', useBias);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = uniformParameter(fn, 'weight', [outFeatures, inFeatures], bound);
    this.bias = useBias ? uniformParameter(fn, 'bias', [outFeatures], bound) : null;
  }

  override forward(input: Tensor): Tensor {
    return linear(input, this.weight, this.bias);
  }

  override describe(): string {
    return `Linear(inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null})`;
  }
}
