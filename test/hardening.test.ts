/**
 * Nothing crashes, nothing is lost: a thousand overlapping async calls whose inputs
 * lose their last reference, inputs written, resized and detached during async calls
 * (snapshot semantics), SharedArrayBuffer tensors across workers, five threads training
 * at once, workers terminated in the middle of a native call, and a clean exit.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, test } from 'vitest';
import {
  ArgumentRangeError, Conv2D, SGD, ShapeError, Tensor, conv1d, conv1dBackward, linear, matmul, maxPool2d, relu, conv2d, conv2dAsync, conv2dBackward, conv2dBackwardAsync, manualSeed, mseLoss,
} from '../lib/index';
import { Random } from '../lib/random';
import { expectClose, randomTensor, withBackend } from './helpers';

const FIXTURES = path.join(__dirname, 'fixtures');

describe('concurrent async calls', () => {
  test('1,000 overlapping forward and backward calls with random shapes all resolve correctly, inputs unreferenced', async () => {
    const r = new Random(7);
    const pick = (xs: number[]) => xs[Math.floor(r.uniform() * xs.length)];
    const expected: Array<{ kind: 'fwd' | 'bwd'; seed: number; shape: number[]; wshape: number[]; options: { padding: number; stride: number }; data: Float32Array[] }> = [];
    for (let i = 0; i < 1000; i++) {
      const shape = [pick([1, 2]), pick([1, 3, 8]), pick([5, 9, 16]), pick([4, 7, 16])];
      const wshape = [pick([1, 4, 6]), shape[1], pick([1, 3]), pick([1, 3])];
      const options = { padding: pick([0, 1]), stride: pick([1, 2]) };
      const kind = i % 2 === 0 ? 'fwd' : 'bwd';
      const x = Tensor.randn(shape, { seed: i }), w = Tensor.randn(wshape, { seed: i + 5000 });
      const y = conv2d(x, w, null, options);
      const data = kind === 'fwd' ? [y.data]
        : Object.values(conv2dBackward(x, w, Tensor.ones([...y.shape]), options)).map((t) => t!.data);
      expected.push({ kind, seed: i, shape, wshape, options, data });
    }
    // Every tensor is made inside the call expression: only the native side holds them.
    const pending = expected.map((e) => e.kind === 'fwd'
      ? conv2dAsync(Tensor.randn(e.shape, { seed: e.seed }), Tensor.randn(e.wshape, { seed: e.seed + 5000 }), null, e.options)
        .then((y) => [y.data])
      : conv2dBackwardAsync(Tensor.randn(e.shape, { seed: e.seed }), Tensor.randn(e.wshape, { seed: e.seed + 5000 }),
        Tensor.ones([...conv2d(Tensor.zeros(e.shape), Tensor.zeros(e.wshape), null, e.options).shape]), e.options)
        .then((g) => Object.values(g).map((t) => t!.data)));
    (globalThis as { gc?: () => void }).gc?.();
    const results = await Promise.all(pending);
    results.forEach((got, i) => got.forEach((d, k) => expect(d).toEqual(expected[i].data[k])));
  });

  test('an input written to during an async call does not change its result (the call took a snapshot)', async () => {
    const x = Tensor.randn([4, 32, 64, 64], { seed: 1 }), w = Tensor.randn([32, 32, 3, 3], { seed: 2 });
    const want = conv2d(x, w, null, { padding: 1 }).data;
    const pending = conv2dAsync(x, w, null, { padding: 1 });
    x.data.fill(NaN);
    w.data.fill(0);
    expect((await pending).data).toEqual(want);
  });

  test('an input resized or detached during an async call: no crash, the snapshot result', async () => {
    const size = 4 * 32 * 64 * 64;
    const buffer = new ArrayBuffer(size * 4, { maxByteLength: size * 4 });
    const x = new Tensor(new Float32Array(buffer, 0, size), [4, 32, 64, 64]);
    x.data.set(Tensor.randn([size], { seed: 3 }).data);
    const w = Tensor.randn([32, 32, 3, 3], { seed: 4 });
    const want = conv2d(x, w, null, { padding: 1 }).data;
    const pending = conv2dAsync(x, w, null, { padding: 1 });
    buffer.resize(0);  // the pages behind x are gone; the native job reads its own copy
    expect((await pending).data).toEqual(want);

    const y = Tensor.randn([4, 32, 64, 64], { seed: 5 });
    const wantY = conv2d(y, w, null, { padding: 1 }).data;
    const pendingY = conv2dAsync(y, w, null, { padding: 1 });
    structuredClone(y.data.buffer, { transfer: [y.data.buffer] });  // detaches y's buffer
    expect((await pendingY).data).toEqual(wantY);
  });

  test('an output detached during an async call rejects the promise instead of writing to freed memory', async () => {
    const x = Tensor.randn([2, 16, 64, 64], { seed: 1 }), w = Tensor.randn([16, 16, 3, 3], { seed: 2 });
    const size = 2 * 16 * 64 * 64;
    const buffer = new ArrayBuffer(size * 4, { maxByteLength: size * 4 });
    const out = new Tensor(new Float32Array(buffer, 0, size), [2, 16, 64, 64]);
    const pending = conv2dAsync(x, w, null, { padding: 1, out });
    buffer.resize(4);
    await expect(pending).rejects.toThrow(/detached or resized during the call/);
    const g = Tensor.ones([2, 16, 64, 64]);
    const gradWeight = Tensor.zeros([16, 16, 3, 3]);
    const pendingGrad = conv2dBackwardAsync(x, w, g, { padding: 1, out: { gradWeight } });
    structuredClone(gradWeight.data.buffer, { transfer: [gradWeight.data.buffer] });
    await expect(pendingGrad).rejects.toThrow(/gradWeight .*detached or resized during the call/);
  });

  test('a tensor over a SharedArrayBuffer is computed on in a worker and seen by the main thread', async () => {
    const shared = { input: new SharedArrayBuffer(48 * 4), output: new SharedArrayBuffer(42 * 4) };
    const x = new Float32Array(shared.input);
    x.fill(1);
    for (let i = 0; i < 6; i++) for (let j = 2; j < 6; j++) x[i * 8 + j] = 0;
    const worker = new Worker(path.join(FIXTURES, 'train-worker.cjs'), { workerData: { shared } });
    await new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
    await worker.terminate();
    const expected = conv2d(new Tensor(Float32Array.from(x), [1, 1, 6, 8]), Tensor.fromArray([[[[1, -1]]]])).data;
    expect(new Float32Array(shared.output)).toEqual(expected);
  });
});

describe('worker threads', () => {
  test('four workers and the main thread train at once, each getting what it gets alone', async () => {
    const steps = 200;
    const alone = (seed: number) => {
      manualSeed(seed);
      const X = Tensor.ones([1, 1, 6, 8]);
      for (let i = 0; i < 6; i++) for (let j = 2; j < 6; j++) X.data[i * 8 + j] = 0;
      const Y = conv2d(X, Tensor.fromArray([[[[1, -1]]]]));
      const layer = new Conv2D(1, 1, [1, 2], { bias: false });
      const opt = new SGD(layer.parameters(), { lr: 3e-2 });
      for (let s = 0; s < steps; s++) {
        const loss = mseLoss(layer.forward(X), Y, { reduction: 'sum' });
        opt.zeroGrad();
        loss.backward();
        opt.step();
      }
      return [...layer.weight.data];
    };
    const workers = [1, 2, 3, 4].map((seed) => new Promise<number[]>((resolve, reject) => {
      const worker = new Worker(path.join(FIXTURES, 'train-worker.cjs'), { workerData: { seed, steps } });
      worker.once('message', (m: number[]) => { resolve(m); void worker.terminate(); });
      worker.once('error', reject);
    }));
    const main = alone(9);
    const results = await Promise.all(workers);
    results.forEach((weights, i) => expect(weights).toEqual(alone(i + 1)));
    expect(main[0]).toBeCloseTo(1, 1);
    expect(main[1]).toBeCloseTo(-1, 1);
  });

  test.each(['sync', 'async'])('a worker terminated in the middle of a %s native call does not take the process down', (mode) => {
    const result = spawnSync(process.execPath, [path.join(FIXTURES, 'terminate-mid-call.cjs'), mode], { encoding: 'utf8', timeout: 60_000 });
    expect(result.signal).toBeNull();
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('terminated with 1');
    expect(result.stdout).toContain('main thread result 4,4,4,4');
  }, 70_000);

  test('a scratch allocation that fails, on any pool thread, is an ArgumentRangeError and the pool goes on (sync and async)', () => {
    // A cap of 1/16 MiB passes the packed weights (made before the threads start) and fails
    // every thread's gather buffer: the workers' exceptions and the caller's must reach
    // JavaScript, not terminate the process (as they did before the pool caught them).
    const script = `
      const { Tensor, conv2d, conv2dAsync, conv2dBackward, setNumThreads } = require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'index.js'))});
      setNumThreads(2);
      const x = Tensor.randn([2, 16, 56, 56], { seed: 1 }), w = Tensor.randn([16, 16, 3, 3], { seed: 2 });
      const report = (what, e) => console.log(what, e.name, e.message);
      try { conv2d(x, w, null, { padding: 1 }); } catch (e) { report('forward', e); }
      try { conv2dBackward(x, w, Tensor.ones([2, 16, 56, 56]), { padding: 1 }); } catch (e) { report('backward', e); }
      conv2dAsync(x, w, null, { padding: 1 }).catch((e) => report('async', e)).then(() => {
        console.log('after', conv2d(Tensor.ones([1, 1, 3, 3]), Tensor.ones([1, 1, 3, 3])).data.join(','));
      });`;
    const result = spawnSync(process.execPath, ['-e', script], {
      encoding: 'utf8', timeout: 30_000, env: { ...process.env, CONVCORE_MAX_SCRATCH_MB: '0.0625' },
    });
    expect(result.signal).toBeNull();
    expect(result.status).toBe(0);
    const error = /ArgumentRangeError convcore native: out of memory: this shape needs a scratch buffer of [\d.]+ MiB, above CONVCORE_MAX_SCRATCH_MB=0\.0625/;
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    for (const [i, what] of ['forward', 'backward', 'async'].entries()) expect(lines[i]).toMatch(new RegExp(`^${what} ${error.source}`));
    expect(lines[3]).toBe('after 9');
  });

  test('a process with busy pool threads exits promptly when its work is done (the pool is joined)', () => {
    const script = `
      const { Tensor, conv2d, setNumThreads } = require(${JSON.stringify(path.join(__dirname, '..', 'dist', 'index.js'))});
      setNumThreads(2);
      conv2d(Tensor.randn([4, 32, 64, 64], { seed: 1 }), Tensor.randn([32, 32, 3, 3], { seed: 2 }), null, { padding: 1 });
      console.log('done');`;
    const started = Date.now();
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe('done');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('limits', () => {
  test('sizes beyond 2^30 elements are refused before any allocation', () => {
    expect(() => Tensor.zeros([2 ** 16, 2 ** 15])).toThrow(ArgumentRangeError);
    expect(() => Tensor.zeros([2 ** 53 + 2])).toThrow(/shape/);
    const x = Tensor.zeros([1, 1, 2 ** 15, 2]), w = Tensor.zeros([2 ** 15, 1, 1, 1]);
    expect(() => conv2d(x, w)).toThrow('conv2d: expected the output size to be at most 1073741824 elements, but got 2147483648');
    expect(() => matmul(Tensor.zeros([2 ** 16, 1]), Tensor.zeros([1, 2 ** 15]))).toThrow('matmul: expected the result size to be at most 1073741824 elements, but got 2147483648');
  });

  test('a stride of 2^40 where one output position exists works (found by the fuzz: it used to overflow)', () => {
    const x = Tensor.randn([2, 4, 7, 3], { seed: 1 }), w = Tensor.randn([6, 2, 2, 4], { seed: 2 });
    const options = { stride: 2 ** 40, dilation: 2, padding: 2, groups: 2 };
    const y = conv2d(x, w, null, options);
    expect(y.shape).toEqual([2, 6, 1, 1]);
    // Output (0, 0) of the stride-1 convolution, for each image and channel.
    const full = conv2d(x, w, null, { ...options, stride: 1 });
    const plane = full.shape[2] * full.shape[3];
    expect(y.data).toEqual(full.data.filter((_, i) => i % plane === 0));
  });

  test('a replicate-padded input of 2^31 elements is refused before it is built (found by the fuzz: it hung)', () => {
    expect(() => conv1d(Tensor.ones([1, 3, 7]), Tensor.ones([3, 1, 2]), null,
      { dilation: 2 ** 31, padding: 'same', paddingMode: 'replicate', groups: 3 })).toThrow(
      'conv1d: expected the replicate-padded input to be at most 1073741824 elements, but got 6442450965');
  });

  test('a dilated kernel reaching far into padding runs in memory that follows the output (found by the fuzz: the GEMM grid asked for 96 GiB)', () => {
    // Same padding around a 2^31-wide dilated kernel: only the centre tap reads the
    // input, the others read padding. The GEMM paths' grid would span the padding.
    const cases = [
      { run: conv1d, backward: conv1dBackward, x: [2, 4, 3], w: [5, 4, 3], dilation: 2 ** 30 },
      { run: conv2d, backward: conv2dBackward, x: [1, 4, 3, 3], w: [6, 4, 3, 3], dilation: 2 ** 14 },
    ];
    for (const [i, c] of cases.entries()) {
      const x = randomTensor(c.x, 10 * i + 1), w = randomTensor(c.w, 10 * i + 2), b = randomTensor([c.w[0]], 10 * i + 3);
      const options = { dilation: c.dilation, padding: 'same' as const };
      const rssBefore = process.memoryUsage().rss;
      const y = c.run(x, w, b, options);
      const grads = c.backward(x, w, Tensor.ones([...y.shape]), options);
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * 2 ** 20);
      const reference = withBackend('reference', () => ({ y: c.run(x, w, b, options), grads: c.backward(x, w, Tensor.ones([...y.shape]), options) }));
      expect(y.shape).toEqual(x.shape.map((s, axis) => (axis === 1 ? c.w[0] : s)));
      expectClose(y.data, reference.y.data, { atol: 1e-5, what: 'output' });
      expectClose(grads.gradInput!.data, reference.grads.gradInput!.data, { atol: 1e-5, what: 'gradInput' });
      expectClose(grads.gradWeight!.data, reference.grads.gradWeight!.data, { atol: 1e-5, what: 'gradWeight' });
      // Only the centre tap reads the input: the others' gradients are exactly zero.
      const taps = c.w.slice(2).reduce((a, s) => a * s, 1), centre = (taps - 1) / 2;
      expect(grads.gradWeight!.data.filter((_, k) => k % taps !== centre).every((v) => v === 0)).toBe(true);
      expect(grads.gradWeight!.data.some((v, k) => k % taps === centre && v !== 0)).toBe(true);
    }
  });

  test('a dilation of 2^40 with same padding is refused with a named error (the native side refuses it too)', () => {
    expect(() => conv1d(Tensor.ones([1, 1, 1]), Tensor.ones([1, 1, 2]), null, { dilation: 2 ** 40, padding: 'same' })).toThrow(
      /conv1d: expected the geometry \(dilation and padding against the input\) to be a dilated kernel and padding of at most about 2\^40 positions per image, but got dilation \[1099511627776\], padding \[549755813888\]$/);
  });
});

describe('documented behaviour', () => {
  test('NaN and Infinity propagate through conv2d as IEEE arithmetic (both ISAs give the same pattern)', () => {
    const x = Tensor.ones([1, 1, 6, 6]);
    x.data[2 * 6 + 2] = NaN;
    x.data[5 * 6 + 5] = Infinity;
    const w = Tensor.ones([1, 1, 3, 3]);
    const y = conv2d(x, w).data;  // 4 × 4 outputs, window (i..i+2, j..j+2)
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) {
        const touchesNaN = i <= 2 && i + 2 >= 2 && j <= 2 && j + 2 >= 2;
        const touchesInf = i + 2 >= 5 && j + 2 >= 5;
        const v = y[i * 4 + j];
        if (touchesNaN) expect(v).toBeNaN();
        else if (touchesInf) expect(v).toBe(Infinity);
        else expect(v).toBe(9);
      }
    }
    // 0 · Infinity is NaN, as IEEE says, not 0.
    const zero = Tensor.zeros([1, 1, 3, 3]);
    expect(conv2d(x, zero).data[3 * 4 + 3]).toBeNaN();
  });

  test('a tensor whose buffer was detached or shrunk is refused by every op, never read', () => {
    const broken = () => {
      const t = Tensor.ones([1, 1, 4, 4]);
      structuredClone(t.data.buffer, { transfer: [t.data.buffer] });
      return t;
    };
    // Refused by the TS check, which names the tensor, or (where V8's optimised code
    // reports the view's old length) by the C++ re-check, renamed to ArgumentRangeError.
    const refused = (call: () => unknown) => {
      let error: unknown = null;
      try {
        call();
      } catch (e) {
        error = e;
      }
      expect(error instanceof ShapeError || error instanceof ArgumentRangeError, String(error)).toBe(true);
      expect((error as Error).message).toMatch(
        /(\.data to be 16 elements \(shape \[(1, 1, 4, 4|16)\]\), but got 0 elements: its buffer was detached or resized|convcore native: expected \w+ to have (16|0) elements, but it has (0|16))/);
    };
    refused(() => conv2d(broken(), Tensor.ones([1, 1, 2, 2])));
    refused(() => relu(broken()));
    refused(() => maxPool2d(broken(), 2));
    refused(() => linear(broken().reshape([16]), Tensor.ones([2, 16])));
    refused(() => broken().add(1));
  });
});
