/**
 * Native kernels against the pure-TS reference, over random configurations that cover
 * every option, plus the adjoint identity and thread-count determinism.
 */
import { describe, expect, test } from 'vitest';
import {
  type Conv2dOptions, type PaddingMode, Tensor, conv2d, conv2dBackward, getNumThreads, setNumThreads,
} from '../lib/index';
import { Random } from '../lib/random';
import { bits, dot, expectClose, randomTensor, withBackend } from './helpers';

interface Case {
  name: string;
  inputShape: number[];
  weightShape: number[];
  bias: boolean;
  options: Conv2dOptions;
}

const SIZES = [1, 2, 3, 4, 5, 7, 8, 11, 13, 16, 17];
const MODES: PaddingMode[] = ['zeros', 'reflect', 'replicate', 'circular'];

function pick<T>(r: Random, items: readonly T[]): T {
  return items[Math.floor(r.uniform() * items.length)];
}

/** A random configuration that conv2d accepts (invalid draws are redrawn). */
function randomCase(r: Random, index: number): Case {
  for (;;) {
    const groups = pick(r, [1, 1, 1, 2, 3]);
    const C = groups * pick(r, [1, 1, 2, 3]);
    const O = groups * pick(r, [1, 2, 3]);
    const H = pick(r, SIZES), W = pick(r, SIZES);
    const kh = pick(r, [1, 1, 2, 3, 3, 4, 5]), kw = pick(r, [1, 2, 3, 3, 5]);
    const stride = pick(r, [1, 1, 2, 3]), strideW = pick(r, [1, 2]);
    const dilation = pick(r, [1, 1, 1, 2, 3]);
    const paddingChoice = pick(r, ['int', 'pair', 'pair', 'same', 'valid'] as const);
    const padding: Conv2dOptions['padding'] =
      paddingChoice === 'int' ? pick(r, [0, 1, 2])
        : paddingChoice === 'pair' ? [pick(r, [0, 1, 2]), pick(r, [0, 1, 3])]
          : paddingChoice;
    const options: Conv2dOptions = {
      stride: paddingChoice === 'same' ? 1 : [stride, strideW],
      padding,
      dilation: [dilation, pick(r, [1, 2])],
      groups,
      paddingMode: pick(r, MODES),
    };
    const batched = r.uniform() < 0.8;
    const N = pick(r, [1, 1, 2, 3]);
    const c: Case = {
      name: `#${index} N${N} C${C} ${H}x${W} O${O} k${kh}x${kw} ${JSON.stringify(options)}${batched ? '' : ' unbatched'}`,
      inputShape: batched ? [N, C, H, W] : [C, H, W],
      weightShape: [O, C / groups, kh, kw],
      bias: r.uniform() < 0.7,
      options,
    };
    try {
      conv2d(Tensor.zeros(c.inputShape), Tensor.zeros(c.weightShape), null, c.options);
      return c;
    } catch {
      // not a valid configuration: draw again
    }
  }
}

/** Hand-picked edge cases: 1-pixel images, kernels equal to the input, primes and tails. */
const EDGE_CASES: Case[] = [
  { name: '1-pixel image, 1x1 kernel', inputShape: [1, 1, 1, 1], weightShape: [1, 1, 1, 1], bias: true, options: {} },
  { name: '1-pixel image padded', inputShape: [2, 3, 1, 1], weightShape: [4, 3, 3, 3], bias: true, options: { padding: 1 } },
  { name: 'kernel equals the input', inputShape: [2, 3, 7, 5], weightShape: [4, 3, 7, 5], bias: true, options: {} },
  { name: 'kernel equals the input, unbatched', inputShape: [1, 13, 13], weightShape: [2, 1, 13, 13], bias: false, options: {} },
  { name: 'primes 13x17 with 5x3', inputShape: [3, 5, 13, 17], weightShape: [7, 5, 5, 3], bias: true, options: { padding: [2, 1] } },
  { name: 'row tails 1x67', inputShape: [1, 2, 1, 67], weightShape: [3, 2, 1, 7], bias: true, options: { padding: [0, 3] } },
  { name: 'wide tail 9x33 stride 2', inputShape: [2, 4, 9, 33], weightShape: [5, 4, 3, 3], bias: true, options: { stride: 2, padding: 1 } },
  { name: 'depthwise 3 groups', inputShape: [2, 3, 11, 11], weightShape: [3, 1, 3, 3], bias: true, options: { groups: 3, padding: 'same', paddingMode: 'reflect' } },
  { name: 'same with even kernel', inputShape: [1, 2, 6, 7], weightShape: [2, 2, 4, 2], bias: true, options: { padding: 'same' } },
  { name: 'dilation larger than stride', inputShape: [1, 2, 17, 16], weightShape: [2, 2, 3, 3], bias: false, options: { dilation: 4, stride: 3 } },
  { name: 'circular padding equal to the size', inputShape: [1, 1, 3, 3], weightShape: [1, 1, 3, 3], bias: true, options: { padding: 3, paddingMode: 'circular' } },
  { name: 'replicate, 1-pixel image', inputShape: [1, 2, 1, 1], weightShape: [1, 2, 3, 3], bias: true, options: { padding: 1, paddingMode: 'replicate' } },
  { name: 'many channels', inputShape: [2, 32, 6, 6], weightShape: [16, 32, 3, 3], bias: true, options: { padding: 1 } },
  { name: 'more output channels than one reduction block', inputShape: [1, 2, 5, 5], weightShape: [300, 2, 3, 3], bias: true, options: {} },
  { name: 'long reduction (K = 64·3·3), several pixel blocks', inputShape: [2, 64, 17, 19], weightShape: [8, 64, 3, 3], bias: true, options: { padding: 1 } },
  { name: 'pointwise', inputShape: [3, 40, 9, 7], weightShape: [24, 40, 1, 1], bias: true, options: {} },
  // Few channels: row tiles of 6 (3x3, 5x5) or 4 (7x7) output rows share their input
  // rows, in tasks one tile high; the rows left over, and the borders, go one by one.
  { name: 'filter row tiles, 5x5, rows and columns left over', inputShape: [2, 1, 23, 29], weightShape: [1, 1, 5, 5], bias: true, options: { padding: 2 } },
  { name: 'filter row tiles, 5x5, several tasks, vector tails', inputShape: [1, 1, 40, 61], weightShape: [1, 1, 5, 5], bias: false, options: { padding: 2 } },
  { name: 'depthwise 7x7 row tiles', inputShape: [1, 2, 19, 35], weightShape: [2, 1, 7, 7], bias: true, options: { groups: 2, padding: 3 } },
  { name: 'depthwise 7x7, dilated columns (no row tiles)', inputShape: [1, 2, 19, 35], weightShape: [2, 1, 7, 7], bias: true, options: { groups: 2, padding: [3, 6], dilation: [1, 2] } },
  { name: 'row tiles and a tail of rows, 3x3', inputShape: [1, 1, 14, 9], weightShape: [1, 1, 3, 3], bias: false, options: { padding: 1, paddingMode: 'replicate' } },
  // One channel, 3x3, 28 or more wide: the AVX-512 build where the CPU has it (dispatch.cc).
  { name: 'filter row tiles, 3x3, 30 wide: a vector and an overlapping tail a row, rows left over', inputShape: [2, 1, 23, 30], weightShape: [1, 1, 3, 3], bias: true, options: { padding: 1 } },
  { name: 'depthwise 3x3 row tiles, 47 wide, unpadded', inputShape: [1, 3, 17, 47], weightShape: [3, 1, 3, 3], bias: false, options: { groups: 3 } },
  { name: 'row tiles over 3 input channels (a loop over channels), 3x3', inputShape: [2, 3, 20, 27], weightShape: [2, 3, 3, 3], bias: true, options: { padding: 1 } },
  { name: 'an output larger than the caches: streamed out, input rows prefetched (3x3 depthwise)', inputShape: [1, 2, 1030, 2050], weightShape: [2, 1, 3, 3], bias: true, options: { groups: 2, padding: 1 } },
  // Few output channels: the weight gradient's row dot products, each kernel width 1 to 8.
  ...[1, 2, 4, 6, 7, 8].map((kw): Case => ({
    name: `weight-gradient row dots, 2x${kw} kernel, wide rows`, inputShape: [2, 1, 5, 45 + kw], weightShape: [2, 1, 2, kw],
    bias: false, options: { padding: [0, kw >> 1], dilation: [1, kw === 6 ? 2 : 1] },
  })),
  // Stride 2, 3-wide kernels: a gathered plane per tap, those of kernel rows 2 and on
  // copied from a row phase's plane one or two rows on.
  { name: 'stride 2, 5x3 kernel: tap planes shifted one and two rows', inputShape: [2, 5, 19, 15], weightShape: [7, 5, 5, 3], bias: true, options: { stride: 2, padding: [2, 1] } },
  { name: 'stride 2, 5x3 kernel, two pixel blocks an image', inputShape: [1, 6, 121, 41], weightShape: [6, 6, 5, 3], bias: false, options: { stride: 2, padding: [1, 1] } },
  { name: 'stride-2 backward-data scatter over wide rows', inputShape: [2, 8, 11, 41], weightShape: [6, 8, 3, 3], bias: true, options: { stride: 2, padding: 1 } },
  // Its rows' last part as one masked vector (AVX-512): 16 lanes (rows of 32 and of 16), 15.
  { name: 'stride-2 scatter, rows of 32 and 31 outputs', inputShape: [2, 8, 11, 64], weightShape: [6, 8, 3, 3], bias: false, options: { stride: 2, padding: 1 } },
  { name: 'stride-2 scatter, rows of 16 outputs', inputShape: [2, 8, 11, 32], weightShape: [6, 8, 2, 2], bias: false, options: { stride: 2 } },
  // Backward-weight over images with more rows than one unit: split into even units.
  { name: 'weight gradient in several units per image (row vectors)', inputShape: [2, 4, 70, 40], weightShape: [6, 4, 3, 3], bias: false, options: { padding: 1 } },
  { name: 'weight gradient in many short units per image (wide rows: 3 rows a unit)', inputShape: [1, 2, 42, 258], weightShape: [6, 2, 3, 3], bias: false, options: {} },
  { name: 'weight gradient in several units per image (stride 2, grid)', inputShape: [1, 4, 101, 61], weightShape: [6, 4, 3, 3], bias: false, options: { stride: 2, padding: 1 } },
  // The forward's tiles stored from registers where a vector runs past a row's (or an
  // image's) end: the rest of it into the next row, masked (grids 19 and 12 wide against
  // vectors of 8 and 16; 12 is too narrow for 16, so those tiles go through the buffer),
  // stacked 1x1 images of 99 pixels (a streamed output of whole grid rows: below, forward only).
  { name: 'forward vectors across row ends, stored in two runs (grid 19 wide)', inputShape: [2, 8, 13, 17], weightShape: [9, 8, 3, 3], bias: true, options: { padding: 1 } },
  { name: 'forward vectors across two row ends (grid 12 wide)', inputShape: [2, 7, 11, 10], weightShape: [10, 7, 3, 3], bias: true, options: { padding: 1 } },
  { name: 'pointwise, stacked 9x11 images: vectors across image ends', inputShape: [3, 24, 9, 11], weightShape: [12, 24, 1, 1], bias: true, options: {} },
  // Rows narrower than the grid's thrown-away columns go as runs of 8 pixels, two runs a tile.
  { name: 'narrow rows as 8-pixel runs (LeNet 8x8 outputs)', inputShape: [3, 6, 12, 12], weightShape: [16, 6, 5, 5], bias: true, options: {} },
  { name: 'an odd number of runs, a reduction over several blocks', inputShape: [2, 40, 5, 9], weightShape: [7, 40, 3, 7], bias: true, options: {} },
  { name: 'runs of stacked images over two backward-weight units', inputShape: [13, 2, 12, 12], weightShape: [4, 2, 5, 5], bias: true, options: {} },
  // Stacked images shared evenly between backward-weight units, which then start
  // mid-image (112 rows in 38, 38, 36; 84 grid rows in two of 42), with channel splits.
  { name: 'pointwise weight gradient in units starting mid-image', inputShape: [8, 24, 14, 14], weightShape: [16, 24, 1, 1], bias: false, options: {} },
  { name: 'grouped weight gradient in units starting mid-image', inputShape: [7, 8, 10, 10], weightShape: [8, 4, 3, 3], bias: true, options: { groups: 2, padding: 1 } },
  // 1×1 weight gradients with 64 or more channels a group: a GEMM over packed blocks of
  // pixels that run across image ends (13 × 17 = 221 pixels an image, 9 images: 1,989, one
  // block; 19 images: 4,199, three blocks), channel tails of both tiles, two groups.
  { name: 'pointwise weight gradient as a GEMM, panel tails, one block across image ends', inputShape: [9, 67, 13, 17], weightShape: [70, 67, 1, 1], bias: true, options: {} },
  { name: 'pointwise weight gradient as a GEMM, three blocks, two groups', inputShape: [19, 130, 13, 17], weightShape: [132, 65, 1, 1], bias: false, options: { groups: 2 } },
  // Backward-data's col2im tap by tap (rows of a vector or less), over blocks of pixels
  // that start mid-row (7-wide rows, blocks of 320), with padding and at stride 2.
  { name: 'backward-data scatter tap by tap, blocks starting mid-row', inputShape: [2, 3, 64, 9], weightShape: [6, 3, 5, 5], bias: false, options: { padding: 1 } },
  { name: 'backward-data scatter tap by tap, stride 2', inputShape: [2, 3, 100, 13], weightShape: [6, 3, 3, 3], bias: false, options: { padding: 1, stride: 2 } },
  // Backward-data as a forward whose GEMM packs the rotated kernel from the weights: two
  // groups, 7 channels a group (a partial panel), a 3×2 kernel.
  { name: 'backward-data as a grouped forward, rotated 3x2 kernel', inputShape: [2, 14, 9, 11], weightShape: [12, 7, 3, 2], bias: false, options: { groups: 2, padding: [1, 1] } },
  { name: 'runs with groups and padding', inputShape: [2, 12, 14, 13], weightShape: [14, 6, 7, 7], bias: false, options: { groups: 2, padding: [1, 0], paddingMode: 'reflect' } },
  // Small images with many channels (up to 64 output positions): a GEMM per output position over
  // the taps that read the input there (native/kernels/loops/small_image.h); the batch is the
  // tile's rows, channels its columns, with tails of both and layouts transposed in 8 x 8 blocks.
  { name: 'small image: 1x1, padded 3x3, only the centre tap reads', inputShape: [3, 70, 1, 1], weightShape: [20, 70, 3, 3], bias: true, options: { padding: 1 } },
  { name: 'small image: 2x2, padded 3x3', inputShape: [2, 40, 2, 2], weightShape: [17, 40, 3, 3], bias: true, options: { padding: 1 } },
  { name: 'small image: stride 2 to 4x4, 2 groups', inputShape: [2, 48, 7, 7], weightShape: [32, 24, 3, 3], bias: false, options: { stride: 2, padding: 1, groups: 2 } },
  { name: 'small image: dilated, 1x3 output', inputShape: [1, 16, 5, 5], weightShape: [16, 16, 3, 3], bias: true, options: { dilation: 2, padding: [0, 1] } },
  { name: 'small image: reflect padding, 3x3', inputShape: [2, 64, 3, 3], weightShape: [16, 64, 3, 3], bias: true, options: { padding: 1, paddingMode: 'reflect' } },
  { name: 'small image: 11 images (a partial row panel), 7x7 output', inputShape: [11, 24, 7, 7], weightShape: [40, 24, 3, 3], bias: true, options: { padding: 1 } },
  { name: 'small image: 9 images, 4 groups', inputShape: [9, 64, 3, 3], weightShape: [64, 16, 3, 3], bias: true, options: { padding: 1, groups: 4 } },
  { name: 'small image: positions that no tap reaches give the bias', inputShape: [9, 64, 1, 1], weightShape: [16, 64, 3, 3], bias: true, options: { padding: 3 } },
  { name: 'small image: 8 images, 1x1 kernel, stride 2', inputShape: [8, 72, 7, 7], weightShape: [33, 72, 1, 1], bias: false, options: { stride: 2 } },
  // Backward-data at stride 1 over more than 16 positions runs as the small-image forward over
  // the gradient with the rotated kernel; the forward lays out its input 16 images at a time.
  { name: 'small image: 7x7, 2 groups, 21 images (a partial block of 16)', inputShape: [21, 32, 7, 7], weightShape: [32, 16, 3, 3], bias: true, options: { padding: 1, groups: 2 } },
  { name: 'small image: a 5x6 plane, stride 1', inputShape: [4, 24, 5, 6], weightShape: [20, 24, 3, 3], bias: false, options: { padding: [1, 1] } },
];

/**
 * Channel-rich configurations, which take the implicit-GEMM path: several register
 * tiles and pixel blocks, reductions longer than one cache block, output-channel tails.
 */
function channelRichCase(r: Random, index: number): Case {
  for (;;) {
    const groups = pick(r, [1, 1, 2]);
    const Cg = pick(r, [3, 8, 17, 32]), Og = pick(r, [6, 7, 12, 13, 20]);
    const H = pick(r, [5, 9, 16, 23, 30]), W = pick(r, [6, 11, 17, 25, 31]);
    const k = pick(r, [1, 3, 3, 5]);
    const stride = pick(r, [1, 1, 2, 3]);
    const options: Conv2dOptions = {
      stride: [stride, pick(r, [1, stride])],
      padding: [pick(r, [0, 1, 2]), pick(r, [0, 1, 2])],
      dilation: pick(r, [1, 1, 2]),
      groups,
      paddingMode: pick(r, MODES),
    };
    const N = pick(r, [1, 2, 3]);
    const c: Case = {
      name: `#${index} N${N} C${Cg * groups} ${H}x${W} O${Og * groups} k${k} ${JSON.stringify(options)}`,
      inputShape: [N, Cg * groups, H, W],
      weightShape: [Og * groups, Cg, k, k],
      bias: r.uniform() < 0.5,
      options,
    };
    try {
      conv2d(Tensor.zeros(c.inputShape), Tensor.zeros(c.weightShape), null, c.options);
      return c;
    } catch {
      // not a valid configuration: draw again
    }
  }
}

const RANDOM_CASES = (() => {
  const r = new Random(20261126);
  return [
    ...Array.from({ length: 200 }, (_, i) => randomCase(r, i)),
    ...Array.from({ length: 40 }, (_, i) => channelRichCase(r, 200 + i)),
  ];
})();

interface Results {
  output: Float32Array;
  gradInput: Float32Array;
  gradWeight: Float32Array;
  gradBias: Float32Array;
}

function run(c: Case, seed: number): Results {
  const x = randomTensor(c.inputShape, seed);
  const w = randomTensor(c.weightShape, seed + 1);
  const b = c.bias ? randomTensor([c.weightShape[0]], seed + 2) : null;
  const y = conv2d(x, w, b, c.options);
  const g = randomTensor([...y.shape], seed + 3);
  const grads = conv2dBackward(x, w, g, c.options);
  return {
    output: y.data,
    gradInput: grads.gradInput!.data,
    gradWeight: grads.gradWeight!.data,
    gradBias: grads.gradBias!.data,
  };
}

function checkParity(c: Case, seed: number): void {
  const native = withBackend('native', () => run(c, seed));
  const reference = withBackend('reference', () => run(c, seed));
  const [O, Cg, kh, kw] = c.weightShape;
  const groups = c.options.groups ?? 1;
  const outputs = native.output.length;
  const terms = { forward: Cg * kh * kw, data: (O / groups) * kh * kw, weight: outputs / O };
  const tol = (n: number) => 1e-6 * (4 + n);
  expectClose(native.output, reference.output, { atol: tol(terms.forward), what: 'output' });
  expectClose(native.gradInput, reference.gradInput, { atol: tol(terms.data), what: 'gradInput' });
  expectClose(native.gradWeight, reference.gradWeight, { atol: tol(terms.weight), what: 'gradWeight' });
  expectClose(native.gradBias, reference.gradBias, { atol: tol(terms.weight), what: 'gradBias' });
}

describe('native kernels equal the reference', () => {
  test(`covers ${RANDOM_CASES.length + EDGE_CASES.length} configurations with every option`, () => {
    const all = [...RANDOM_CASES, ...EDGE_CASES];
    const seen = (f: (c: Case) => boolean) => all.some(f);
    for (const mode of MODES) expect(seen((c) => c.options.paddingMode === mode)).toBe(true);
    expect(seen((c) => c.options.padding === 'same')).toBe(true);
    expect(seen((c) => c.options.padding === 'valid')).toBe(true);
    expect(seen((c) => (c.options.groups ?? 1) > 1)).toBe(true);
    expect(seen((c) => JSON.stringify(c.options.stride).includes('3'))).toBe(true);
    expect(seen((c) => JSON.stringify(c.options.dilation).includes('3'))).toBe(true);
    expect(seen((c) => c.inputShape.length === 3)).toBe(true);
    expect(seen((c) => !c.bias)).toBe(true);
  });

  test.each(EDGE_CASES.map((c, i) => [c.name, c, i] as const))('edge case: %s', (_name, c, i) => {
    checkParity(c, 1000 + i * 10);
  });

  test.each(RANDOM_CASES.map((c, i) => [c.name, c, i] as const))('random %s', (_name, c, i) => {
    checkParity(c, i * 10);
  });

  // An output past kStreamingOutputFloats (4M floats) in blocks of whole grid rows,
  // whose vectors run past the 330-wide rows' ends: the forward alone, as its gradients
  // take other paths and the reference's three passes over 4M outputs outlast a test
  // under qemu.
  test('a streamed forward output of whole grid rows, vectors across row ends', () => {
    const x = randomTensor([1, 3, 200, 330], 2000), w = randomTensor([64, 3, 3, 3], 2001), b = randomTensor([64], 2002);
    const native = withBackend('native', () => conv2d(x, w, b, { padding: 1 }).data);
    const reference = withBackend('reference', () => conv2d(x, w, b, { padding: 1 }).data);
    expect(native.length).toBe(64 * 200 * 330);
    expectClose(native, reference, { atol: 1e-6 * (4 + 27), what: 'output' });
  }, 120_000);  // about 1 s here; the reference's 114M multiply-adds run 10-20 times slower under qemu
});

describe('the adjoint identity ⟨conv(x, w), g⟩ = ⟨x, gradInput⟩ = ⟨w, gradWeight⟩', () => {
  test.each(RANDOM_CASES.slice(0, 40).map((c, i) => [c.name, c, i] as const))('%s', (_name, c, i) => {
    const x = randomTensor(c.inputShape, 500 + i);
    const w = randomTensor(c.weightShape, 600 + i);
    const y = conv2d(x, w, null, c.options);
    const g = randomTensor([...y.shape], 700 + i);
    const { gradInput, gradWeight } = conv2dBackward(x, w, g, c.options);
    const lhs = dot(y.data, g.data);
    const scale = 1e-4 * (1 + Math.sqrt(y.size) * Math.sqrt(c.weightShape.slice(1).reduce((a, b) => a * b, 1)));
    expect(Math.abs(dot(x.data, gradInput!.data) - lhs)).toBeLessThan(scale);
    expect(Math.abs(dot(w.data, gradWeight!.data) - lhs)).toBeLessThan(scale);
  });
});

describe('results do not depend on the thread count', () => {
  const shapes: Case[] = [
    { name: 'channel-rich', inputShape: [4, 16, 20, 20], weightShape: [16, 16, 3, 3], bias: true, options: { padding: 1 } },
    { name: 'small images (a GEMM per position)', inputShape: [8, 128, 2, 2], weightShape: [64, 128, 3, 3], bias: true, options: { padding: 1 } },
    { name: 'small images, 7x7, a partial row panel', inputShape: [19, 32, 7, 7], weightShape: [48, 32, 3, 3], bias: true, options: { padding: 1 } },
    // One image: the forward splits it into more blocks at 2 threads than at 1, over the
    // grid (stride 2) and over row vectors (56 wide).
    { name: 'one image, stride 2', inputShape: [1, 16, 23, 29], weightShape: [12, 16, 3, 3], bias: true, options: { padding: 1, stride: 2 } },
    { name: 'one image, row vectors', inputShape: [1, 16, 30, 56], weightShape: [12, 16, 3, 3], bias: true, options: { padding: 1 } },
    // 1×1: the images' 49 pixels are stacked into one grid, blocks running across images.
    { name: 'pointwise, stacked images', inputShape: [5, 40, 7, 7], weightShape: [20, 40, 1, 1], bias: true, options: {} },
    // Backward-weight: three units and two channel splits; two groups of two units.
    { name: 'pointwise, units starting mid-image', inputShape: [8, 24, 14, 14], weightShape: [16, 24, 1, 1], bias: false, options: {} },
    { name: 'grouped, units starting mid-image', inputShape: [7, 8, 10, 10], weightShape: [8, 4, 3, 3], bias: true, options: { groups: 2, padding: 1 } },
    // 1×1 with 64 or more channels: the weight gradient's GEMM over two blocks of pixels.
    { name: 'pointwise weight gradient as a GEMM', inputShape: [15, 72, 13, 17], weightShape: [80, 72, 1, 1], bias: false, options: {} },
    { name: 'one big image', inputShape: [1, 1, 300, 301], weightShape: [1, 1, 5, 5], bias: true, options: { padding: 2, stride: [1, 2] } },
    { name: 'depthwise', inputShape: [3, 8, 40, 40], weightShape: [8, 1, 3, 3], bias: false, options: { groups: 8, padding: 'same' } },
  ];
  test.each(shapes.map((c) => [c.name, c] as const))('%s: bitwise equal at 1 and 2 threads', (_name, c) => {
    const before = getNumThreads();
    try {
      setNumThreads(1);
      const one = run(c, 42);
      setNumThreads(2);
      const two = run(c, 42);
      for (const key of ['output', 'gradInput', 'gradWeight', 'gradBias'] as const) {
        expect(one[key].length, key).toBeGreaterThan(0);
        expect(bits(two[key]).equals(bits(one[key])), key).toBe(true);
      }
    } finally {
      setNumThreads(before);
    }
  });
});
