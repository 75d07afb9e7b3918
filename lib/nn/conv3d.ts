/** Conv3D: torch.nn.Conv3d, for (N, C, D, H, W) volumes. */
import type { Conv3dOptions } from '../functional/conv3d';
import { ConvLayer } from './conv';

export interface Conv3DOptions extends Conv3dOptions {
  /** Add a learnable bias (default true). */
  bias?: boolean;
}

export class Conv3D extends ConvLayer {
  /** `kernelSize` is a positive integer or [kD, kH, kW]. */
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly [number, number, number], options?: Conv3DOptions) {
    super('Conv3D', 3, inChannels, outChannels, kernelSize, options);
  }
}
