/** convcore: fast, exact 2-D cross-correlation with autograd, on a native N-API core. */
export { Tensor } from './tensor';
export { whereOp as where } from './tensor-ops';
export type { OutOption } from './tensor-ops';
export { cat, stack, split, chunk, narrow, permute, transpose, flatten, squeeze, unsqueeze } from './shape-ops';
export type { Shape, TensorOptions, RandomOptions } from './tensor';
export type { NestedArray } from './nested';
export { noGrad, isGradEnabled } from './autograd';
export { defineFunction, FunctionContext } from './custom-function';
export type { FunctionDefinition } from './custom-function';
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
export {
  convTranspose1d, convTranspose2d, convTranspose3d, convTranspose1dAsync, convTranspose2dAsync, convTranspose3dAsync,
  convTranspose1dBackward, convTranspose2dBackward, convTranspose3dBackward,
} from './functional/conv-transpose';
export type { ConvTransposeOptions, ConvTransposeBackwardOptions, ConvTransposeGradients } from './functional/conv-transpose';
export { corr1d, corr2d, corr3d, convolve2d } from './functional/correlate';
export { conv2dAsDense } from './functional/dense';
export { mseLoss, crossEntropy } from './functional/loss';
export type { Reduction, Labels, CrossEntropyOptions } from './functional/loss';
export { matmul, linear } from './functional/linear';
export { relu, sigmoid, tanh, leakyRelu, relu6, hardtanh, silu, gelu, hardswish, softmax } from './functional/activation';
export { logSoftmax } from './functional/softmax';
export { maxPool2d, maxPool2dWithIndices, avgPool2d } from './functional/pool';
export { adaptiveAvgPool2d, adaptiveMaxPool2d } from './functional/adaptive-pool';
export { interpolate } from './functional/interpolate';
export type { InterpolateOptions, InterpolateMode } from './functional/interpolate';
export type { Pool2dOptions, AvgPool2dOptions, MaxPoolResult } from './functional/pool';
export { dropout } from './functional/dropout';
export { batchNorm, layerNorm, groupNorm } from './functional/normalization';
export type { BatchNormOptions as BatchNormFunctionOptions, NormOptions } from './functional/normalization';

export { Module } from './nn/module';
export { Conv2D } from './nn/conv2d';
export type { Conv2DOptions } from './nn/conv2d';
export { Conv1D } from './nn/conv1d';
export type { Conv1DOptions } from './nn/conv1d';
export { Conv3D } from './nn/conv3d';
export type { Conv3DOptions } from './nn/conv3d';
export { ConvTranspose1d, ConvTranspose2d, ConvTranspose3d } from './nn/conv-transpose';
export type { ConvTransposeLayerOptions } from './nn/conv-transpose';
export { Sequential } from './nn/sequential';
export { ModuleList, ModuleDict } from './nn/containers';
export { Linear } from './nn/linear';
export type { LinearOptions } from './nn/linear';
export { ReLU, Sigmoid, Tanh, ReLU6, SiLU, Hardswish, LeakyReLU, GELU, Softmax, Identity } from './nn/activation';
export { MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, AdaptiveMaxPool2d } from './nn/pool';
export { Flatten } from './nn/flatten';
export { Upsample } from './nn/upsample';
export { Dropout } from './nn/dropout';
export type { DropoutOptions } from './nn/dropout';
export { BatchNorm1d, BatchNorm2d, BatchNorm3d, LayerNorm, GroupNorm } from './nn/normalization';
export type { BatchNormOptions, LayerNormOptions, GroupNormOptions } from './nn/normalization';

export * as models from './models/index';
export * as init from './nn/init-exports';
export { clipGradNorm } from './nn/clip-grad';

export { Optimizer } from './optim/optimizer';
export { SGD } from './optim/sgd';
export type { SGDOptions } from './optim/sgd';
export { Adam, AdamW } from './optim/adam';
export type { AdamOptions } from './optim/adam';
export { StepLR, CosineAnnealingLR, LinearLR, LambdaLR, OneCycleLR } from './optim/lr-scheduler';
export type { OneCycleOptions } from './optim/lr-scheduler';

export { DataLoader } from './data/loader';
export type { DataLoaderOptions, Batch } from './data/loader';
export { loadMnist } from './data/mnist';
export * as transforms from './data/transforms';
export type { Dataset, MnistSplit } from './data/mnist';
export { saveSafetensors, loadSafetensors, serializeSafetensors, parseSafetensors } from './io/safetensors';
export type { Safetensors, SafetensorsWriteOptions, WriteDtype } from './io/safetensors';

export { setBackend, getBackend } from './backend';
export type { BackendName } from './backend';
export { setNumThreads, getNumThreads, isa } from './threads';
export { setAsyncMemoryLimit, getAsyncMemoryLimit, asyncMemoryInUse } from './async-memory';
export { setCacheLimit, getCacheLimit, emptyCache } from './memory-cache';
export {
  ArgumentTypeError, ArgumentRangeError, ShapeError, UnknownOptionError, AutogradError, NativeBindingError, ImageDecodeError,
  OutputPathError, ResourceLimitError, QueueError,
} from './errors';

export { imageToTensor, tensorToImage } from './image/codec';
export type { DecodedImage, DecodeOptions, EncodeOptions, PixelMapping, ImageFormat } from './image/codec';
export { filterImage, filterImages } from './image/batch';
export type { FilterOptions, FilterImagesOptions, FilterSummary, ImageResult } from './image/batch';
export type { BorderMode } from './image/filter-engine';
export type { FilterSpec } from './image/filters';

export { enqueueFilterImages } from './queue/enqueue';
export type { EnqueueFilterOptions, EnqueuedBatch } from './queue/enqueue';
export { startFilterWorker } from './queue/worker';
export type { FilterWorker, FilterWorkerOptions } from './queue/worker';
export { batchStatus, waitForBatch, recentBatches } from './queue/batch-progress';
export type { BatchStatus, WaitForBatchOptions } from './queue/batch-progress';
