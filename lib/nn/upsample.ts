/** Upsampling as a layer (PyTorch's nn.Upsample): interpolate with fixed options. */
import { type InterpolateOptions, interpolate } from '../functional/interpolate';
import type { Tensor } from '../tensor';
import { checkOptions } from '../validate';
import { Module } from './module';

export class Upsample extends Module {
  readonly options: Readonly<InterpolateOptions>;

  constructor(options: InterpolateOptions) {
    super();
    checkOptions('Upsample', options, ['size', 'scaleFactor', 'mode', 'alignCorners']);
    this.options = Object.freeze({ ...options });
  }

  override forward(input: Tensor): Tensor {
    return interpolate(input, this.options);
  }

  override describe(): string {
    return `Upsample(${JSON.stringify(this.options)})`;
  }
}
