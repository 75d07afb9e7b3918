/**
 * conv1d and conv3d: the native engine against the pure-TS reference over random
 * configurations with every option, finite-difference and adjoint checks, thread-count
 * determinism, the same validation wording as conv2d, the layers and the book-style
 * single-channel functions.
 */
import { describe, expect, test } from 'vitest';
import {
  Conv1D, Conv3D, ShapeError, Tensor, conv1d, conv1dAsync, conv1dBackward, conv2d, conv3d, conv3dAsync, conv3dBackward,
  corr1d, corr3d, getNumThreads, manualSeed, setNumThreads,
} from '../lib/index';
import { Random } from '../lib/random';
import { bits, dot, expectClose, randomTensor, withBackend } from './helpers';

type Rank = 1 | 3;
interface Case {
  name: string;
  rank: Rank;
  inputShape: number[];
  weightShape: number[];
  bias: boolean;
  options: Record<string, unknown>;
}

const pick = <T>(r: Random, items: readonly T[]): T => items[Math.floor(r.uniform() * items.length)];
const MODES = ['zeros', 'reflect', 'replicate', 'circular'] as const;
const convOf = (rank: Rank) => (rank === 1 ? conv1d : conv3d);
const backwardOf = (rank: Rank) => (rank === 1 ? conv1dBackward : conv3dBackward);

function randomCase(r: Random, rank: Rank, index: number): Case {
  for (;;) {
    const groups = pick(r, [1, 1, 2]);
    const C = groups * pick(r, [1, 2, 3, 8]);
    const O = groups * pick(r, [1, 2, 6, 7]);
    const sizes = rank === 1 ? [pick(r, [1, 5, 13, 31, 64])] : [pick(r, [1, 3, 5]), pick(r, [4, 7]), pick(r, [5, 9])];
    const kernel = sizes.map(() => pick(r, [1, 2, 3, 5]));
    const paddingChoice = pick(r, ['int', 'tuple', 'same', 'valid'] as const);
    const options: Record<string, unknown> = {
      stride: paddingChoice === 'same' ? 1 : sizes.map(() => pick(r, [1, 1, 2, 3])),
      padding: paddingChoice === 'int' ? pick(r, [0, 1, 2]) : paddingChoice === 'tuple' ? sizes.map(() => pick(r, [0, 1, 2])) : paddingChoice,
      dilation: sizes.map(() => pick(r, [1, 1, 2])),
      groups,
      paddingMode: pick(r, MODES),
    };
    const batched = r.uniform() < 0.8;
    const N = pick(r, [1, 2]);
    const c: Case = {
      name: `${rank}-D #${index} C${C} ${sizes.join('x')} O${O} k${kernel.join('x')} ${JSON.stringify(options)}${batched ? '' : ' unbatched'}`,
      rank,
      inputShape: batched ? [N, C, ...sizes] : [C, ...sizes],
      weightShape: [O, C / groups, ...kernel],
      bias: r.uniform() < 0.6,
      options,
    };
    try {
      convOf(rank)(Tensor.zeros(c.inputShape), Tensor.zeros(c.weightShape), null, c.options as never);
      return c;
    } catch {
      // not a valid configuration: draw again
    }
  }
}

const CASES = (() => {
  const r = new Random(7);
  return [
    ...Array.from({ length: 40 }, (_, i) => randomCase(r, 1, i)),
    ...Array.from({ length: 40 }, (_, i) => randomCase(r, 3, i)),
  ];
})();

function run(c: Case, seed: number) {
  const x = randomTensor(c.inputShape, seed);
  const w = randomTensor(c.weightShape, seed + 1);
  const b = c.bias ? randomTensor([c.weightShape[0]], seed + 2) : null;
  const y = convOf(c.rank)(x, w, b, c.options as never);
  const g = randomTensor([...y.shape], seed + 3);
  const grads = backwardOf(c.rank)(x, w, g, c.options as never);
  return { x, w, y, g, output: y.data, gradInput: grads.gradInput!.data, gradWeight: grads.gradWeight!.data, gradBias: grads.gradBias!.data };
}

describe('conv1d and conv3d: native equals the reference', () => {
  test.each(CASES.map((c, i) => [c.name, c, i] as const))('%s', (_name, c, i) => {
    const native = withBackend('native', () => run(c, i * 10));
    const reference = withBackend('reference', () => run(c, i * 10));
    const taps = c.weightShape.slice(1).reduce((a, b) => a * b, 1);
    const tol = (n: number) => 1e-6 * (4 + n);
    expectClose(native.output, reference.output, { atol: tol(taps), what: 'output' });
    expectClose(native.gradInput, reference.gradInput, { atol: tol(taps * c.weightShape[0]), what: 'gradInput' });
    expectClose(native.gradWeight, reference.gradWeight, { atol: tol(native.output.length), what: 'gradWeight' });
    expectClose(native.gradBias, reference.gradBias, { atol: tol(native.output.length), what: 'gradBias' });
  });

  // ⟨conv(x, w), g⟩ = ⟨x, gradInput⟩ = ⟨w, gradWeight⟩ for the bias-free configurations.
  test.each(CASES.filter((c) => !c.bias).slice(0, 20).map((c) => [c.name, c] as const))('adjoint %s', (_name, c) => {
    const { x, w, y, g, gradInput, gradWeight } = run(c, 99);
    const lhs = dot(y.data, g.data);
    const scale = 1e-4 * (1 + Math.sqrt(y.size * w.size));
    expect(Math.abs(dot(x.data, gradInput) - lhs)).toBeLessThan(scale);
    expect(Math.abs(dot(w.data, gradWeight) - lhs)).toBeLessThan(scale);
  });
});

describe('conv1d and conv3d gradients by finite differences', () => {
  const cases: Array<[string, Rank, number[], number[], Record<string, unknown>]> = [
    ['1-D strided, dilated, reflect', 1, [2, 3, 11], [4, 3, 3], { stride: 2, dilation: 2, padding: 2, paddingMode: 'reflect' }],
    ['1-D grouped same', 1, [1, 4, 9], [4, 2, 4], { groups: 2, padding: 'same' }],
    ['3-D padded', 3, [1, 2, 3, 4, 5], [3, 2, 2, 3, 2], { padding: [1, 1, 0] }],
    ['3-D strided circular', 3, [2, 1, 4, 4, 3], [2, 1, 3, 2, 2], { stride: [2, 1, 2], padding: 1, paddingMode: 'circular' }],
  ];
  test.each(cases)('%s', (_name, rank, inputShape, weightShape, options) => {
    for (const backend of ['native', 'reference'] as const) {
      withBackend(backend, () => {
        const x = randomTensor(inputShape, 1, { requiresGrad: true });
        const w = randomTensor(weightShape, 2, { requiresGrad: true });
        const b = randomTensor([weightShape[0]], 3, { requiresGrad: true });
        const f = () => convOf(rank)(x, w, b, options as never);
        const G = randomTensor([...f().shape], 4);
        f().mul(G).sum().backward();
        const loss = () => dot(f().data, G.data);
        for (const t of [x, w, b]) {
          for (let i = 0; i < t.size; i += Math.max(1, Math.floor(t.size / 25))) {
            const saved = t.data[i];
            t.data[i] = saved + 1e-2;
            const plus = loss();
            t.data[i] = saved - 1e-2;
            const minus = loss();
            t.data[i] = saved;
            expect(t.grad!.data[i]).toBeCloseTo((plus - minus) / 2e-2, 2);
          }
        }
      });
    }
  });
});

// conv3d runs its output depths in 2-D calls of at most 2^20 floats of slab each
// (conv_volume.cc): 8 channels × 3 depth taps × 24² is 75 depths a call, so 81 depths
// take two calls, of 40 and 41; the weight gradient sums the calls' parts.
test('conv3d across two 2-D calls of uneven depth counts: native equals the reference in every pass', () => {
  const x = randomTensor([1, 8, 81, 24, 24], 11);
  const w = randomTensor([3, 8, 3, 3, 3], 12);
  const options = { padding: 1 };
  const native = withBackend('native', () => conv3d(x, w, null, options));
  const reference = withBackend('reference', () => conv3d(x, w, null, options));
  expectClose(native.data, reference.data, { atol: 1e-6 * (4 + 216), what: 'output' });
  const g = randomTensor([...native.shape], 13);
  const nativeGrads = withBackend('native', () => conv3dBackward(x, w, g, options));
  const referenceGrads = withBackend('reference', () => conv3dBackward(x, w, g, options));
  expectClose(nativeGrads.gradInput!.data, referenceGrads.gradInput!.data, { atol: 1e-6 * (4 + 3 * 27), what: 'gradInput' });
  expectClose(nativeGrads.gradWeight!.data, referenceGrads.gradWeight!.data, { atol: 1e-6 * (4 + g.size), what: 'gradWeight' });
}, 120_000);

test('conv3d gives the same bits at 1, 2 and 3 threads', () => {
  const x = randomTensor([2, 8, 9, 12, 12], 1);
  const w = randomTensor([8, 8, 3, 3, 3], 2);
  const g = randomTensor([2, 8, 9, 12, 12], 3);
  const before = getNumThreads();
  try {
    const results = [1, 2, 3].map((t) => {
      setNumThreads(t);
      const y = conv3d(x, w, null, { padding: 1 });
      const grads = conv3dBackward(x, w, g, { padding: 1 });
      return [y.data, grads.gradInput!.data, grads.gradWeight!.data];
    });
    for (const other of results.slice(1)) {
      results[0].forEach((a, i) => expect(bits(other[i]).equals(bits(a))).toBe(true));
    }
  } finally {
    setNumThreads(before);
  }
});

describe('1-D and 3-D validation uses the same wording', () => {
  test('wrong ranks name the expected layouts', () => {
    expect(() => conv1d(Tensor.zeros([4]), Tensor.zeros([1, 1, 2]))).toThrow(
      'conv1d: expected input to be a 2-D (C, L) or 3-D (N, C, L) tensor, but got shape [4] (1-D)');
    expect(() => conv1d(Tensor.zeros([1, 1, 4]), Tensor.zeros([1, 1, 2, 2]))).toThrow(
      'conv1d: expected weight to be a 3-D (outChannels, inChannels / groups, kL) tensor, but got shape [1, 1, 2, 2] (4-D)');
    expect(() => conv3d(Tensor.zeros([1, 4, 4]), Tensor.zeros([1, 1, 2, 2, 2]))).toThrow(
      'conv3d: expected input to be a 4-D (C, D, H, W) or 5-D (N, C, D, H, W) tensor, but got shape [1, 4, 4] (3-D)');
  });

  test('options: tuples of the rank, reflect limits per axis, kernel too large', () => {
    expect(() => conv1d(Tensor.zeros([1, 1, 4]), Tensor.zeros([1, 1, 2]), null, { stride: [1, 1] as never })).toThrow(
      'conv1d: expected options.stride to be a positive integer or an array of one of them, but got [1, 1] (an array of 2)');
    expect(() => conv3d(Tensor.zeros([1, 1, 2, 5, 5]), Tensor.zeros([1, 1, 1, 3, 3]), null, { padding: 2, paddingMode: 'reflect' })).toThrow(
      "conv3d: expected options.padding with paddingMode 'reflect' to be less than the input size (D = 2, H = 5, W = 5) on each side, but got [2, 2, 2]");
    expect(() => conv3d(Tensor.zeros([1, 1, 2, 5, 5]), Tensor.zeros([1, 1, 3, 3, 3]))).toThrow(ShapeError);
    expect(() => conv3d(Tensor.zeros([1, 1, 2, 5, 5]), Tensor.zeros([1, 1, 3, 3, 3]))).toThrow(
      'conv3d: expected the dilated kernel size to be at most the padded input size 2 × 5 × 5, but got 3 × 3 × 3');
    expect(() => conv3d(Tensor.zeros([1, 2, 2, 5, 5]), Tensor.zeros([1, 3, 1, 1, 1]))).toThrow(/weight.shape\[1\] × groups = 3 × 1 = 3/);
  });
});

describe('1-D and 3-D layers, async calls and the single-channel functions', () => {
  test('Conv1D and Conv3D hold PyTorch shapes and bounds, and forward is conv1d/conv3d', async () => {
    manualSeed(3);
    const c1 = new Conv1D(4, 6, 5, { padding: 'same', groups: 2 });
    expect(c1.weight.shape).toEqual([6, 2, 5]);
    for (const v of c1.weight.data) expect(Math.abs(v)).toBeLessThanOrEqual(1 / Math.sqrt(10));
    const x1 = Tensor.randn([2, 4, 17], { seed: 1 });
    expect(c1.forward(x1).data).toEqual(conv1d(x1, c1.weight, c1.bias, { padding: 'same', groups: 2 }).data);
    expect((await conv1dAsync(x1, c1.weight, c1.bias, { padding: 'same', groups: 2 })).data).toEqual(c1.forward(x1).data);
    const c3 = new Conv3D(2, 3, [1, 3, 3], { stride: [1, 2, 2], bias: false });
    expect(c3.weight.shape).toEqual([3, 2, 1, 3, 3]);
    expect(c3.parameters()).toHaveLength(1);
    const x3 = Tensor.randn([1, 2, 4, 9, 9], { seed: 2 });
    expect(c3.forward(x3).shape).toEqual([1, 3, 4, 4, 4]);
    expect((await conv3dAsync(x3, c3.weight, null, { stride: [1, 2, 2] })).data).toEqual(c3.forward(x3).data);
    expect(String(c3)).toBe("Conv3D(2, 3, kernelSize=[1,3,3], stride=[1,2,2], padding=[0,0,0], dilation=[1,1,1], groups=1, bias=false, paddingMode='zeros')");
  });

  test('a 3-D kernel of depth 1 is a 2-D convolution of every depth slice', () => {
    const x = Tensor.randn([1, 2, 3, 6, 7], { seed: 5 });
    const w = Tensor.randn([4, 2, 1, 3, 3], { seed: 6 });
    const y = conv3d(x, w, null, { padding: [0, 1, 1] });
    for (let d = 0; d < 3; d++) {
      const slice = new Float32Array(2 * 42);
      for (let c = 0; c < 2; c++) slice.set(x.data.subarray((c * 3 + d) * 42, (c * 3 + d + 1) * 42), c * 42);
      const y2 = conv2d(new Tensor(slice, [1, 2, 6, 7]), w.reshape([4, 2, 3, 3]), null, { padding: 1 });
      for (let o = 0; o < 4; o++) {
        expect(Array.from(y.data.subarray((o * 3 + d) * 42, (o * 3 + d + 1) * 42))).toEqual(Array.from(y2.data.subarray(o * 42, (o + 1) * 42)));
      }
    }
  });

  test('corr1d and corr3d compute the defining sums', () => {
    expect(corr1d(Tensor.fromArray([1, 2, 3, 4]), Tensor.fromArray([1, -1])).toArray()).toEqual([-1, -1, -1]);
    const X = Tensor.fromArray([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]);
    expect(corr3d(X, Tensor.ones([2, 2, 2])).toArray()).toEqual([[[36]]]);
    expect(corr3d(X, Tensor.fromArray([[[1]], [[-1]]])).toArray()).toEqual([[[-4, -4], [-4, -4]]]);
    expect(() => corr1d(Tensor.zeros([2, 2]), Tensor.zeros([1]))).toThrow(
      'corr1d: expected x to be a non-empty 1-D (length) tensor, but got shape [2, 2]');
  });
});
