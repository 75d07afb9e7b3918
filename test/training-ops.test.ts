/**
 * The training ops beside the convolutions: matmul/linear, pooling, activations,
 * logSoftmax/crossEntropy, dropout. Native against the reference over random shapes
 * (1, primes, tails), finite-difference checks on both backends, values computed by
 * hand, and bitwise equality across thread counts.
 */
import { describe, expect, test } from 'vitest';
import {
  type BackendName, Tensor, adaptiveAvgPool2d, avgPool2d, crossEntropy, dropout, getNumThreads, linear, logSoftmax, matmul, maxPool2d,
  maxPool2dWithIndices, relu, setNumThreads, sigmoid, tanh,
} from '../lib/index';
import { backend } from '../lib/backend';
import type { Pool2dOptions } from '../lib/functional/pool';
import { Random } from '../lib/random';
import { bits, checkGradients, expectClose, randomTensor, withBackend } from './helpers';

const BACKENDS: BackendName[] = ['native', 'reference'];
const DIMS = [1, 2, 3, 5, 6, 7, 13, 16, 17, 31, 64];

function pick<T>(r: Random, items: readonly T[]): T {
  return items[Math.floor(r.uniform() * items.length)];
}

/** f under each backend, with fresh grads, returning output and input gradients. */
function runBoth(f: (...t: Tensor[]) => Tensor, shapes: number[][], seed: number) {
  return BACKENDS.map((name) => withBackend(name, () => {
    const inputs = shapes.map((s, i) => randomTensor(s, seed + i, { requiresGrad: true }));
    const out = f(...inputs);
    out.mul(randomTensor([...out.shape], seed + 99)).sum().backward();
    return { out: out.data, grads: inputs.map((t) => t.grad!.data) };
  }));
}

function expectParity(f: (...t: Tensor[]) => Tensor, shapes: number[][], seed: number, atol = 1e-5) {
  const [native, reference] = runBoth(f, shapes, seed);
  expectClose(native.out, reference.out, { atol, rtol: 1e-5, what: 'output' });
  native.grads.forEach((g, i) => expectClose(g, reference.grads[i], { atol, rtol: 1e-5, what: `grad ${i}` }));
}

describe('matmul and linear', () => {
  test('a 2x3 by 3x2 product, by hand', () => {
    const a = new Tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = new Tensor([7, 8, 9, 10, 11, 12], [3, 2]);
    expect(matmul(a, b).toArray()).toEqual([[58, 64], [139, 154]]);
  });

  test('linear is x·Wᵀ + b, by hand', () => {
    const x = new Tensor([1, 2, 3, 4], [2, 2]);
    const w = new Tensor([1, 0, 1, 1, 0, -1], [3, 2]);
    const b = new Tensor([10, 20, 30]);
    expect(linear(x, w, b).toArray()).toEqual([[11, 23, 28], [13, 27, 26]]);
  });

  const r = new Random(11);
  const cases = Array.from({ length: 40 }, (_, i) => ({ i, m: pick(r, DIMS), n: pick(r, DIMS), k: pick(r, DIMS), bias: r.uniform() < 0.7 }));
  test.each(cases)('native = reference: linear #$i (m $m, n $n, k $k, bias $bias)', ({ i, m, n, k, bias }) => {
    if (bias) expectParity((x, w, b) => linear(x, w, b), [[m, k], [n, k], [n]], 1000 + i, 1e-4);
    else expectParity((x, w) => linear(x, w), [[m, k], [n, k]], 1000 + i, 1e-4);
    expectParity((a, b) => matmul(a, b), [[m, k], [k, n]], 2000 + i, 1e-4);
  });

  test('linear takes leading batch dimensions, and gives bitwise the same result at 1 and 2 threads', () => {
    const x = randomTensor([3, 5, 67], 1), w = randomTensor([45, 67], 2), b = randomTensor([45], 3);
    const before = getNumThreads();
    const results = [1, 2].map((t) => {
      setNumThreads(t);
      return linear(x, w, b).data;
    });
    setNumThreads(before);
    expect(results[0]).toEqual(results[1]);
    expect(linear(x, w, b).shape).toEqual([3, 5, 45]);
    expectClose(linear(x, w, b).data, linear(x.reshape([15, 67]), w, b).data, { atol: 0, rtol: 0 });
  });

  test.each(BACKENDS)('finite differences (%s)', (name) => withBackend(name, () => {
    checkGradients((x, w, b) => linear(x, w, b), [randomTensor([4, 7], 1), randomTensor([5, 7], 2), randomTensor([5], 3)], 7, 1e-2, 2e-2);
    checkGradients((a, b) => matmul(a, b), [randomTensor([3, 6], 4), randomTensor([6, 17], 5)], 8, 1e-2, 2e-2);
  }));

  test('shape mismatches name the argument', () => {
    expect(() => matmul(randomTensor([2, 3], 1), randomTensor([4, 2], 2))).toThrow('matmul: expected b.shape[0] to be 3 (a.shape[1]), but got 4');
    expect(() => linear(randomTensor([2, 3], 1), randomTensor([4, 5], 2))).toThrow(
      'linear: expected input.shape to be (…, 5) to match weight.shape [4, 5], but got [2, 3]');
    expect(() => linear(randomTensor([2, 3], 1), randomTensor([4, 3], 2), randomTensor([5], 3))).toThrow(
      'linear: expected bias.shape to be [4], but got [5]');
  });
});

// The native max pooling of x gives the reference's indices and the same output bits.
function expectMaxPoolAsReference(x: Tensor, kernel: number | [number, number], options?: Pool2dOptions): void {
  const run = (name: BackendName) => withBackend(name, () => maxPool2dWithIndices(x, kernel, options));
  const native = run('native'), reference = run('reference');
  expect([...native.indices]).toEqual([...reference.indices]);
  expect(bits(native.output.data)).toEqual(bits(reference.output.data));
}

describe('pooling', () => {
  test('max and average over 2x2 windows, by hand, with indices', () => {
    const x = new Tensor([1, 5, 2, 0, 3, 4, 8, 1, 0, 1, 2, 3, 9, 1, 0, 4], [1, 1, 4, 4]);
    const { output, indices } = maxPool2dWithIndices(x, 2);
    expect(output.toArray()).toEqual([[[[5, 8], [9, 4]]]]);
    expect([...indices]).toEqual([1, 6, 12, 15]);
    expect(avgPool2d(x, 2).toArray()).toEqual([[[[13 / 4, 11 / 4], [11 / 4, 9 / 4]]]]);
  });

  test('padding, stride and ceilMode give PyTorch\'s output sizes', () => {
    const x = randomTensor([2, 3, 7, 9], 1);
    expect(maxPool2d(x, 3, { stride: 2, padding: 1 }).shape).toEqual([2, 3, 4, 5]);
    expect(maxPool2d(x, 2).shape).toEqual([2, 3, 3, 4]);
    expect(maxPool2d(x, 2, { ceilMode: true }).shape).toEqual([2, 3, 4, 5]);
    expect(avgPool2d(randomTensor([3, 5, 5], 2), [2, 3], { stride: [1, 2] }).shape).toEqual([3, 4, 2]);
  });

  test('average with padding divides by the padded window unless countIncludePad is false', () => {
    const x = Tensor.ones([1, 1, 2, 2]);
    expect(avgPool2d(x, 2, { padding: 1, stride: 1 }).data[0]).toBeCloseTo(1 / 4, 7);
    expect(avgPool2d(x, 2, { padding: 1, stride: 1, countIncludePad: false }).data[0]).toBe(1);
  });

  test('a window holding NaN gives NaN; -Infinity is a value like any other', () => {
    const x = new Tensor([NaN, 1, 2, 3, -Infinity, -Infinity, -Infinity, -Infinity], [1, 2, 2, 2]);
    for (const name of BACKENDS) {
      withBackend(name, () => {
        const out = maxPool2d(x, 2).data;
        expect(Number.isNaN(out[0])).toBe(true);
        expect(out[1]).toBe(-Infinity);
      });
    }
  });

  test('2x2 stride-2 windows with ties, NaNs and -Infinity: the native indices are the reference\'s (the first maximum, the first NaN)', () => {
    // Values from a set of four so that most windows hold ties; odd sizes leave a row and a column out.
    const values = [1, 2, NaN, -Infinity];
    const x = new Tensor(Float32Array.from({ length: 3 * 2 * 9 * 11 }, (_, i) => values[(i * 7 + (i >> 3)) % 4]), [3, 2, 9, 11]);
    expectMaxPoolAsReference(x, 2);
    const all = new Tensor(new Float32Array(16).fill(3), [1, 1, 4, 4]);
    expect([...withBackend('native', () => maxPool2dWithIndices(all, 2)).indices]).toEqual([0, 2, 8, 10]);
  });

  test.each([
    [3, { stride: 2, padding: 1 }], [3, { stride: 1, padding: 1 }], [[3, 2], { stride: [1, 2], padding: [1, 0], ceilMode: true }],
    [[2, 3], { stride: [2, 3], padding: [0, 1] }],
  ] as Array<[number | [number, number], Pool2dOptions]>)('windows %j %j with ties, NaNs and -Infinity: the native indices are the reference\'s', (kernel, options) => {
    // Each row's maxima first, then down the rows: still the first maximum (or NaN) in
    // row-major order. Small planes go in groups with their padding laid out, a plane of
    // more than 8192 elements row by row (native/kernels/loops/max_pool.h).
    const values = [1, 2, NaN, -Infinity, 2];
    for (const shape of [[3, 2, 9, 11], [1, 2, 93, 97]]) {
      const size = shape.reduce((a, b) => a * b);
      expectMaxPoolAsReference(new Tensor(Float32Array.from({ length: size }, (_, i) => values[(i * 7 + (i >> 3)) % 5]), shape), kernel, options);
    }
    // Windows of -Infinity alone (with padding in them): the first real element.
    const ties = new Tensor(new Float32Array(4 * 5).fill(-Infinity), [1, 1, 4, 5]);
    const { indices } = withBackend('native', () => maxPool2dWithIndices(ties, kernel, options));
    expect([...indices]).toEqual([...withBackend('reference', () => maxPool2dWithIndices(ties, kernel, options)).indices]);
  });

  const r = new Random(21);
  const cases = Array.from({ length: 40 }, (_, i) => {
    const kh = pick(r, [1, 2, 3, 5]), kw = pick(r, [1, 2, 3]);
    const options = {
      stride: [pick(r, [1, 2, 3]), pick(r, [1, 2])] as [number, number],
      padding: [Math.min(pick(r, [0, 0, 1, 2]), kh >> 1), Math.min(pick(r, [0, 1]), kw >> 1)] as [number, number],
      ceilMode: r.uniform() < 0.3,
    };
    return { i, shape: [pick(r, [1, 2, 3]), pick(r, [1, 3, 6]), kh + pick(r, [0, 1, 4, 12]), kw + pick(r, [0, 2, 5, 13])], kernel: [kh, kw] as [number, number], options };
  });
  test.each(cases)('native = reference: pooling #$i $shape kernel $kernel', ({ i, shape, kernel, options }) => {
    expectParity((x) => maxPool2d(x, kernel, options), [shape], 3000 + i);
    expectParity((x) => avgPool2d(x, kernel, options), [shape], 4000 + i);
    expectParity((x) => avgPool2d(x, kernel, { ...options, countIncludePad: false }), [shape], 5000 + i);
  });

  // One window over each whole plane (global average pooling: a ResNet's 1 x 1 and 7 x 7
  // planes) takes its own native loop.
  test.each([
    [[64, 9, 1, 1], [1, 1]], [[3, 5, 7, 7], [7, 7]], [[2, 2, 3, 4], [3, 4]], [[1, 1, 1, 13], [1, 13]],
  ] as Array<[number[], [number, number]]>)('native = reference: avgPool2d over whole planes %j', (shape, kernel) => {
    expectParity((x) => avgPool2d(x, kernel), [shape], 6000 + shape[3]);
    expectParity((x) => adaptiveAvgPool2d(x, 1), [shape], 7000 + shape[3]);
  });

  test.each(BACKENDS)('finite differences (%s)', (name) => withBackend(name, () => {
    // Distinct values keep each window's maximum away from ties.
    const x = new Tensor(Float32Array.from({ length: 2 * 2 * 5 * 6 }, (_, i) => ((i * 37) % 120) / 10), [2, 2, 5, 6]);
    checkGradients((t) => maxPool2d(t, 2, { stride: 1 }), [x], 3, 1e-2, 2e-2);
    checkGradients((t) => avgPool2d(t, 3, { stride: 2, padding: 1 }), [randomTensor([2, 2, 5, 6], 4)], 4, 1e-2, 2e-2);
  }));

  test('bad options and kernels larger than the padded input are named', () => {
    const x = randomTensor([1, 1, 4, 4], 1);
    expect(() => maxPool2d(x, 5)).toThrow('maxPool2d: expected kernelSize to be at most the padded input size [4, 4], but got [5,5]');
    expect(() => maxPool2d(x, 2, { padding: 2 })).toThrow('maxPool2d: expected options.padding to be at most half of kernelSize [2,2], but got [2,2]');
    expect(() => maxPool2d(x, 0)).toThrow('maxPool2d: expected kernelSize to be a positive integer or a pair of them, but got 0');
    expect(() => avgPool2d(randomTensor([4, 4], 1), 2)).toThrow('avgPool2d: expected input.shape to be 4-D (N, C, H, W) or 3-D (C, H, W), but got [4, 4]');
    expect(() => maxPool2d(x, 2, { countIncludePad: true } as never)).toThrow("maxPool2d: unknown option 'countIncludePad'");
  });
});

describe('activations', () => {
  test('values by hand, NaN propagated', () => {
    const x = new Tensor([-2, -0.5, 0, 0.5, 2, NaN]);
    for (const name of BACKENDS) {
      withBackend(name, () => {
        expect([...relu(x).data]).toEqual([0, 0, 0, 0.5, 2, NaN]);
        expectClose(sigmoid(x).data.subarray(0, 5), Float32Array.of(0.11920292, 0.37754067, 0.5, 0.62245933, 0.88079708), { atol: 1e-7 });
        expectClose(tanh(x).data.subarray(0, 5), Float32Array.of(-0.96402758, -0.46211716, 0, 0.46211716, 0.96402758), { atol: 1e-7 });
        expect(Number.isNaN(sigmoid(x).data[5]) && Number.isNaN(tanh(x).data[5])).toBe(true);
      });
    }
  });

  test.each([1, 7, 100_003])('native = reference over %i elements', (n) => {
    for (const f of [relu, sigmoid, tanh]) expectParity((x) => f(x.mul(4)), [[n]], n);
  });

  test.each(BACKENDS)('finite differences (%s)', (name) => withBackend(name, () => {
    // Away from relu's kink at 0.
    const x = new Tensor(Float32Array.from({ length: 24 }, (_, i) => (i - 11.5) / 5), [4, 6]);
    for (const f of [relu, sigmoid, tanh]) checkGradients(f, [x], 5, 1e-2, 2e-2);
  }));
});

describe('logSoftmax and crossEntropy', () => {
  test('values by hand', () => {
    const logits = new Tensor([1, 2, 3, 1, 1, 1], [2, 3]);
    const lse = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
    expectClose(logSoftmax(logits).data, Float32Array.of(1 - lse, 2 - lse, 3 - lse, -Math.log(3), -Math.log(3), -Math.log(3)), { atol: 1e-6 });
    const losses = crossEntropy(logits, [2, 0], { reduction: 'none' });
    expectClose(losses.data, Float32Array.of(lse - 3, Math.log(3)), { atol: 1e-6 });
    expect(crossEntropy(logits, Int32Array.of(2, 0)).item()).toBeCloseTo((lse - 3 + Math.log(3)) / 2, 6);
    expect(crossEntropy(logits, [2, 0], { reduction: 'sum' }).item()).toBeCloseTo(lse - 3 + Math.log(3), 6);
  });

  test('huge logits stay finite (the maximum is subtracted)', () => {
    const loss = crossEntropy(new Tensor([1000, 0, -1000], [1, 3]), [1]);
    expect(loss.item()).toBeCloseTo(1000, 3);
  });

  test('finite differences, every reduction and dim', () => {
    checkGradients((x) => logSoftmax(x, 0), [randomTensor([3, 4, 2], 1)], 2, 1e-2, 2e-2);
    checkGradients((x) => logSoftmax(x, -1), [randomTensor([3, 5], 3)], 4, 1e-2, 2e-2);
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      checkGradients((x) => crossEntropy(x, [0, 4, 2], { reduction }), [randomTensor([3, 5], 5)], 6, 1e-2, 2e-2);
    }
  });

  test('labels are checked', () => {
    const x = randomTensor([2, 3], 1);
    expect(() => crossEntropy(x, [0, 3])).toThrow('crossEntropy: expected target[1] to be an integer class in [0, 2] (or ignoreIndex, -100), but got 3');
    expect(() => crossEntropy(x, [0])).toThrow('crossEntropy: expected target to be 2 labels (one per row of input), but got 1');
    expect(() => crossEntropy(x, [0, 1.5])).toThrow('crossEntropy: expected target[1] to be an integer class in [0, 2] (or ignoreIndex, -100), but got 1.5');
    expect(() => logSoftmax(x, 2)).toThrow('logSoftmax: expected dim to be an integer in [-2, 1], but got 2');
  });
});

describe('dropout', () => {
  test('zeroes about p of the elements, scales the rest by 1/(1 − p), and passes gradients through the mask', () => {
    const x = Tensor.ones([10_000], { requiresGrad: true });
    const y = dropout(x, 0.25, true, new Random(3));
    const kept = y.data.filter((v) => v !== 0);
    expect(new Set(kept)).toEqual(new Set([Math.fround(1 / 0.75)]));
    expect(Math.abs(kept.length / 10_000 - 0.75)).toBeLessThan(0.02);
    y.sum().backward();
    expect(x.grad!.data).toEqual(y.data);
    expect(dropout(x, 0.25, false, new Random(3))).toBe(x);
    expect(() => dropout(x, 1.5, true, new Random(3))).toThrow('dropout: expected p to be a probability in [0, 1], but got 1.5');
  });
});

describe('optimiser kernels', () => {
  test("SGD's TypeScript update (used for small parameters) gives the native kernel's bits", () => {
    const r = new Random(5);
    for (let t = 0; t < 50; t++) {
      const n = 1 + Math.floor(r.uniform() * 200);
      const values = () => Float32Array.from({ length: n }, () => r.uniform() * 2 - 1);
      const w = values(), g = values(), buf = values();
      const h = {
        lr: 0.01 + r.uniform(), momentum: t % 4 === 0 ? 0 : 0.9, dampening: t % 3 === 0 ? 0.25 : 0, weightDecay: t % 2 ? 1e-3 : 0,
        nesterov: t % 5 === 1, maximize: t % 7 === 0, firstStep: t % 6 === 0,
      };
      if (h.nesterov) h.dampening = 0;
      const [w1, b1] = [w.slice(), buf.slice()], [w2, b2] = [w.slice(), buf.slice()];
      withBackend('reference', () => backend().sgdStep(h, w1, g, h.momentum ? b1 : null));
      withBackend('native', () => backend().sgdStep(h, w2, g, h.momentum ? b2 : null));
      expect(w1).toEqual(w2);
      expect(b1).toEqual(b2);
    }
  });
});
