/** Model definitions with torchvision's layouts and parameter names (imported as `models`). */
export { BasicBlock, Bottleneck, ResNet, resnet18, resnet34, resnet50 } from './resnet';
export type { ResNetOptions } from './resnet';
export { DoubleConv, UNet, unet } from './unet';
export type { UNetOptions } from './unet';
