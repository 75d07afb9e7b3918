// Training utilities (issue 17): crossEntropy's options, the warm-up and 1cycle
// schedules against PyTorch 1.13's numbers; clipGradNorm, the init functions and the
// data transforms against their definitions; DataLoader's augmented batches replaying;
// custom differentiable ops (defineFunction) by finite differences; errors by name.
import { describe, expect, it } from 'vitest';
import {
  AutogradError, DataLoader, LambdaLR, LinearLR, Linear, OneCycleLR, SGD, ShapeError, Tensor, clipGradNorm, crossEntropy,
  defineFunction, init, manualSeed, transforms,
} from '../lib/index';
import { checkGradients, expectClose, randomTensor } from './helpers';

const LOGITS = [[1, 2, 0.5, -1], [0.3, -0.2, 2, 1], [3, 1, 0, 0], [-1, 0.5, 0.25, 2]];

describe('crossEntropy options', () => {
  it("matches PyTorch with class weights, an ignored sample and label smoothing, for every reduction", () => {
    const torch = {
      mean: [[0.6548955], [0.0467596, -0.0466815, 0.0095085, -0.0095866, 0.0396502, 0.0163075, -0.1303241, 0.0743665, 0, 0, 0, 0, 0.0055335, 0.0385868, 0.0164825, -0.0606028]],
      sum: [[2.9470296], [0.2104182, -0.2100669, 0.0427884, -0.0431396, 0.1784257, 0.0733839, -0.5864584, 0.3346491, 0, 0, 0, 0, 0.0249009, 0.1736405, 0.0741714, -0.2727129]],
      none: [[0.919941, 1.1666342, 0, 0.8604546], [0.2104182, -0.2100669, 0.0427884, -0.0431396, 0.1784257, 0.0733839, -0.5864584, 0.3346491, 0, 0, 0, 0, 0.0249009, 0.1736405, 0.0741714, -0.2727129]],
    } as const;
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      const x = Tensor.fromArray(LOGITS, { requiresGrad: true });
      const loss = crossEntropy(x, [1, 2, -100, 3], { reduction, weight: Tensor.fromArray([0.5, 1, 2, 1.5]), labelSmoothing: 0.2 });
      loss.sum().backward();
      expectClose(loss.data, Float32Array.from(torch[reduction][0]), { atol: 2e-6, what: `${reduction} loss` });
      expectClose(x.grad!.data, Float32Array.from(torch[reduction][1]), { atol: 2e-6, what: `${reduction} gradient` });
    }
    const x = Tensor.fromArray(LOGITS, { requiresGrad: true });
    const plain = crossEntropy(x, [1, 2, 0, 3], { labelSmoothing: 0.1 });
    plain.backward();
    expect(plain.item()).toBeCloseTo(0.5498371124267578, 6);
    expectClose(x.grad!.data, Float32Array.from([0.0498019, -0.078885, 0.0277472, 0.0013358, 0.02124, 0.0104235, -0.0807714, 0.049108,
      -0.028806, 0.0211478, 0.0038291, 0.0038291, 0.0023536, 0.0323087, 0.0237796, -0.0584419]), { atol: 2e-6 });
    expect(() => crossEntropy(x, [1, 2, 7, 3])).toThrow(/or ignoreIndex/);
    expect(() => crossEntropy(x, [1, 2, 0, 3], { labelSmoothing: 2 })).toThrow(/labelSmoothing/);
    expect(() => crossEntropy(x, [1, 2, 0, 3], { weight: Tensor.ones([3]) })).toThrow(ShapeError);
  });
});

describe('schedules', () => {
  const optimizer = () => new SGD([Tensor.zeros([1], { requiresGrad: true })], { lr: 0.1 });
  it("OneCycleLR gives PyTorch's learning rates and cycles momentum", () => {
    const opt = optimizer();
    const schedule = new OneCycleLR(opt, { maxLr: 0.5, totalSteps: 10 });
    const lrs: number[] = [];
    for (let i = 0; i < 10; i++) {
      lrs.push(opt.lr);
      schedule.step();
    }
    expectClose(Float32Array.from(lrs), Float32Array.from([0.02, 0.26, 0.5, 0.475242316, 0.405872827, 0.305631011, 0.194370989,
      0.094129173, 0.024759684, 2e-06]), { atol: 1e-8, rtol: 1e-6 });
    expect(opt.momentum).toBeCloseTo(0.945048443395121, 9);
    expect(() => schedule.step()).toThrow(/at most totalSteps/);
  });

  it('LinearLR warms up as PyTorch; LambdaLR scales by the function', () => {
    const opt = optimizer();
    const warm = new LinearLR(opt, { startFactor: 0.25, totalIters: 4 });
    const lrs: number[] = [];
    for (let i = 0; i < 6; i++) {
      lrs.push(opt.lr);
      warm.step();
    }
    expectClose(Float32Array.from(lrs), Float32Array.from([0.025, 0.04375, 0.0625, 0.08125, 0.1, 0.1]), { atol: 1e-9 });
    const opt2 = optimizer();
    const lambda = new LambdaLR(opt2, (e) => 0.5 ** e);
    lambda.step();
    lambda.step();
    expect(opt2.lr).toBeCloseTo(0.025, 12);
  });
});

describe('clipGradNorm and init', () => {
  it('scales the gradients to maxNorm and returns the norm they had', () => {
    const a = Tensor.zeros([2], { requiresGrad: true }), b = Tensor.zeros([1], { requiresGrad: true }), c = Tensor.zeros([1], { requiresGrad: true });
    a.grad = Tensor.fromArray([3, 0]);
    b.grad = Tensor.fromArray([4]);
    expect(clipGradNorm([a, b, c], 1)).toBeCloseTo(5, 6);
    expectClose(a.grad.data, Float32Array.from([0.6, 0]), { atol: 1e-6 });
    expectClose(b.grad!.data, Float32Array.from([0.8]), { atol: 1e-6 });
    expect(clipGradNorm([a, b], 10)).toBeCloseTo(1, 5); // under the limit: unchanged
    expectClose(a.grad.data, Float32Array.from([0.6, 0]), { atol: 1e-6 });
    expect(clipGradNorm([a, b], 0.4, { normType: Infinity })).toBeCloseTo(0.8, 6);
    expect(b.grad!.data[0]).toBeCloseTo(0.4, 5);
  });

  it('the init functions draw with the stated spread, from the global seed', () => {
    const std = (t: Tensor) => Math.sqrt(t.data.reduce((s, v) => s + v * v, 0) / t.size);
    manualSeed(1);
    const w = init.kaimingNormal(Tensor.zeros([256, 128, 3, 3]), { mode: 'fanOut', nonlinearity: 'relu' });
    expect(std(w)).toBeCloseTo(Math.SQRT2 / Math.sqrt(256 * 9), 3);
    const u = init.kaimingUniform(Tensor.zeros([64, 300]));
    expect(Math.max(...u.data.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(3) * Math.SQRT2 / Math.sqrt(300));
    expect(std(init.xavierNormal(Tensor.zeros([200, 300]), 2))).toBeCloseTo(2 * Math.sqrt(2 / 500), 3);
    expect(std(init.xavierUniform(Tensor.zeros([200, 300])))).toBeCloseTo(Math.sqrt(2 / 500), 3);
    expect(Array.from(init.ones(Tensor.zeros([3])).data)).toEqual([1, 1, 1]);
    expect(init.calculateGain('tanh')).toBeCloseTo(5 / 3, 12);
    manualSeed(1);
    expect(Array.from(init.kaimingNormal(Tensor.zeros([256, 128, 3, 3]), { mode: 'fanOut', nonlinearity: 'relu' }).data.slice(0, 5)))
      .toEqual(Array.from(w.data.slice(0, 5)));
    expect(() => init.kaimingNormal(Tensor.zeros([5]))).toThrow(/at least 2 dimensions/);
  });
});

describe('transforms', () => {
  const batch = new Tensor(Float32Array.from({ length: 2 * 1 * 3 * 4 }, (_, i) => i + 1), [2, 1, 3, 4]);
  const fixed = (values: number[]) => { let i = 0; return { uniform: () => values[i++ % values.length] }; };

  it('randomCrop pads with zeros and cuts at the drawn corner', () => {
    // Corner draws 0 and 0.999: top-left of the padded sample, then its bottom-right.
    const out = transforms.randomCrop([3, 4], { padding: 1 })(batch, fixed([0, 0, 0.999, 0.999]));
    expect(out.toArray()).toEqual([
      [[[0, 0, 0, 0], [0, 1, 2, 3], [0, 5, 6, 7]]],
      [[[18, 19, 20, 0], [22, 23, 24, 0], [0, 0, 0, 0]]],
    ]);
  });

  it('randomHorizontalFlip mirrors the samples drawn, normalize scales channels, compose chains', () => {
    const flipped = transforms.randomHorizontalFlip(0.5)(batch, fixed([0.2, 0.7]));
    expect((flipped.toArray() as number[][][][])[0][0][0]).toEqual([4, 3, 2, 1]);
    expect((flipped.toArray() as number[][][][])[1][0][0]).toEqual([13, 14, 15, 16]);
    const both = transforms.compose(transforms.normalize([1], [2]), transforms.randomHorizontalFlip(1));
    expect((both(batch, fixed([0])).toArray() as number[][][][])[0][0][0]).toEqual([1.5, 1, 0.5, 0]);
    expect(Array.from(batch.data.slice(0, 4))).toEqual([1, 2, 3, 4]); // the input is unchanged
    expect(() => transforms.normalize([0, 0], [1])).toThrow(/std/);
  });

  it('DataLoader applies the transform with generators that replay', () => {
    const images = randomTensor([10, 1, 6, 6], 1);
    const loader = () => new DataLoader(images, Int32Array.from({ length: 10 }, (_, i) => i % 3), {
      batchSize: 4, shuffle: true, seed: 7, transform: transforms.compose(transforms.randomCrop(6, { padding: 2 }), transforms.randomHorizontalFlip()),
    });
    const first = [...loader().batches(3)].map((b) => Array.from(b.inputs.data));
    const again = [...loader().batches(3)].map((b) => Array.from(b.inputs.data));
    expect(again).toEqual(first);
    const other = [...loader().batches(4)].map((b) => Array.from(b.inputs.data));
    expect(other).not.toEqual(first);
  });
});

describe('defineFunction', () => {
  const cube = defineFunction({
    name: 'cube',
    forward(ctx, x) {
      ctx.saveForBackward(x);
      return new Tensor(x.data.map((v) => v ** 3), [...x.shape]);
    },
    backward(ctx, g) {
      const [x] = ctx.savedTensors;
      return [new Tensor(g.data.map((v, i) => 3 * x.data[i] ** 2 * v), [...x.shape])];
    },
  });

  it('joins the graph: gradients by finite differences, through other ops', () => {
    checkGradients((x) => cube(x.mul(2)).add(x), [randomTensor([3, 4], 2)], 3, 1e-3, 1e-2);
    const layer = new Linear(3, 2);
    const y = cube(layer.forward(randomTensor([4, 3], 4))).sum();
    y.backward();
    expect(layer.weight.grad!.data.some((v) => v !== 0)).toBe(true);
  });

  it('refuses a backward with the wrong number or shape of gradients', () => {
    const bad = defineFunction({ name: 'bad', forward: (_ctx, x) => x.mul(1), backward: () => [] });
    const x = Tensor.ones([2], { requiresGrad: true });
    expect(() => bad(x).sum().backward()).toThrow(AutogradError);
    const wrong = defineFunction({ name: 'wrong', forward: (_ctx, t) => t.mul(1), backward: () => [Tensor.ones([3])] });
    expect(() => wrong(x).sum().backward()).toThrow(/gradient 0/);
  });

  it('a gradient its backward keeps is never reused: its values stay through later backward passes', () => {
    // gradOutput comes from the gradient pool (16 KiB: large enough to be pooled); a backward
    // may keep it, as PyTorch's may keep grad_output, so the pool must never hand it out again.
    let kept: Tensor | null = null;
    const stash = defineFunction({
      name: 'stash',
      forward: (_ctx, x) => x.mul(1),
      backward: (_ctx, g) => {
        kept = g;
        return [g.mul(1)];
      },
    });
    const x = Tensor.ones([64, 64], { requiresGrad: true });
    stash(x).mul(3).sum().backward();
    expect(kept!.data.every((v) => v === 3)).toBe(true);
    for (let i = 0; i < 4; i++) x.mul(5).mul(7).sum().backward(); // gradients of the same size, from the pool
    expect(kept!.data.every((v) => v === 3)).toBe(true);
  });
});
