/** Conv1D: torch.nn.Conv1d, for (N, C, L) sequences. */
import type { Conv1dOptions } from '../functional/conv1d';
import { ConvLayer } from './conv';

export interface Conv1DOptions extends Conv1dOptions {
  /** Add a learnable bias (default true). */
  bias?: boolean;
}

export class Conv1D extends ConvLayer {
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly [number], options?: Conv1DOptions) {
    super('Conv1D', 1, inChannels, outChannels, kernelSize, options);
  }
}
