// Transposed convolution (issue 17): PyTorch's numbers on one case; over strides,
// paddings, output paddings, dilations, groups, odd sizes and 1/2/3-D, the native and
// reference backends against the definition (every input value scattered through the
// kernel), and every gradient by finite differences; the layers; bad input refused.
import { describe, expect, it } from 'vitest';
import {
  ArgumentRangeError, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d, ShapeError, Tensor, UnknownOptionError, conv2d,
  convTranspose1d, convTranspose2d, convTranspose2dAsync, convTranspose2dBackward, convTranspose3d, convTranspose3dAsync,
} from '../lib/index';
import { bits, checkGradients, expectClose, randomTensor, withBackend } from './helpers';

interface Case {
  input: number[]; // (N, C_in, …spatial)
  weight: number[]; // (C_in, C_out / groups, …kernel)
  stride?: number[];
  padding?: number[];
  outputPadding?: number[];
  dilation?: number[];
  groups?: number;
}

/** The definition: out[n, g·Og + o, i·s − p + k·d] += x[n, c, i] · w[c, o, k] for c in group g. */
function scatterDefinition(x: Tensor, w: Tensor, bias: Tensor | null, c: Case): { data: Float32Array; shape: number[] } {
  const rank = c.input.length - 2;
  const ones = new Array(rank).fill(1), zeros = new Array(rank).fill(0);
  const s = c.stride ?? ones, p = c.padding ?? zeros, op = c.outputPadding ?? zeros, d = c.dilation ?? ones;
  const groups = c.groups ?? 1;
  const [N, Cin, ...inSize] = c.input;
  const [, Og, ...k] = c.weight;
  const O = Og * groups, Cg = Cin / groups;
  const outSize = inSize.map((n, i) => (n - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + op[i] + 1);
  const strides = (dims: number[]) => dims.map((_, i) => dims.slice(i + 1).reduce((a, b) => a * b, 1));
  const inPositions = inSize.reduce((a, b) => a * b, 1), outPositions = outSize.reduce((a, b) => a * b, 1);
  const taps = k.reduce((a, b) => a * b, 1);
  const out = new Float64Array(N * O * outPositions);
  const inStr = strides(inSize), outStr = strides(outSize), kStr = strides(k);
  for (let n = 0; n < N; n++) {
    for (let ci = 0; ci < Cin; ci++) {
      const g = Math.floor(ci / Cg);
      for (let ip = 0; ip < inPositions; ip++) {
        const at = inStr.map((st, i) => Math.floor(ip / st) % inSize[i]);
        const value = x.data[(n * Cin + ci) * inPositions + ip];
        for (let o = 0; o < Og; o++) {
          for (let t = 0; t < taps; t++) {
            const tap = kStr.map((st, i) => Math.floor(t / st) % k[i]);
            const pos = at.map((a, i) => a * s[i] - p[i] + tap[i] * d[i]);
            if (pos.some((q, i) => q < 0 || q >= outSize[i])) continue;
            const op2 = pos.reduce((acc, q, i) => acc + q * outStr[i], 0);
            out[(n * O + g * Og + o) * outPositions + op2] += value * w.data[(ci * Og + o) * taps + t];
          }
        }
      }
    }
  }
  if (bias) for (let i = 0; i < out.length; i++) out[i] += bias.data[Math.floor(i / outPositions) % O];
  return { data: Float32Array.from(out), shape: [N, O, ...outSize] };
}

const FUNCTIONS = { 1: convTranspose1d, 2: convTranspose2d, 3: convTranspose3d } as const;

const CASES: Case[] = [
  { input: [1, 1, 1], weight: [1, 1, 1] },
  { input: [2, 3, 7], weight: [3, 2, 3], stride: [2], padding: [1], outputPadding: [1] },
  { input: [2, 4, 5], weight: [4, 3, 4], stride: [3], dilation: [2], groups: 2 },
  { input: [2, 3, 5, 7], weight: [3, 4, 3, 3], stride: [2, 2], padding: [1, 1], outputPadding: [1, 0] },
  { input: [1, 2, 4, 3], weight: [2, 3, 2, 2], stride: [2, 2], padding: [1, 1], outputPadding: [1, 1] },
  { input: [3, 6, 4, 5], weight: [6, 1, 3, 3], stride: [1, 2], padding: [2, 0], groups: 6 },
  { input: [2, 4, 6, 5], weight: [4, 2, 3, 2], dilation: [2, 3], padding: [1, 2], groups: 2 },
  { input: [2, 5, 3, 3], weight: [5, 7, 1, 1], stride: [3, 3], outputPadding: [2, 1] },
  { input: [2, 16, 9, 11], weight: [16, 8, 4, 4], stride: [2, 2], padding: [1, 1] },
  { input: [1, 2, 3, 4, 3], weight: [2, 3, 2, 3, 2], stride: [2, 1, 2], padding: [0, 1, 1], outputPadding: [1, 0, 0] },
];

describe('convTranspose: PyTorch and the definition', () => {
  it("matches PyTorch 1.13's conv_transpose2d (stride 2, padding 1, outputPadding 1): output and gradients", () => {
    const x = Tensor.fromArray([[[[0.5, -1.0, 2.0], [3.0, 0.25, -0.75]], [[1.5, 2.5, -2.0], [0.0, 1.0, 4.0]]]], { requiresGrad: true });
    const w = new Tensor(Float32Array.from({ length: 24 }, (_, i) => i / 10 - 0.5), [2, 3, 2, 2], { requiresGrad: true });
    const b = Tensor.fromArray([0.1, -0.2, 0.3], { requiresGrad: true });
    for (const kind of ['native', 'reference'] as const) {
      withBackend(kind, () => {
        x.grad = w.grad = b.grad = null;
        const y = convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 });
        expect(y.shape).toEqual([1, 3, 3, 5]);
        expectClose(y.data, Float32Array.from([1.5, 2.65, 2.8, -2.3, -2.3, -1.1, 0.675, 0.8, 3.275, 3.6, -0.5, 0.925, 1.05, 3.925, 4.25, 2.0,
          2.95, 3.1, -2.6, -2.6, -0.2, 0.875, 1.0, 4.275, 4.6, 0.4, 1.125, 1.25, 4.925, 5.25, 3.3, 4.05, 4.2, -2.1, -2.1, 1.5, 1.875, 2.0,
          6.075, 6.4, 2.1, 2.125, 2.25, 6.725, 7.05]), { atol: 1e-5, what: `${kind} y` });
        const g = new Tensor(Float32Array.from({ length: 45 }, (_, i) => -1 + (2 * i) / 44), [1, 3, 3, 5]);
        y.mul(g).sum().backward();
        expectClose(x.grad!.data, Float32Array.from([0.354545, 0.872727, 0.954545, 1.172727, 2.386364, 2.440909, -0.790909, -0.927273,
          -0.190909, 1.336364, 3.695454, 5.059091]), { atol: 1e-5, what: `${kind} gradInput` });
        expectClose(w.grad!.data, Float32Array.from([0.295455, -2.045455, -0.590909, -2.704545, -0.045455, -0.340909, -0.25, 0.022727,
          -0.386364, 1.363636, 0.090909, 2.75, -3.272727, -3.045455, -2.795454, -4.045455, 0.136364, 0.363636, 0.954545, 0.727273,
          3.545455, 3.772727, 4.704545, 5.5]), { atol: 1e-5, what: `${kind} gradWeight` });
        expectClose(b.grad!.data, Float32Array.from([-10.227273, 0, 10.227273]), { atol: 1e-5, what: `${kind} gradBias` });
      });
    }
  });

  it.each(CASES)('%j: native and reference = the definition; gradients by finite differences', (c) => {
    const rank = (c.input.length - 2) as 1 | 2 | 3;
    const f = FUNCTIONS[rank];
    const x = randomTensor(c.input, 1), w = randomTensor(c.weight, 2), bias = randomTensor([c.weight[1] * (c.groups ?? 1)], 3);
    const options = { stride: c.stride, padding: c.padding, outputPadding: c.outputPadding, dilation: c.dilation, groups: c.groups };
    const expected = scatterDefinition(x, w, bias, c);
    for (const kind of ['native', 'reference'] as const) {
      withBackend(kind, () => {
        // Twice: the second result comes from recycled memory, which must be overwritten everywhere.
        for (let round = 0; round < 2; round++) {
          const y = f(x, w, bias, options);
          expect(y.shape).toEqual(expected.shape);
          expectClose(y.data, expected.data, { atol: 1e-5, rtol: 1e-5, what: `${kind} output` });
        }
        // Finite differences cost two calls per element: the small cases.
        if (x.size + w.size <= 600) checkGradients((xx, ww, bb) => f(xx, ww, bb, options), [x.clone(), w.clone(), bias.clone()], 4, 1e-2, 1e-2);
      });
    }
  });

  it('is the adjoint of conv2d: <convT(y), x> = <y, conv(x)>', () => {
    const x = randomTensor([2, 4, 9, 8], 5), y = randomTensor([2, 6, 5, 4], 6), w = randomTensor([6, 2, 3, 3], 7);
    const options = { stride: 2, padding: 1, groups: 2 } as const;
    const cx = conv2d(x, w, null, options);
    expect(cx.shape).toEqual(y.shape);
    const ty = convTranspose2d(y, w, null, { ...options, outputPadding: [0, 1] });
    expect(ty.shape).toEqual(x.shape);
    const dot = (a: Tensor, b: Tensor) => a.data.reduce((s, v, i) => s + v * b.data[i], 0);
    expect(Math.abs(dot(ty, x) - dot(y, cx))).toBeLessThan(1e-3 * (1 + Math.abs(dot(y, cx))));
  });

  it('takes unbatched input', () => {
    const x = randomTensor([3, 4, 5], 8), w = randomTensor([3, 2, 3, 3], 9);
    const batched = convTranspose2d(x.reshape([1, 3, 4, 5]), w, null, { stride: 2 });
    const single = convTranspose2d(x, w, null, { stride: 2 });
    expect(single.shape).toEqual(batched.shape.slice(1));
    expect(Array.from(single.data)).toEqual(Array.from(batched.data));
  });
});

describe('async and functional-backward variants', () => {
  it.each(['native', 'reference'] as const)('the async call gives the sync bits and the same gradients (%s)', async (kind) => {
    const x = randomTensor([2, 6, 5, 7], 20, { requiresGrad: true }), w = randomTensor([6, 2, 3, 3], 21, { requiresGrad: true });
    const b = randomTensor([4], 22, { requiresGrad: true });
    const options = { stride: 2, padding: 1, outputPadding: 1, groups: 2 };
    const { sync, later } = await withBackend(kind, async () => ({
      sync: convTranspose2d(x, w, b, options), later: await convTranspose2dAsync(x, w, b, options),
    }));
    expect(bits(later.data).equals(bits(sync.data))).toBe(true);
    const g = randomTensor([...sync.shape], 23);
    withBackend(kind, () => sync.mul(g).sum().backward());
    const first = [x, w, b].map((t) => t.grad!.data.slice());
    for (const t of [x, w, b]) t.grad = null;
    withBackend(kind, () => later.mul(g).sum().backward());
    [x, w, b].forEach((t, i) => expect(bits(t.grad!.data).equals(bits(first[i]))).toBe(true));
    const volume = await withBackend(kind, () => convTranspose3dAsync(randomTensor([1, 2, 3, 3, 3], 24), randomTensor([2, 2, 2, 2, 2], 25)));
    expect(volume.shape).toEqual([1, 2, 4, 4, 4]);
  });

  it('convTranspose2dBackward equals autograd, with a compute mask; bad gradOutput refused', () => {
    const x = randomTensor([2, 3, 4, 5], 26, { requiresGrad: true }), w = randomTensor([3, 4, 3, 2], 27, { requiresGrad: true });
    const b = Tensor.zeros([4], { requiresGrad: true });
    const options = { stride: [2, 1] as [number, number], padding: 1 };
    const y = convTranspose2d(x, w, b, options), g = randomTensor([...y.shape], 28);
    y.mul(g).sum().backward();
    const grads = convTranspose2dBackward(x, w, g, options);
    expectClose(grads.gradInput!.data, x.grad!.data, { atol: 1e-6, what: 'gradInput' });
    expectClose(grads.gradWeight!.data, w.grad!.data, { atol: 1e-6, what: 'gradWeight' });
    expectClose(grads.gradBias!.data, b.grad!.data, { atol: 1e-6, what: 'gradBias' });
    const some = convTranspose2dBackward(x, w, g, { ...options, compute: { gradInput: false, gradBias: false } });
    expect(some.gradInput).toBeNull();
    expect(some.gradBias).toBeNull();
    expect(some.gradWeight!.shape).toEqual([3, 4, 3, 2]);
    expect(() => convTranspose2dBackward(x, w, randomTensor([2, 4, 3, 3], 29), options)).toThrow(/gradOutput\.shape/);
  });
});

describe('ConvTranspose layers', () => {
  it('hold weight (inChannels, outChannels / groups, …k) and train it', () => {
    const layers = [
      [new ConvTranspose1d(4, 6, 3, { stride: 2, groups: 2 }), [2, 4, 5], [4, 3, 3]],
      [new ConvTranspose2d(3, 5, [2, 3], { stride: 2, padding: 1, outputPadding: 1 }), [2, 3, 4, 4], [3, 5, 2, 3]],
      [new ConvTranspose3d(2, 2, 2, { bias: false }), [1, 2, 3, 3, 3], [2, 2, 2, 2, 2]],
    ] as const;
    for (const [layer, inputShape, weightShape] of layers) {
      expect(layer.weight.shape).toEqual(weightShape);
      const y = layer.forward(randomTensor([...inputShape], 10));
      y.mul(randomTensor([...y.shape], 11)).sum().backward();
      expect(layer.parameters().every((p) => p.grad!.data.some((v) => v !== 0))).toBe(true);
    }
    expect(new ConvTranspose2d(3, 5, 2).forward(randomTensor([1, 3, 4, 4], 12)).shape).toEqual([1, 5, 5, 5]);
  });

  it('refuses bad input by name', () => {
    const x = randomTensor([1, 2, 4, 4], 13), w = randomTensor([2, 3, 3, 3], 14);
    expect(() => convTranspose2d(x, randomTensor([3, 3, 3, 3], 14))).toThrow(/weight\.shape\[0\]/);
    expect(() => convTranspose2d(x, w, randomTensor([2], 15))).toThrow(ShapeError);
    expect(() => convTranspose2d(x, w, null, { stride: 2, outputPadding: 2 })).toThrow(ArgumentRangeError);
    expect(() => convTranspose2d(x, w, null, { padding: 5 })).toThrow(/the output size/);
    expect(() => convTranspose2d(x, w, null, { outputpadding: 1 } as never)).toThrow(UnknownOptionError);
    expect(() => convTranspose2d(randomTensor([1, 4, 4, 4], 16), randomTensor([4, 1, 2, 2], 17), null, { groups: 3 }))
      .toThrow(/divisible by groups/);
    expect(() => new ConvTranspose2d(3, 4, 2, { groups: 2 })).toThrow(ShapeError);
    expect(() => new ConvTranspose2d(4, 4, 2, { stride: 0 })).toThrow(ArgumentRangeError);
  });
});
