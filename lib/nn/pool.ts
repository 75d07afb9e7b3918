/** Pooling layers (PyTorch's nn.MaxPool2d and nn.AvgPool2d), checked once at construction. */
import { type AvgPool2dOptions, type Pool2dOptions, avgPool2d, maxPool2d, normalizePoolOptions } from '../functional/pool';
import type { Tensor } from '../tensor';
import { Module } from './module';

type KernelSize = number | readonly [number, number];

function settings(kernelSize: KernelSize, options: object | undefined): string {
  const extra = Object.entries(options ?? {}).map(([k, v]) => `, ${k}=${JSON.stringify(v)}`).join('');
  return `kernelSize=${JSON.stringify(kernelSize)}${extra}`;
}

export class MaxPool2d extends Module {
  readonly kernelSize: KernelSize;
  readonly options: Readonly<Pool2dOptions>;

  constructor(kernelSize: KernelSize, options?: Pool2dOptions) {
    super();
    normalizePoolOptions('MaxPool2d', kernelSize, options, false);
    this.kernelSize = typeof kernelSize === 'number' ? kernelSize : [kernelSize[0], kernelSize[1]];
    this.options = Object.freeze({ ...options });
  }

  override forward(input: Tensor): Tensor {
    return maxPool2d(input, this.kernelSize, this.options);
  }

  override describe(): string {
    return `MaxPool2d(${settings(this.kernelSize, this.options)})`;
  }
}

export class AvgPool2d extends Module {
  readonly kernelSize: KernelSize;
  readonly options: Readonly<AvgPool2dOptions>;

  constructor(kernelSize: KernelSize, options?: AvgPool2dOptions) {
    super();
    normalizePoolOptions('AvgPool2d', kernelSize, options, true);
    this.kernelSize = typeof kernelSize === 'number' ? kernelSize : [kernelSize[0], kernelSize[1]];
    this.options = Object.freeze({ ...options });
  }

  override forward(input: Tensor): Tensor {
    return avgPool2d(input, this.kernelSize, this.options);
  }

  override describe(): string {
    return `AvgPool2d(${settings(this.kernelSize, this.options)})`;
  }
}
