/** Conv2D: torch.nn.Conv2d. */
import type { Conv2dOptions } from '../functional/conv2d';
import { ConvLayer } from './conv';

export interface Conv2DOptions extends Conv2dOptions {
  /** Add a learnable bias (default true). */
  bias?: boolean;
}

export class Conv2D extends ConvLayer {
  /** `kernelSize` is a positive integer or [kH, kW]. */
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly [number, number], options?: Conv2DOptions) {
    super('Conv2D', 2, inChannels, outChannels, kernelSize, options);
  }
}
