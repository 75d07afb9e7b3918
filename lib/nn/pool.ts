/** Pooling layers (PyTorch's nn.MaxPool2d, nn.AvgPool2d and the adaptive ones), checked once at construction. */
import { type AvgPool2dOptions, type Pool2dOptions, avgPool2d, maxPool2d, normalizePoolOptions } from '../functional/pool';
import { adaptiveAvgPool2d, adaptiveMaxPool2d, checkOutputSize } from '../functional/adaptive-pool';
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

type OutputSize = number | readonly [number | null, number | null];

/** An adaptive pooling layer: the output size, checked once; the subclass names the function. */
abstract class AdaptivePool extends Module {
  readonly outputSize: OutputSize;
  protected abstract readonly pool: (input: Tensor, outputSize: OutputSize) => Tensor;

  constructor(outputSize: OutputSize) {
    super();
    checkOutputSize(this.constructor.name, outputSize);
    this.outputSize = typeof outputSize === 'number' ? outputSize : [outputSize[0], outputSize[1]];
  }

  override forward(input: Tensor): Tensor {
    return this.pool(input, this.outputSize);
  }

  override describe(): string {
    return `${this.constructor.name}(outputSize=${JSON.stringify(this.outputSize)})`;
  }
}

/** Adaptive average pooling to a given output size (PyTorch's nn.AdaptiveAvgPool2d). */
export class AdaptiveAvgPool2d extends AdaptivePool {
  protected readonly pool = adaptiveAvgPool2d;
}

/** Adaptive max pooling to a given output size (PyTorch's nn.AdaptiveMaxPool2d). */
export class AdaptiveMaxPool2d extends AdaptivePool {
  protected readonly pool = adaptiveMaxPool2d;
}
