/** convcore: fast, exact 2-D cross-correlation with autograd, on a native N-API core. */
export { Tensor } from './tensor';
export type { Shape, TensorOptions, RandomOptions } from './tensor';
export type { NestedArray } from './nested';
export { noGrad, isGradEnabled } from './autograd';
export { manualSeed } from './random';

export { conv2d, conv2dAsync, conv2dBackward, conv2dBackwardAsync } from './functional/conv2d';
export type {
  Conv2dOptions, Conv2dBackwardOptions, Conv2dForwardOptions, Conv2dGradients, Conv2dGradientMask,
} from './functional/conv2d';
export { conv1d, conv1dAsync, conv1dBackward, conv1dBackwardAsync } from './functional/conv1d';
export type { Conv1dOptions, Conv1dBackwardOptions, Conv1dForwardOptions } from './functional/conv1d';
export { conv3d, conv3dAsync, conv3dBackward, conv3dBackwardAsync } from './functional/conv3d';
export type { Conv3dOptions, Conv3dBackwardOptions, Conv3dForwardOptions } from './functional/conv3d';
export type { ConvGradients, ConvGradientMask } from './functional/conv';
export type { PaddingMode } from './functional/conv-options';
export { corr1d, corr2d, corr3d, convolve2d } from './functional/correlate';
export { conv2dAsDense } from './functional/dense';
export { mseLoss } from './functional/loss';
export type { Reduction } from './functional/loss';

export { Module } from './nn/module';
export { Conv2D } from './nn/conv2d';
export type { Conv2DOptions } from './nn/conv2d';
export { Conv1D } from './nn/conv1d';
export type { Conv1DOptions } from './nn/conv1d';
export { Conv3D } from './nn/conv3d';
export type { Conv3DOptions } from './nn/conv3d';
export { SGD } from './optim/sgd';
export type { SGDOptions } from './optim/sgd';

export { setBackend, getBackend } from './backend';
export type { BackendName } from './backend';
export { setNumThreads, getNumThreads, isa } from './threads';
export {
  ArgumentTypeError, ArgumentRangeError, ShapeError, UnknownOptionError, AutogradError, NativeBindingError,
} from './errors';
