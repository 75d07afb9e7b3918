/**
 * Normalisation layers as PyTorch's: BatchNorm1d/2d/3d (running statistics as buffers,
 * saved under PyTorch's names), LayerNorm, GroupNorm.
 */
import { ShapeError } from '../errors';
import { batchNorm, checkNormalizedShape, groupNorm, layerNorm } from '../functional/normalization';
import { Tensor, assertTensor } from '../tensor';
import { booleanOption, checkOptions, formatShape, is, message, nonNegativeNumber, positiveInteger, rangeError, typeError } from '../validate';
import { Module } from './module';

export interface BatchNormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Weight of each batch in the running statistics (default 0.1); null: a cumulative average. */
  momentum?: number | null;
  /** A learnable weight (ones) and bias (zeros) (default true). */
  affine?: boolean;
  /** Keep running statistics for evaluation (default true); without them every forward uses the batch's. */
  trackRunningStats?: boolean;
}

const parameter = (values: Float32Array, shape: number[]) => new Tensor(values, shape, { requiresGrad: true });

abstract class BatchNormBase extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  weight: Tensor | null;
  bias: Tensor | null;
  /** The input ranks this layer takes, and how to describe them. */
  protected abstract readonly ranks: readonly number[];
  protected abstract readonly expectedShape: string;

  constructor(numFeatures: number, options?: BatchNormOptions) {
    super();
    const fn = this.constructor.name;
    this.numFeatures = positiveInteger(fn, 'numFeatures', numFeatures);
    const o = checkOptions(fn, options, ['eps', 'momentum', 'affine', 'trackRunningStats']);
    this.eps = nonNegativeNumber(fn, 'options.eps', o.eps ?? 1e-5);
    const momentum = o.momentum === undefined ? 0.1 : o.momentum;
    if (momentum !== null && !is.finite(momentum)) throw typeError(fn, 'options.momentum', 'a finite number or null', momentum);
    this.momentum = momentum;
    this.affine = booleanOption(fn, 'options.affine', o.affine, true);
    this.trackRunningStats = booleanOption(fn, 'options.trackRunningStats', o.trackRunningStats, true);
    this.weight = this.affine ? parameter(new Float32Array(numFeatures).fill(1), [numFeatures]) : null;
    this.bias = this.affine ? parameter(new Float32Array(numFeatures), [numFeatures]) : null;
    const track = this.trackRunningStats;
    this.registerBuffer('running_mean', track ? Tensor.zeros([numFeatures]) : null);
    this.registerBuffer('running_var', track ? Tensor.ones([numFeatures]) : null);
    this.registerBuffer('num_batches_tracked', track ? Tensor.zeros([]) : null, { integer: true });
  }

  /** The running mean (PyTorch's running_mean), null without trackRunningStats. */
  get runningMean(): Tensor | null {
    return this.buffer('running_mean');
  }

  /** The running variance (unbiased), null without trackRunningStats. */
  get runningVar(): Tensor | null {
    return this.buffer('running_var');
  }

  /** Training batches seen (a scalar tensor), null without trackRunningStats. */
  get numBatchesTracked(): Tensor | null {
    return this.buffer('num_batches_tracked');
  }

  /** Sets the running statistics back to mean 0, variance 1, no batches. */
  resetRunningStats(): void {
    this.runningMean?.data.fill(0);
    this.runningVar?.data.fill(1);
    this.numBatchesTracked?.data.fill(0);
  }

  override forward(input: Tensor): Tensor {
    const fn = this.constructor.name;
    assertTensor(fn, 'input', input);
    if (!this.ranks.includes(input.shape.length)) {
      throw new ShapeError(message(fn, 'input.shape', this.expectedShape, formatShape(input.shape)));
    }
    if (input.shape[1] !== this.numFeatures) {
      throw new ShapeError(message(fn, 'input.shape[1]', `${this.numFeatures} (numFeatures)`, formatShape(input.shape)));
    }
    let momentum = this.momentum ?? 0;
    const batches = this.numBatchesTracked;
    const counting = this.training && batches !== null;
    if (counting && this.momentum === null) momentum = 1 / (batches.data[0] + 1); // a cumulative moving average
    // As PyTorch: batch statistics in training, and always without running ones.
    const useBatch = this.training || this.runningMean === null;
    const output = batchNorm(input, this.runningMean, this.runningVar, this.weight, this.bias,
      { training: useBatch, momentum, eps: this.eps });
    if (counting) batches.data[0] += 1; // only once the batch was taken
    return output;
  }

  override describe(): string {
    return `${this.constructor.name}(${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, ` +
      `affine=${this.affine}, trackRunningStats=${this.trackRunningStats})`;
  }
}

/** Batch normalisation of (N, C) or (N, C, L) inputs (PyTorch's nn.BatchNorm1d). */
export class BatchNorm1d extends BatchNormBase {
  protected readonly ranks = [2, 3];
  protected readonly expectedShape = '2-D (N, C) or 3-D (N, C, L)';
}

/** Batch normalisation of (N, C, H, W) inputs (PyTorch's nn.BatchNorm2d). */
export class BatchNorm2d extends BatchNormBase {
  protected readonly ranks = [4];
  protected readonly expectedShape = '4-D (N, C, H, W)';
}

/** Batch normalisation of (N, C, D, H, W) inputs (PyTorch's nn.BatchNorm3d). */
export class BatchNorm3d extends BatchNormBase {
  protected readonly ranks = [5];
  protected readonly expectedShape = '5-D (N, C, D, H, W)';
}

export interface LayerNormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** A learnable weight (ones) and bias (zeros) of normalizedShape (default true). */
  elementwiseAffine?: boolean;
  /** With elementwiseAffine: a bias too (default true). */
  bias?: boolean;
}

/** Layer normalisation over the last dimensions (PyTorch's nn.LayerNorm). */
export class LayerNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  weight: Tensor | null;
  bias: Tensor | null;

  constructor(normalizedShape: number | readonly number[], options?: LayerNormOptions) {
    super();
    const fn = 'LayerNorm';
    const shape = checkNormalizedShape(fn, normalizedShape);
    const o = checkOptions(fn, options, ['eps', 'elementwiseAffine', 'bias']);
    this.normalizedShape = [...shape];
    this.eps = nonNegativeNumber(fn, 'options.eps', o.eps ?? 1e-5);
    const affine = booleanOption(fn, 'options.elementwiseAffine', o.elementwiseAffine, true);
    const withBias = booleanOption(fn, 'options.bias', o.bias, true);
    const size = shape.reduce((a: number, d: number) => a * d, 1);
    this.weight = affine ? parameter(new Float32Array(size).fill(1), [...shape]) : null;
    this.bias = affine && withBias ? parameter(new Float32Array(size), [...shape]) : null;
  }

  override forward(input: Tensor): Tensor {
    return layerNorm(input, this.normalizedShape, this.weight, this.bias, { eps: this.eps });
  }

  override describe(): string {
    return `LayerNorm(${formatShape(this.normalizedShape)}, eps=${this.eps}, elementwiseAffine=${this.weight !== null})`;
  }
}

export interface GroupNormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** A learnable weight (ones) and bias (zeros) per channel (default true). */
  affine?: boolean;
}

/** Group normalisation (PyTorch's nn.GroupNorm). */
export class GroupNorm extends Module {
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;
  weight: Tensor | null;
  bias: Tensor | null;

  constructor(numGroups: number, numChannels: number, options?: GroupNormOptions) {
    super();
    const fn = 'GroupNorm';
    this.numGroups = positiveInteger(fn, 'numGroups', numGroups);
    this.numChannels = positiveInteger(fn, 'numChannels', numChannels);
    if (numChannels % numGroups !== 0) {
      throw rangeError(fn, 'numChannels', `a multiple of numGroups (${numGroups})`, numChannels);
    }
    const o = checkOptions(fn, options, ['eps', 'affine']);
    this.eps = nonNegativeNumber(fn, 'options.eps', o.eps ?? 1e-5);
    const affine = booleanOption(fn, 'options.affine', o.affine, true);
    this.weight = affine ? parameter(new Float32Array(numChannels).fill(1), [numChannels]) : null;
    this.bias = affine ? parameter(new Float32Array(numChannels), [numChannels]) : null;
  }

  override forward(input: Tensor): Tensor {
    const fn = 'GroupNorm';
    assertTensor(fn, 'input', input);
    if (input.shape.length >= 2 && input.shape[1] !== this.numChannels) {
      throw new ShapeError(message(fn, 'input.shape[1]', `${this.numChannels} (numChannels)`, formatShape(input.shape)));
    }
    return groupNorm(input, this.numGroups, this.weight, this.bias, { eps: this.eps });
  }

  override describe(): string {
    return `GroupNorm(${this.numGroups}, ${this.numChannels}, eps=${this.eps}, affine=${this.weight !== null})`;
  }
}
