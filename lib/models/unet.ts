/**
 * A small U-Net (Ronneberger et al., 2015) as torch users write it: `depth` encoder
 * stages of two 3×3 convolutions with BatchNorm and ReLU, each followed by 2×2 max
 * pooling; a bottleneck stage; decoder stages that upsample by a 2×2 stride-2
 * transposed convolution, concatenate the encoder's features of that size and apply two
 * convolutions; a 1×1 convolution to `outChannels` logits. H and W must be multiples of
 * 2^depth. Padded convolutions, so the output has the input's size.
 */
import { ShapeError } from '../errors';
import { Conv2D } from '../nn/conv2d';
import { ConvTranspose2d } from '../nn/conv-transpose';
import { ModuleList } from '../nn/containers';
import { Module } from '../nn/module';
import { BatchNorm2d } from '../nn/normalization';
import { MaxPool2d } from '../nn/pool';
import { cat } from '../shape-ops';
import { Tensor, assertTensor } from '../tensor';
import { checkOptions, formatShape, message, positiveInteger } from '../validate';
import { batchNormRelu } from './batch-norm-relu';

/** conv3×3-BN-ReLU twice. */
export class DoubleConv extends Module {
  conv1: Conv2D;
  bn1: BatchNorm2d;
  conv2: Conv2D;
  bn2: BatchNorm2d;

  constructor(inChannels: number, outChannels: number) {
    super();
    this.conv1 = new Conv2D(inChannels, outChannels, 3, { padding: 1, bias: false });
    this.bn1 = new BatchNorm2d(outChannels);
    this.conv2 = new Conv2D(outChannels, outChannels, 3, { padding: 1, bias: false });
    this.bn2 = new BatchNorm2d(outChannels);
  }

  override forward(x: Tensor): Tensor {
    return batchNormRelu(this.bn2, this.conv2.forward(batchNormRelu(this.bn1, this.conv1.forward(x))));
  }
}

export interface UNetOptions {
  /** Input channels (default 1). */
  inChannels?: number;
  /** Output channels: classes per pixel (default 2). */
  outChannels?: number;
  /** Channels of the first stage, doubled at each level down (default 16). */
  baseChannels?: number;
  /** Poolings (default 3). */
  depth?: number;
}

export class UNet extends Module {
  readonly depth: number;
  down: ModuleList;
  bottleneck: DoubleConv;
  up: ModuleList;
  decode: ModuleList;
  head: Conv2D;
  private readonly pool = new MaxPool2d(2);

  constructor(options?: UNetOptions) {
    super();
    const fn = 'UNet';
    const o = checkOptions(fn, options, ['inChannels', 'outChannels', 'baseChannels', 'depth']);
    const count = (name: string, value: unknown, fallback: number) => positiveInteger(fn, `options.${name}`, value ?? fallback);
    const inChannels = count('inChannels', o.inChannels, 1), outChannels = count('outChannels', o.outChannels, 2);
    const base = count('baseChannels', o.baseChannels, 16);
    this.depth = count('depth', o.depth, 3);
    const widths = Array.from({ length: this.depth + 1 }, (_, i) => base * 2 ** i);
    this.down = new ModuleList(widths.slice(0, -1).map((w, i) => new DoubleConv(i === 0 ? inChannels : widths[i - 1], w)));
    this.bottleneck = new DoubleConv(widths[this.depth - 1], widths[this.depth]);
    this.up = new ModuleList(widths.slice(1).reverse().map((w) => new ConvTranspose2d(w, w / 2, 2, { stride: 2 })));
    this.decode = new ModuleList(widths.slice(0, -1).reverse().map((w) => new DoubleConv(2 * w, w)));
    this.head = new Conv2D(base, outChannels, 1);
  }

  override forward(x: Tensor): Tensor {
    assertTensor('UNet.forward', 'input', x);
    const step = 2 ** this.depth;
    if (x.shape.length !== 4 || x.shape[2] % step !== 0 || x.shape[3] % step !== 0) {
      throw new ShapeError(message('UNet.forward', 'input.shape', `(N, C, H, W) with H and W multiples of ${step}`, formatShape(x.shape)));
    }
    const skips: Tensor[] = [];
    let y = x;
    for (const stage of this.down) {
      y = stage.forward(y);
      skips.push(y);
      y = this.pool.forward(y);
    }
    y = this.bottleneck.forward(y);
    for (let i = 0; i < this.depth; i++) {
      y = cat([this.up[i].forward(y), skips[this.depth - 1 - i]], 1);
      y = this.decode[i].forward(y);
    }
    return this.head.forward(y);
  }
}

/** A small U-Net (see UNet). */
export const unet = (options?: UNetOptions) => new UNet(options);
