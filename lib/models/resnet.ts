/**
 * ResNets with torchvision's layout and parameter names (conv1, bn1, layer1.0.conv1,
 * layer2.0.downsample.0, fc, …; BatchNorm buffers as running_mean, running_var,
 * num_batches_tracked), so a torchvision state dict saved as safetensors loads with
 * strict names: resnet18, resnet34 (BasicBlock) and resnet50 (Bottleneck, the stride on
 * the 3×3 convolution: torchvision's "ResNet v1.5").
 */
import { Conv2D } from '../nn/conv2d';
import { Linear } from '../nn/linear';
import { Module } from '../nn/module';
import { BatchNorm2d } from '../nn/normalization';
import { AdaptiveAvgPool2d, MaxPool2d } from '../nn/pool';
import { Sequential } from '../nn/sequential';
import type { Tensor } from '../tensor';
import { checkOptions, positiveInteger } from '../validate';
import { batchNormAddRelu, batchNormRelu } from './batch-norm-relu';

const conv3x3 = (inPlanes: number, outPlanes: number, stride = 1) =>
  new Conv2D(inPlanes, outPlanes, 3, { stride, padding: 1, bias: false });
const conv1x1 = (inPlanes: number, outPlanes: number, stride = 1) =>
  new Conv2D(inPlanes, outPlanes, 1, { stride, bias: false });

/** Two 3×3 convolutions with BatchNorm, and the skip connection (torchvision's BasicBlock). */
export class BasicBlock extends Module {
  static readonly expansion = 1;
  conv1: Conv2D;
  bn1: BatchNorm2d;
  conv2: Conv2D;
  bn2: BatchNorm2d;
  downsample: Sequential | null;

  constructor(inPlanes: number, planes: number, stride = 1, downsample: Sequential | null = null) {
    super();
    this.conv1 = conv3x3(inPlanes, planes, stride);
    this.bn1 = new BatchNorm2d(planes);
    this.conv2 = conv3x3(planes, planes);
    this.bn2 = new BatchNorm2d(planes);
    this.downsample = downsample;
  }

  override forward(x: Tensor): Tensor {
    const out = this.conv2.forward(batchNormRelu(this.bn1, this.conv1.forward(x)));
    return batchNormAddRelu(this.bn2, out, this.downsample ? this.downsample.forward(x) : x);
  }
}

/** 1×1 reduce, 3×3 (with the stride), 1×1 expand by 4, each with BatchNorm, and the skip (torchvision's Bottleneck). */
export class Bottleneck extends Module {
  static readonly expansion = 4;
  conv1: Conv2D;
  bn1: BatchNorm2d;
  conv2: Conv2D;
  bn2: BatchNorm2d;
  conv3: Conv2D;
  bn3: BatchNorm2d;
  downsample: Sequential | null;

  constructor(inPlanes: number, planes: number, stride = 1, downsample: Sequential | null = null) {
    super();
    this.conv1 = conv1x1(inPlanes, planes);
    this.bn1 = new BatchNorm2d(planes);
    this.conv2 = conv3x3(planes, planes, stride);
    this.bn2 = new BatchNorm2d(planes);
    this.conv3 = conv1x1(planes, planes * Bottleneck.expansion);
    this.bn3 = new BatchNorm2d(planes * Bottleneck.expansion);
    this.downsample = downsample;
  }

  override forward(x: Tensor): Tensor {
    let out = batchNormRelu(this.bn1, this.conv1.forward(x));
    out = batchNormRelu(this.bn2, this.conv2.forward(out));
    return batchNormAddRelu(this.bn3, this.conv3.forward(out), this.downsample ? this.downsample.forward(x) : x);
  }
}

type BlockClass = (typeof BasicBlock | typeof Bottleneck);

export interface ResNetOptions {
  /** Outputs of the final Linear layer (default 1000, ImageNet's classes). */
  numClasses?: number;
  /** Channels of the input images (default 3). */
  inChannels?: number;
}

/**
 * torchvision's ResNet: a 7×7 stride-2 stem with BatchNorm, ReLU and 3×3 stride-2 max
 * pooling, four stages of blocks (64, 128, 256, 512 planes; the later three start with
 * stride 2), global average pooling and a Linear classifier. Input (N, inChannels, H, W),
 * output (N, numClasses) logits.
 */
export class ResNet extends Module {
  conv1: Conv2D;
  bn1: BatchNorm2d;
  maxpool: MaxPool2d;
  layer1: Sequential;
  layer2: Sequential;
  layer3: Sequential;
  layer4: Sequential;
  avgpool: AdaptiveAvgPool2d;
  fc: Linear;

  constructor(block: BlockClass, layers: readonly [number, number, number, number], options?: ResNetOptions) {
    super();
    const fn = 'ResNet';
    const o = checkOptions(fn, options, ['numClasses', 'inChannels']);
    const numClasses = o.numClasses ?? 1000, inChannels = o.inChannels ?? 3;
    positiveInteger(fn, 'options.numClasses', numClasses);
    positiveInteger(fn, 'options.inChannels', inChannels);
    let inPlanes = 64;
    const stage = (planes: number, blocks: number, stride: number) => {
      const out = planes * block.expansion;
      const downsample = stride !== 1 || inPlanes !== out ? new Sequential(conv1x1(inPlanes, out, stride), new BatchNorm2d(out)) : null;
      const members: Module[] = [new block(inPlanes, planes, stride, downsample)];
      inPlanes = out;
      for (let i = 1; i < blocks; i++) members.push(new block(inPlanes, planes));
      return new Sequential(...members);
    };
    this.conv1 = new Conv2D(inChannels as number, 64, 7, { stride: 2, padding: 3, bias: false });
    this.bn1 = new BatchNorm2d(64);
    this.maxpool = new MaxPool2d(3, { stride: 2, padding: 1 });
    this.layer1 = stage(64, layers[0], 1);
    this.layer2 = stage(128, layers[1], 2);
    this.layer3 = stage(256, layers[2], 2);
    this.layer4 = stage(512, layers[3], 2);
    this.avgpool = new AdaptiveAvgPool2d(1);
    this.fc = new Linear(512 * block.expansion, numClasses as number);
  }

  override forward(x: Tensor): Tensor {
    let y = this.maxpool.forward(batchNormRelu(this.bn1, this.conv1.forward(x)));
    y = this.layer4.forward(this.layer3.forward(this.layer2.forward(this.layer1.forward(y))));
    const pooled = this.avgpool.forward(y);
    return this.fc.forward(pooled.reshape([pooled.shape[0], pooled.shape[1]]));
  }
}

/** ResNet-18 (BasicBlock × [2, 2, 2, 2]). */
export const resnet18 = (options?: ResNetOptions) => new ResNet(BasicBlock, [2, 2, 2, 2], options);
/** ResNet-34 (BasicBlock × [3, 4, 6, 3]). */
export const resnet34 = (options?: ResNetOptions) => new ResNet(BasicBlock, [3, 4, 6, 3], options);
/** ResNet-50 (Bottleneck × [3, 4, 6, 3]). */
export const resnet50 = (options?: ResNetOptions) => new ResNet(Bottleneck, [3, 4, 6, 3], options);
