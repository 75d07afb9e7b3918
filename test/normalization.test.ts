// Normalisation (issue 17): the per-channel kernels native = reference over layouts with
// 1s, primes, short and long runs, empty ones, at 1 and 2 threads (same bits); batchNorm,
// layerNorm and groupNorm against PyTorch's numbers, an independent float64 formula and
// finite differences (every gradient, both backends); the layers' buffers, running
// statistics and state dicts; bad input refused by name.
import { afterEach, describe, expect, it } from 'vitest';
import {
  ArgumentRangeError, ArgumentTypeError, BatchNorm1d, BatchNorm2d, BatchNorm3d, GroupNorm, LayerNorm, Sequential, ShapeError,
  Tensor, UnknownOptionError, Conv2D, batchNorm, getNumThreads, groupNorm, layerNorm, setNumThreads,
} from '../lib/index';
import { backend } from '../lib/backend';
import type { ChannelAffineTerms, ChannelLayout } from '../lib/reference/channel-norm';
import { bits, checkGradients, expectClose, randomTensor, withBackend } from './helpers';

const threads = getNumThreads();
afterEach(() => setNumThreads(threads));

// [outer, channels, inner]: 1s, primes, runs shorter and longer than the native cut (32),
// a run longer than one task (32K), empty.
const LAYOUTS: Array<[number, number, number]> = [
  [1, 1, 1], [2, 3, 1], [7, 5, 3], [3, 2, 31], [2, 3, 32], [5, 4, 1031], [1, 2, 70001],
  [64, 3, 1], [300, 7, 1], [0, 3, 4], [3, 0, 5], [2, 3, 0],
  // ResNet-18 on 28 x 28 digits: its BatchNorms over 7 x 7, 4 x 4, 2 x 2 and 1 x 1 planes;
  // a plane wider than one column block (512) and more rows than one float group (16).
  [64, 64, 49], [64, 128, 16], [64, 256, 4], [64, 512, 1], [37, 131, 5], [19, 3, 33],
];

function kernelRun(kind: 'native' | 'reference', [outer, channels, inner]: [number, number, number], offset: number) {
  const l: ChannelLayout = { outer, channels, inner };
  const n = outer * channels * inner;
  const x = randomTensor([n], 1).data.map((v) => v + offset), g = randomTensor([n], 2).data;
  const coef = (seed: number) => randomTensor([channels], seed).data;
  return withBackend(kind, () => {
    const mean = new Float32Array(channels), variance = new Float32Array(channels);
    backend().channelMoments(l, x, mean, variance);
    const sumG = new Float32Array(channels), sumGX = new Float32Array(channels);
    backend().channelGradSums(l, g, x, mean, sumG, sumGX);
    const terms: ChannelAffineTerms = { u: g, a: coef(3), v: x, b: coef(4), m: mean, d: coef(5) };
    const both = new Float32Array(n), onlyU = new Float32Array(n), onlyV = new Float32Array(n);
    backend().channelAffine(l, terms, both);
    backend().channelAffine(l, { u: g, a: terms.a, d: terms.d }, onlyU);
    backend().channelAffine(l, { v: x, b: terms.b, m: mean, d: terms.d }, onlyV);
    return { mean, variance, sumG, sumGX, both, onlyU, onlyV, count: outer * inner };
  });
}

describe('per-channel kernels: native = reference', () => {
  it.each(LAYOUTS)('layout [%i, %i, %i]', (...layout) => {
    for (const offset of [0, 1000]) {
      const native = kernelRun('native', layout, offset), reference = kernelRun('reference', layout, offset);
      if (native.count === 0) {
        // 0/0: no statistics (batchNorm refuses such a batch before it gets here).
        expect(Array.from(native.mean).every(Number.isNaN)).toBe(true);
      } else {
        expectClose(native.mean, reference.mean, { atol: 1e-5, rtol: 1e-6, what: 'mean' });
        // Data about 1000 with variance 1/3: float32 keeps ~1e-4 of each value.
        expectClose(native.variance, reference.variance, { atol: offset ? 2e-4 : 1e-6, rtol: 1e-5, what: 'variance' });
        expect(native.variance.every((v) => v >= 0)).toBe(true);
      }
      expectClose(native.sumG, reference.sumG, { atol: 1e-3, rtol: 1e-5, what: 'sumG' });
      expectClose(native.sumGX, reference.sumGX, { atol: 1e-3, rtol: 1e-5, what: 'sumGX' });
      for (const k of ['both', 'onlyU', 'onlyV'] as const) expectClose(native[k], reference[k], { atol: 1e-5, rtol: 1e-6, what: k });
    }
  });

  it('gives the same bits at 1 and 2 threads', () => {
    for (const layout of LAYOUTS) {
      setNumThreads(1);
      const one = kernelRun('native', layout, 3);
      setNumThreads(2);
      const two = kernelRun('native', layout, 3);
      for (const k of ['mean', 'variance', 'sumG', 'sumGX', 'both', 'onlyU', 'onlyV'] as const) {
        expect(bits(two[k]).equals(bits(one[k])), `${layout} ${k}`).toBe(true);
      }
    }
  });

  it('does not lose the variance of data far from zero', () => {
    // 1e4 + {0, 1}: a plain Σx² − (Σx)²/n in float32 would give 0 or noise.
    const n = 4096, x = new Float32Array(n).map((_, i) => 1e4 + (i % 2));
    const mean = new Float32Array(1), variance = new Float32Array(1);
    backend().channelMoments({ outer: 1, channels: 1, inner: n }, x, mean, variance);
    expect(mean[0]).toBe(10000.5);
    expect(variance[0]).toBeCloseTo(0.25, 6);
  });
});

// PyTorch 1.13 (F.batch_norm, training, momentum 0.3, eps 1e-3; F.group_norm, 2 groups),
// input (2, 2, 3), loss Σ y·G.
const X = [[[0.5, -1.0, 2.0], [3.0, 0.25, -0.75]], [[1.5, 2.5, -2.0], [0.0, 1.0, 4.0]]];
const G = [[[1, 2, 3], [4, 5, 6]], [[-1, -2, -3], [0.5, 0.25, 0.125]]];
const TORCH = {
  y: [0.022760838270187378, -1.3675442934036255, 1.413066029548645, -0.31595712900161743, 0.4948326349258423,
    0.7896652817726135, 0.9496309757232666, 1.8765010833740234, -2.294414520263672, 0.5685408115386963,
    0.27370816469192505, -0.6107897758483887],
  runningMean: [0.3149999976158142, 0.3050000071525574],
  runningVar: [1.9924999475479126, 1.3849999904632568],
  gx: [0.9465309977531433, 2.2272958755493164, 2.446376323699951, -0.7085322737693787, -0.5173539519309998,
    -0.6354552507400513, -1.143139123916626, -2.305939197540283, -2.1711249351501465, 0.8535757660865784,
    0.7505526542663574, 0.25721287727355957],
  gw: [2.471653938293457, -6.099350452423096],
  gb: [0, 15.875],
  groupY: [0.10000002384185791, -1.7365050315856934, 1.9365050792694092, -0.48312899470329285, 0.3839193284511566,
    0.6992096304893494, 0.747814416885376, 1.5251916646957397, -1.973006010055542, 0.690205454826355,
    0.39608216285705566, -0.4862877130508423],
  groupGx: [-1.2243369817733765, 0.611760139465332, 0.6125760078430176, -0.02425205707550049, 0.09141528606414795,
    -0.06716322898864746, 0.5743855237960815, -0.44658172130584717, -0.12780356407165527, -0.021224677562713623,
    0.028275541961193085, -0.007050856947898865],
  groupGw: [3.0382168292999268, -2.7813518047332764],
};
const f32 = (a: number[]) => Float32Array.from(a);

describe.each(['native', 'reference'] as const)('batchNorm, layerNorm, groupNorm on the %s backend', (kind) => {
  const run = <T>(fn: () => T) => withBackend(kind, fn);

  it("batchNorm in training matches PyTorch's output, running statistics and gradients", () => run(() => {
    const x = Tensor.fromArray(X, { requiresGrad: true });
    const w = Tensor.fromArray([1.5, -0.5], { requiresGrad: true }), b = Tensor.fromArray([0.1, 0.2], { requiresGrad: true });
    const rm = Tensor.fromArray([0.2, -0.1]), rv = Tensor.fromArray([1.5, 0.5]);
    const before = x.data.slice();
    const y = batchNorm(x, rm, rv, w, b, { training: true, momentum: 0.3, eps: 1e-3 });
    y.mul(Tensor.fromArray(G)).sum().backward();
    expectClose(y.data, f32(TORCH.y), { atol: 2e-6, what: 'y' });
    expectClose(rm.data, f32(TORCH.runningMean), { atol: 1e-6, what: 'runningMean' });
    expectClose(rv.data, f32(TORCH.runningVar), { atol: 1e-6, what: 'runningVar' });
    expectClose(x.grad!.data, f32(TORCH.gx), { atol: 5e-6, what: 'gradInput' });
    expectClose(w.grad!.data, f32(TORCH.gw), { atol: 5e-6, what: 'gradWeight' });
    expectClose(b.grad!.data, f32(TORCH.gb), { atol: 5e-6, what: 'gradBias' });
    expect(x.data).toEqual(before);
  }));

  it('batchNorm in evaluation uses the running statistics and leaves them alone', () => run(() => {
    const x = randomTensor([3, 4, 5], 7);
    const rm = randomTensor([4], 8), rv = Tensor.fromArray([0.5, 1, 2, 4]);
    const w = randomTensor([4], 9), b = randomTensor([4], 10);
    const y = batchNorm(x, rm, rv, w, b, { eps: 1e-5 });
    const expected = x.data.map((v, i) => {
      const c = Math.floor(i / 5) % 4;
      return ((v - rm.data[c]) / Math.sqrt(rv.data[c] + 1e-5)) * w.data[c] + b.data[c];
    });
    expectClose(y.data, expected, { atol: 1e-6, what: 'y' });
    expect(Array.from(rv.data)).toEqual([0.5, 1, 2, 4]);
  }));

  it('batchNorm over (N, C, D, H, W) against a float64 formula', () => run(() => {
    const x = randomTensor([3, 2, 2, 3, 5], 11);
    const y = batchNorm(x, null, null, null, null, { training: true, eps: 0 });
    const per = 2 * 3 * 5;
    for (let c = 0; c < 2; c++) {
      const values: number[] = [];
      for (let n = 0; n < 3; n++) for (let s = 0; s < per; s++) values.push(x.data[(n * 2 + c) * per + s]);
      const m = values.reduce((a, v) => a + v, 0) / values.length;
      const sd = Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / values.length);
      for (let n = 0; n < 3; n++) {
        for (let s = 0; s < per; s++) {
          const i = (n * 2 + c) * per + s;
          expect(Math.abs(y.data[i] - (x.data[i] - m) / sd)).toBeLessThan(2e-6);
        }
      }
    }
  }));

  it('batchNorm gradients by finite differences (training and evaluation, with and without affine)', () => run(() => {
    const rv = () => Tensor.fromArray([0.7, 1.3, 2.1]);
    const rm = () => Tensor.fromArray([0.1, -0.2, 0.3]);
    checkGradients((x, w, b) => batchNorm(x, null, null, w, b, { training: true }), [randomTensor([4, 3, 5], 12),
      randomTensor([3], 13), randomTensor([3], 14)], 15, 1e-2, 2e-2);
    checkGradients((x) => batchNorm(x, null, null, null, null, { training: true }), [randomTensor([5, 3], 16)], 17, 1e-2, 2e-2);
    checkGradients((x, w, b) => batchNorm(x, rm(), rv(), w, b), [randomTensor([2, 3, 7], 18), randomTensor([3], 19),
      randomTensor([3], 20)], 21, 1e-2, 2e-2);
  }));

  it('layerNorm matches a float64 formula; gradients by finite differences', () => run(() => {
    const x = randomTensor([3, 2, 5], 22);
    const y = layerNorm(x, [2, 5], null, null, { eps: 0 });
    for (let r = 0; r < 3; r++) {
      const row = Array.from(x.data.subarray(r * 10, r * 10 + 10));
      const m = row.reduce((a, v) => a + v, 0) / 10;
      const sd = Math.sqrt(row.reduce((a, v) => a + (v - m) ** 2, 0) / 10);
      row.forEach((v, i) => expect(Math.abs(y.data[r * 10 + i] - (v - m) / sd)).toBeLessThan(2e-6));
    }
    checkGradients((xx, w, b) => layerNorm(xx, 7, w, b), [randomTensor([4, 7], 23), randomTensor([7], 24), randomTensor([7], 25)], 26, 1e-2, 2e-2);
    checkGradients((xx) => layerNorm(xx, [3, 2]), [randomTensor([2, 3, 2], 27)], 28, 1e-2, 2e-2);
  }));

  it("groupNorm matches PyTorch's output and gradients; finite differences", () => run(() => {
    const x = Tensor.fromArray(X, { requiresGrad: true });
    const w = Tensor.fromArray([1.5, -0.5], { requiresGrad: true }), b = Tensor.fromArray([0.1, 0.2], { requiresGrad: true });
    const y = groupNorm(x, 2, w, b, { eps: 1e-3 });
    y.mul(Tensor.fromArray(G)).sum().backward();
    expectClose(y.data, f32(TORCH.groupY), { atol: 2e-6, what: 'y' });
    expectClose(x.grad!.data, f32(TORCH.groupGx), { atol: 5e-6, what: 'gradInput' });
    expectClose(w.grad!.data, f32(TORCH.groupGw), { atol: 5e-6, what: 'gradWeight' });
    checkGradients((xx, ww, bb) => groupNorm(xx, 2, ww, bb), [randomTensor([2, 4, 3, 3], 29), randomTensor([4], 30),
      randomTensor([4], 31)], 32, 1e-2, 2e-2);
  }));
});

describe('normalisation: native = reference on larger shapes', () => {
  const both = (f: () => { y: Tensor; grads: Tensor[] }) => {
    const native = withBackend('native', f), reference = withBackend('reference', f);
    expectClose(native.y.data, reference.y.data, { atol: 1e-5, what: 'output' });
    native.grads.forEach((g, k) => expectClose(g.grad!.data, reference.grads[k].grad!.data, { atol: 2e-4, rtol: 1e-4, what: `gradient ${k}` }));
  };
  const inputs = (shapes: number[][]) => shapes.map((s, i) => randomTensor(s, 40 + i, { requiresGrad: true }));

  it.each([[[8, 16, 13, 11]], [[32, 5]], [[3, 7, 1031]], [[1, 3, 64, 64]]])('batchNorm %j', (shape) => both(() => {
    const [x, w, b] = inputs([shape, [shape[1]], [shape[1]]]);
    const y = batchNorm(x, Tensor.zeros([shape[1]]), Tensor.ones([shape[1]]), w, b, { training: true });
    y.mul(randomTensor([...y.shape], 50)).sum().backward();
    return { y, grads: [x, w, b] };
  }));

  it.each([[[6, 129]], [[4, 3, 37]], [[2, 4096]]])('layerNorm %j', (shape) => both(() => {
    const last = shape[shape.length - 1];
    const [x, w, b] = inputs([shape, [last], [last]]);
    const y = layerNorm(x, last, w, b);
    y.mul(randomTensor([...y.shape], 51)).sum().backward();
    return { y, grads: [x, w, b] };
  }));

  it.each([[[4, 8, 9, 7], 4], [[2, 6, 33], 3], [[3, 5, 1], 5]])('groupNorm %j, %i groups', (shape, groups) => both(() => {
    const [x, w, b] = inputs([shape as number[], [(shape as number[])[1]], [(shape as number[])[1]]]);
    const y = groupNorm(x, groups as number, w, b);
    y.mul(randomTensor([...y.shape], 52)).sum().backward();
    return { y, grads: [x, w, b] };
  }));
});

describe('BatchNorm layers', () => {
  it("keeps running statistics as buffers under PyTorch's names", () => {
    const bn = new BatchNorm2d(3);
    expect(Object.keys(bn.stateDict())).toEqual(['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']);
    expect(bn.parameters().length).toBe(2);
    const model = new Sequential(new Conv2D(1, 3, 3), bn);
    expect(Object.keys(model.stateDict())).toEqual(['0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean',
      '1.running_var', '1.num_batches_tracked']);
    const x = randomTensor([4, 3, 5, 5], 60);
    bn.forward(x);
    bn.forward(x);
    expect(bn.numBatchesTracked!.item()).toBe(2);
    const copy = new BatchNorm2d(3);
    copy.loadStateDict(bn.stateDict());
    expect(Array.from(copy.runningMean!.data)).toEqual(Array.from(bn.runningMean!.data));
    expect(Array.from(copy.runningVar!.data)).toEqual(Array.from(bn.runningVar!.data));
    expect(copy.numBatchesTracked!.item()).toBe(2);
    bn.eval();
    copy.eval();
    expect(bits(copy.forward(x).data).equals(bits(bn.forward(x).data))).toBe(true);
    expect(bn.numBatchesTracked!.item()).toBe(2); // evaluation does not count
  });

  it('momentum null keeps a cumulative average of the batches', () => {
    const bn = new BatchNorm1d(1, { momentum: null });
    for (const batch of [[1, 3], [5, 7], [0, 0]]) bn.forward(Tensor.fromArray(batch.map((v) => [v])));
    // Batch means 2, 6, 0 and unbiased variances 2, 2, 0: the first batch's factor is 1
    // (the initial 0 and 1 are replaced), then 1/2, 1/3: the plain average of the three.
    expect(bn.runningMean!.data[0]).toBeCloseTo((2 + 6 + 0) / 3, 6);
    expect(bn.runningVar!.data[0]).toBeCloseTo((2 + 2 + 0) / 3, 6);
  });

  it('without trackRunningStats every call uses the batch, and nothing is saved', () => {
    const bn = new BatchNorm1d(2, { trackRunningStats: false, affine: false });
    expect(bn.stateDict()).toEqual({});
    bn.eval();
    const y = bn.forward(Tensor.fromArray([[1, 10], [3, 30]]));
    expectClose(y.data, f32([-1, -1, 1, 1]), { atol: 1e-4 });
  });

  it('BatchNorm3d, LayerNorm and GroupNorm layers train their parameters', () => {
    for (const [layer, shape] of [[new BatchNorm3d(2), [2, 2, 3, 3, 3]], [new LayerNorm([4, 5]), [3, 4, 5]],
      [new GroupNorm(2, 4), [2, 4, 6]]] as const) {
      const y = layer.forward(randomTensor([...shape], 61));
      y.mul(randomTensor([...shape], 62)).sum().backward();
      expect(layer.parameters().every((p) => p.grad !== null && p.grad.data.some((v) => v !== 0))).toBe(true);
    }
  });

  it('refuses bad input by name before any work', () => {
    const bn = new BatchNorm2d(3);
    expect(() => bn.forward(randomTensor([2, 3, 4], 63))).toThrow(ShapeError);
    expect(() => bn.forward(randomTensor([2, 4, 4, 4], 63))).toThrow(/expected input\.shape\[1\] to be 3/);
    expect(() => bn.forward(randomTensor([1, 3, 1, 1], 63))).toThrow(/more than 1 value per channel/);
    expect(() => batchNorm(randomTensor([2, 3], 64), null, null)).toThrow(ArgumentTypeError);
    expect(() => batchNorm(randomTensor([2, 3], 64), Tensor.zeros([2]), Tensor.ones([3]))).toThrow(/runningMean\.shape/);
    expect(() => batchNorm(randomTensor([2, 3], 64), null, null, null, null, { training: true, momentum: NaN })).toThrow(ArgumentTypeError);
    expect(() => batchNorm(randomTensor([2, 3], 64), null, null, null, null, { trainng: true } as never)).toThrow(UnknownOptionError);
    expect(() => new BatchNorm2d(0)).toThrow(ArgumentRangeError);
    expect(() => new BatchNorm2d(3, { eps: -1 })).toThrow(ArgumentRangeError);
    expect(() => layerNorm(randomTensor([2, 3], 65), 4)).toThrow(/to end with normalizedShape \[4\]/);
    expect(() => groupNorm(randomTensor([2, 6, 3], 66), 4)).toThrow(/a multiple of numGroups/);
    expect(() => new GroupNorm(4, 6)).toThrow(ArgumentRangeError);
    expect(bn.numBatchesTracked!.item()).toBe(0);
  });
});
