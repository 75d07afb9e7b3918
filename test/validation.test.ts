/**
 * Every bad input gets a named error whose message names the function, the argument,
 * what was expected and what was given, before any native work.
 */
import { describe, expect, test } from 'vitest';
import {
  ArgumentRangeError, ArgumentTypeError, Conv2D, NativeBindingError, SGD, ShapeError, Tensor, UnknownOptionError,
  conv2d, conv2dAsync, conv2dBackward, corr2d, mseLoss, setBackend, setNumThreads,
} from '../lib/index';
import { nativeAddon } from '../lib/binding';
import { type ConvGeometry, packGeometry } from '../lib/geometry';
import { matchFields, packParams } from '../lib/param-blocks';

const x = Tensor.zeros([1, 3, 5, 5]);
const w = Tensor.zeros([2, 3, 3, 3]);

/** Calls conv2d with one option replaced. */
const withOption = (options: object) => () => conv2d(x, w, null, options as never);

describe('conv2d rejects', () => {
  test('an input of the wrong rank', () => {
    expect(() => conv2d(Tensor.zeros([5, 5]), w)).toThrow(ShapeError);
    expect(() => conv2d(Tensor.zeros([5, 5]), w)).toThrow(
      'conv2d: expected input to be a 3-D (C, H, W) or 4-D (N, C, H, W) tensor, but got shape [5, 5] (2-D)');
  });

  test('a weight of the wrong rank', () => {
    expect(() => conv2d(x, Tensor.zeros([3, 3]))).toThrow(
      'conv2d: expected weight to be a 4-D (outChannels, inChannels / groups, kH, kW) tensor, but got shape [3, 3] (2-D)');
  });

  test('a channel count that does not match the weight', () => {
    expect(() => conv2d(Tensor.zeros([1, 4, 5, 5]), w)).toThrow(ShapeError);
    expect(() => conv2d(Tensor.zeros([1, 4, 5, 5]), w)).toThrow(
      'conv2d: expected input.shape[1] (input channels) to be weight.shape[1] × groups = 3 × 1 = 3, ' +
      'but got 4 (input shape [1, 4, 5, 5], weight shape [2, 3, 3, 3])');
  });

  test('a bias of the wrong shape', () => {
    expect(() => conv2d(x, w, Tensor.zeros([3]))).toThrow(
      'conv2d: expected bias to be a 1-D tensor of shape [2] (one value per output channel), but got shape [3]');
  });

  test('groups that do not divide the channels', () => {
    expect(withOption({ groups: 2 })).toThrow(ShapeError);
    expect(withOption({ groups: 2 })).toThrow(
      'conv2d: expected the input channel count (input.shape[1]) to be divisible by groups = 2, but got 3 (input shape [1, 3, 5, 5])');
    expect(() => conv2d(Tensor.zeros([1, 4, 5, 5]), Tensor.zeros([3, 2, 3, 3]), null, { groups: 2 })).toThrow(
      'conv2d: expected the output channel count (weight.shape[0]) to be divisible by groups = 2, but got 3');
  });

  test('a kernel larger than the padded input', () => {
    expect(() => conv2d(x, Tensor.zeros([1, 3, 6, 3]))).toThrow(ShapeError);
    expect(() => conv2d(x, Tensor.zeros([1, 3, 6, 3]))).toThrow(
      'conv2d: expected the dilated kernel size to be at most the padded input size 5 × 5, but got 6 × 3');
    expect(withOption({ dilation: 3 })).toThrow(/at most the padded input size 5 × 5, but got 7 × 7/);
    expect(() => conv2d(x, Tensor.zeros([1, 3, 6, 3]), null, { padding: 1 })).not.toThrow();
  });

  test('a non-integer stride', () => {
    expect(withOption({ stride: 1.5 })).toThrow(ArgumentRangeError);
    expect(withOption({ stride: 1.5 })).toThrow(
      'conv2d: expected options.stride to be a positive integer or a pair of them, but got 1.5');
  });

  test('a zero or negative stride', () => {
    expect(withOption({ stride: 0 })).toThrow('but got 0');
    expect(withOption({ stride: [1, -2] })).toThrow(
      'conv2d: expected options.stride to be a positive integer or a pair of them, but got [1, -2] (an array of 2)');
  });

  test('a zero, negative or non-integer dilation', () => {
    expect(withOption({ dilation: 0 })).toThrow('conv2d: expected options.dilation to be a positive integer or a pair of them, but got 0');
    expect(withOption({ dilation: -1 })).toThrow(ArgumentRangeError);
    expect(withOption({ dilation: 2.5 })).toThrow(ArgumentRangeError);
  });

  test('a negative padding', () => {
    expect(withOption({ padding: -1 })).toThrow(ArgumentRangeError);
    expect(withOption({ padding: -1 })).toThrow(
      "conv2d: expected options.padding to be a non-negative integer (or 'valid' or 'same') or a pair of them, but got -1");
    expect(withOption({ padding: 'full' })).toThrow(
      "conv2d: expected options.padding to be a non-negative integer, a pair of them, 'valid' or 'same', but got 'full' (a string)");
  });

  test("'same' padding with a stride above 1", () => {
    expect(withOption({ padding: 'same', stride: 2 })).toThrow(ArgumentRangeError);
    expect(withOption({ padding: 'same', stride: 2 })).toThrow(
      "conv2d: expected options.stride when options.padding is 'same' to be 1");
  });

  test('reflect padding as large as the input (and circular padding beyond it)', () => {
    const small = Tensor.zeros([1, 3, 3, 3]);
    const opts = { padding: 3, paddingMode: 'reflect' as const };
    expect(() => conv2d(small, w, null, opts)).toThrow(ArgumentRangeError);
    expect(() => conv2d(small, w, null, opts)).toThrow(
      "conv2d: expected options.padding with paddingMode 'reflect' to be less than the input size (H = 3, W = 3) on each side, but got [3, 3]");
    expect(() => conv2d(small, w, null, { padding: 2, paddingMode: 'reflect' })).not.toThrow();
    expect(() => conv2d(small, w, null, { padding: 4, paddingMode: 'circular' })).toThrow(/at most the input size/);
    expect(() => conv2d(small, w, null, { padding: 3, paddingMode: 'circular' })).not.toThrow();
  });

  test('an unknown padding mode', () => {
    expect(withOption({ paddingMode: 'mirror' })).toThrow(
      "conv2d: expected options.paddingMode to be one of 'zeros', 'reflect', 'replicate', 'circular', but got 'mirror' (a string)");
  });

  test('NaN and Infinity in options', () => {
    expect(withOption({ stride: NaN })).toThrow('conv2d: expected options.stride to be a positive integer or a pair of them, but got NaN');
    expect(withOption({ padding: Infinity })).toThrow(/but got Infinity/);
    expect(withOption({ dilation: [1, NaN] })).toThrow(/but got \[1, NaN\]/);
    expect(withOption({ groups: NaN })).toThrow('conv2d: expected options.groups to be a positive integer, but got NaN');
  });

  test('option values of the wrong type', () => {
    expect(withOption({ stride: '2' })).toThrow(ArgumentTypeError);
    expect(withOption({ stride: [1, 2, 3] })).toThrow(/but got \[1, 2, 3\] \(an array of 3\)/);
    expect(() => conv2d(x, w, null, 3 as never)).toThrow('conv2d: expected options to be an object, but got 3');
  });

  test('unknown option names, suggesting the nearest', () => {
    expect(withOption({ strides: 2 })).toThrow(UnknownOptionError);
    expect(withOption({ strides: 2 })).toThrow(
      "conv2d: unknown option 'strides'; did you mean 'stride'? Valid options are: stride, padding, dilation, groups, paddingMode");
    expect(withOption({ padding_mode: 'reflect' })).toThrow(/did you mean 'paddingMode'\?/);
  });

  test('arguments that are not tensors', () => {
    expect(() => conv2d(new Float32Array(75) as never, w)).toThrow(ArgumentTypeError);
    expect(() => conv2d(new Float32Array(75) as never, w)).toThrow(
      'conv2d: expected input to be a Tensor, but got Float32Array(75)');
    expect(() => conv2d(x, [[1]] as never)).toThrow(/expected weight to be a Tensor/);
    expect(() => conv2d(x, w, 3 as never)).toThrow('conv2d: expected bias to be a Tensor, but got 3');
  });

  test('an output too large for any typed array, before allocating it', () => {
    const big = Tensor.zeros([1024, 1, 32, 32]);
    const many = Tensor.zeros([1 << 20, 1, 1, 1]);
    expect(() => conv2d(big, many)).toThrow(ArgumentRangeError);
    expect(() => conv2d(big, many)).toThrow(/expected the output size to be at most 1073741824 elements, but got 1099511627776/);
  });

  test('asynchronous calls reject with the same errors', async () => {
    await expect(conv2dAsync(x, w, null, { stride: 0 })).rejects.toThrow(ArgumentRangeError);
  });
});

describe('other functions reject bad input the same way', () => {
  test('Tensor: data length different from the product of the shape', () => {
    expect(() => new Tensor(new Float32Array(5), [2, 3])).toThrow(ShapeError);
    expect(() => new Tensor(new Float32Array(5), [2, 3])).toThrow(
      'Tensor: expected data.length to be 6 (the product of shape [2, 3]), but got 5');
  });

  test('Tensor: non-Float32 data where float32 is required', () => {
    expect(() => new Tensor(new Float64Array(6) as never, [2, 3])).toThrow(ArgumentTypeError);
    expect(() => new Tensor(new Float64Array(6) as never, [2, 3])).toThrow(
      'Tensor: expected data to be a Float32Array or an array of numbers (convert other data with Float32Array.from), but got Float64Array(6)');
    expect(() => new Tensor(new Int32Array(6) as never)).toThrow(/but got Int32Array\(6\)/);
  });

  test('Tensor: bad shapes and ragged nested arrays', () => {
    expect(() => Tensor.zeros([2, -1])).toThrow('Tensor.full: expected shape to be an array of non-negative integers, but got [2, -1] (an array of 2)');
    expect(() => Tensor.zeros([2.5])).toThrow(ArgumentRangeError);
    expect(() => Tensor.zeros([2 ** 20, 2 ** 20])).toThrow(/at most 1073741824 elements/);
    expect(() => Tensor.fromArray([[1, 2], [3]])).toThrow(ShapeError);
    expect(() => Tensor.fromArray([[1, 2], [3, 'x']] as never)).toThrow("Tensor.fromArray: expected data[1][1] to be a number, but got 'x' (a string)");
  });

  test('gradOutput of the wrong shape', () => {
    expect(() => conv2dBackward(x, w, Tensor.zeros([1, 2, 3, 4]))).toThrow(
      "conv2dBackward: expected gradOutput.shape to be [1, 2, 3, 3] (the shape of conv2d's output), but got [1, 2, 3, 4]");
    expect(() => conv2dBackward(x, w, Tensor.zeros([1, 2, 3, 3]), { compute: { gradInputs: true } } as never)).toThrow(
      /unknown option 'gradInputs'; did you mean 'gradInput'/);
  });

  test('corr2d wants 2-D tensors and a kernel no larger than the image', () => {
    expect(() => corr2d(Tensor.zeros([1, 3, 3]), Tensor.zeros([2, 2]))).toThrow(
      'corr2d: expected X to be a non-empty 2-D (height, width) tensor, but got shape [1, 3, 3]');
    expect(() => corr2d(Tensor.zeros([3, 3]), Tensor.zeros([4, 1]))).toThrow(
      'corr2d: expected K to be no larger than X (3 × 3), but got shape [4, 1]');
  });

  test('Conv2D, SGD, mseLoss, setBackend, setNumThreads', () => {
    expect(() => new Conv2D(0, 1, 3)).toThrow('Conv2D: expected inChannels to be a positive integer, but got 0');
    expect(() => new Conv2D(3, 2, 3, { groups: 2 })).toThrow(/divisible by groups = 2/);
    expect(() => new Conv2D(1, 1, 3, { bias: 'yes' } as never)).toThrow("Conv2D: expected options.bias to be a boolean, but got 'yes' (a string)");
    expect(() => new Conv2D(1, 1, 3, { kernel_size: 3 } as never)).toThrow(UnknownOptionError);
    expect(() => new SGD([], { lr: -1 })).toThrow('SGD: expected options.lr to be a non-negative finite number, but got -1');
    expect(() => new SGD([], { lr: NaN })).toThrow(/but got NaN/);
    expect(() => new SGD([], { lr: 0.1, nesterov: true })).toThrow(/momentum > 0 and dampening = 0/);
    expect(() => new SGD([], { lr: 0.1, weight_decay: 1 } as never)).toThrow(/did you mean 'weightDecay'/);
    expect(() => mseLoss(Tensor.zeros([2]), Tensor.zeros([3]))).toThrow(
      'mseLoss: expected target.shape to be equal to pred.shape [2], but got [3]');
    expect(() => setBackend('gpu' as never)).toThrow("setBackend: expected name to be one of 'native', 'reference', but got 'gpu' (a string)");
    expect(() => setNumThreads(0)).toThrow('setNumThreads: expected threads to be an integer from 1 to 1024, but got 0');
  });
});

describe('the C++ side checks again and never touches memory out of bounds', () => {
  const addon = nativeAddon();
  // A 4×4 image, one 3×3 kernel, a 2×2 output; fields as native/param_blocks.h names them.
  const base: ConvGeometry = {
    batch: 1, inChannels: 1, inDepth: 1, inHeight: 4, inWidth: 4, outChannels: 1,
    kernelDepth: 1, kernelHeight: 3, kernelWidth: 3, outDepth: 1, outHeight: 2, outWidth: 2,
    strideD: 1, strideH: 1, strideW: 1, padFront: 0, padTop: 0, padLeft: 0,
    dilationD: 1, dilationH: 1, dilationW: 1, groups: 1,
  };
  const params = (changes: Partial<ConvGeometry> = {}) => packGeometry({ ...base, ...changes });

  test('wrong buffer sizes and types are errors, not crashes', () => {
    const input = new Float32Array(16), weight = new Float32Array(9), out = new Float32Array(4);
    expect(() => addon.convForward(params(), input, weight, null, out)).not.toThrow();
    expect(() => addon.convForward(params(), new Float32Array(15), weight, null, out)).toThrow(
      'convcore native: expected input to have 16 elements, but it has 15');
    expect(() => addon.convForward(params(), input, weight, null, new Float32Array(3))).toThrow(/output to have 4 elements/);
    expect(() => addon.convForward(params(), input, new Float64Array(9) as never, null, out)).toThrow(/weight to be a Float32Array/);
    expect(() => addon.convForward(params(), input, weight, new Float32Array(2), out)).toThrow(/bias to have 1 elements/);
    expect(() => addon.convBackward(params(), null, weight, out, null, new Float32Array(9), null)).toThrow(/input to be a Float32Array/);
    expect(() => addon.convForward(params({ inDepth: 2 }), input, weight, null, out)).toThrow(/input to have 32 elements/);
  });

  test('argmax and argmin: an empty dimension, a bad op or short buffers are errors', () => {
    const layout = (outer: number, length: number, inner: number) => packParams('argReduceLayout', { outer, length, inner });
    const x = Float32Array.from([3, 1, 4, 1, 5, 9]), out = new Float32Array(2);
    addon.argReduce({ op: 'argmax', layout: layout(2, 3, 1), x, out });
    expect(Array.from(out)).toEqual([2, 2]);
    expect(() => addon.argReduce({ op: 'argmax', layout: layout(2, 0, 1), x: new Float32Array(0), out })).toThrow(
      /at least one element along its dimension/);
    expect(() => addon.argReduce({ op: 'argmax', layout: layout(-1, 3, 1), x, out })).toThrow(/sizes/);
    expect(() => addon.argReduce({ op: 'median', layout: layout(2, 3, 1), x, out })).toThrow(/unknown argument reduction median/);
    expect(() => addon.argReduce({ op: 'argmin', layout: layout(2, 4, 1), x, out })).toThrow(/x to have 8 elements, but it has 6/);
    expect(() => addon.argReduce({ op: 'argmin', layout: layout(3, 2, 1), x, out })).toThrow(/out to have 3 elements/);
  });

  test('parameter blocks are packed by the names the addon exports, and a mismatch is refused', () => {
    // The addon is the one definition of each block's order: the geometry's own keys, in its order.
    expect([...addon.paramBlocks.conv].sort()).toEqual(Object.keys(base).sort());
    const packed = params();
    addon.paramBlocks.conv.forEach((name, i) => expect(packed[i], name).toBe(base[name as keyof ConvGeometry]));
    expect(Object.keys(addon.paramBlocks).sort()).toEqual(
      ['adam', 'argReduceLayout', 'channelLayout', 'conv', 'filter8', 'filterBorder', 'matmul', 'pixelsFromPlanes', 'planesFromPixels', 'pool', 'restoreAlpha', 'sgd']);
    // A build whose block differs from what this TypeScript passes (a stale build/) is refused.
    expect(matchFields('matmul', ['m', 'n', 'k', 'transA', 'transB', 'accumulate'], { m: 1, n: 2, k: 3, transA: false, transB: false, accumulate: true }))
      .toEqual(['m', 'n', 'k', 'transA', 'transB', 'accumulate']);
    expect(() => matchFields('matmul', ['m', 'n', 'k', 'transA', 'transB', 'accumulate'], { m: 1, n: 2, k: 3, transA: false, transB: false }))
      .toThrow(/'matmul' parameters are \[m, n, k, transA, transB, accumulate\], but this version of convcore passes \[m, n, k, transA, transB\]: .*npm run build:native/);
    expect(() => matchFields('pool', undefined, { planes: 1 })).toThrow(NativeBindingError);
  });

  test('inconsistent or hostile parameters are errors', () => {
    const input = new Float32Array(16), weight = new Float32Array(9), out = new Float32Array(4);
    expect(() => addon.convForward(Float64Array.of(1, 1, 4), input, weight, null, out)).toThrow(/expected conv to be a Float64Array of 22 integers/);
    expect(() => addon.convForward(params({ strideH: 0 }), input, weight, null, out)).toThrow(/stride must be positive/);
    expect(() => addon.convForward(params({ padTop: -1 }), input, weight, null, out)).toThrow(/padding must be >= 0/);
    expect(() => addon.convForward(params({ padFront: -1 }), input, weight, null, out)).toThrow(/padding must be >= 0/);
    expect(() => addon.convForward(params({ groups: 1.5 }), input, weight, null, out)).toThrow(/expected conv\.groups to be an integer, but got 1\.5/);
    expect(() => addon.convForward(params({ inChannels: 3, groups: 2 }), input, weight, null, out)).toThrow(/groups must divide/);
    expect(() => addon.convForward(params({ batch: 2 ** 30, inChannels: 2 ** 30 }), input, weight, null, out)).toThrow(/too large/);
    expect(() => addon.convForward(params({ kernelDepth: 0 }), input, weight, null, out)).toThrow(/depth sizes must be positive/);
  });

  test('an output size that claims more than the input holds reads only inside it', () => {
    // OH and OW far beyond what the 4×4 input allows, with huge padding: every read is
    // clipped to the input, so the extra outputs are just the bias.
    const p = params({ outHeight: 9, outWidth: 9, padTop: 100, padLeft: 100 });
    const out = new Float32Array(81);
    addon.convForward(p, new Float32Array(16).fill(1), new Float32Array(9).fill(1), Float32Array.of(0.5), out);
    expect(Array.from(out).every((v) => v === 0.5)).toBe(true);
  });
});

describe('inputs are never modified', () => {
  test('by conv2d, its backward, and autograd', () => {
    const input = Tensor.randn([2, 2, 6, 6], { seed: 1, requiresGrad: true });
    const weight = Tensor.randn([3, 2, 3, 3], { seed: 2, requiresGrad: true });
    const bias = Tensor.randn([3], { seed: 3, requiresGrad: true });
    const copies = [input, weight, bias].map((t) => t.data.slice());
    const y = conv2d(input, weight, bias, { padding: 1, paddingMode: 'reflect' });
    const g = Tensor.randn([...y.shape], { seed: 4 });
    const gCopy = g.data.slice();
    y.backward(g);
    conv2dBackward(input, weight, g, { padding: 1, paddingMode: 'reflect' });
    [input, weight, bias].forEach((t, i) => expect(t.data).toEqual(copies[i]));
    expect(g.data).toEqual(gCopy);
  });
});

describe('a reused options object is checked again when it changes', () => {
  test('mutating stride, adding a misspelled key or changing shapes is caught', () => {
    const input = Tensor.zeros([1, 3, 5, 5]);
    const weight = Tensor.zeros([2, 3, 3, 3]);
    const options: Record<string, unknown> = { stride: 1, padding: 1 };
    expect(conv2d(input, weight, null, options).shape).toEqual([1, 2, 5, 5]);
    expect(conv2d(input, weight, null, options).shape).toEqual([1, 2, 5, 5]);
    options.stride = 2;
    expect(conv2d(input, weight, null, options).shape).toEqual([1, 2, 3, 3]);
    options.stride = 0;
    expect(() => conv2d(input, weight, null, options)).toThrow(ArgumentRangeError);
    options.stride = [1, 1];
    expect(conv2d(input, weight, null, options).shape).toEqual([1, 2, 5, 5]);
    (options.stride as number[])[1] = 2;
    expect(conv2d(input, weight, null, options).shape).toEqual([1, 2, 5, 3]);
    options.strides = 3;
    expect(() => conv2d(input, weight, null, options)).toThrow(UnknownOptionError);
    delete options.strides;
    expect(() => conv2d(Tensor.zeros([1, 4, 5, 5]), weight, null, options)).toThrow(ShapeError);
  });
});
