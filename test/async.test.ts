import { describe, expect, test } from 'vitest';
import { Tensor, conv2d, conv2dAsync, conv2dBackward, conv2dBackwardAsync } from '../lib/index';
import { withBackend } from './helpers';

const options = { padding: 1, stride: [1, 2] as [number, number] };

describe('asynchronous conv2d', () => {
  test('conv2dAsync and conv2dBackwardAsync equal their synchronous versions bit for bit', async () => {
    const x = Tensor.randn([2, 3, 17, 19], { seed: 1 });
    const w = Tensor.randn([4, 3, 3, 3], { seed: 2 });
    const b = Tensor.randn([4], { seed: 3 });
    const y = await conv2dAsync(x, w, b, options);
    expect(y.data).toEqual(conv2d(x, w, b, options).data);
    const g = Tensor.randn([...y.shape], { seed: 4 });
    const grads = await conv2dBackwardAsync(x, w, g, options);
    const sync = conv2dBackward(x, w, g, options);
    expect(grads.gradInput!.data).toEqual(sync.gradInput!.data);
    expect(grads.gradWeight!.data).toEqual(sync.gradWeight!.data);
    expect(grads.gradBias!.data).toEqual(sync.gradBias!.data);
  });

  test('asked-for gradients only', async () => {
    const x = Tensor.randn([1, 2, 5, 5], { seed: 1 });
    const w = Tensor.randn([2, 2, 3, 3], { seed: 2 });
    const grads = await conv2dBackwardAsync(x, w, Tensor.ones([1, 2, 3, 3]), { compute: { gradInput: false, gradBias: false } });
    expect(grads.gradInput).toBeNull();
    expect(grads.gradBias).toBeNull();
    expect(grads.gradWeight!.shape).toEqual([2, 2, 3, 3]);
  });

  test('the result of conv2dAsync is recorded for autograd', async () => {
    const x = Tensor.randn([1, 1, 4, 4], { seed: 1 });
    const w = Tensor.ones([1, 1, 2, 2], { requiresGrad: true });
    (await conv2dAsync(x, w)).sum().backward();
    const expected = Tensor.ones([1, 1, 2, 2], { requiresGrad: true });
    conv2d(x, expected).sum().backward();
    expect(w.grad!.data).toEqual(expected.grad!.data);
  });

  test('the event loop keeps running during a long native convolution', async () => {
    // A call that takes at least 40 ms here (11 GFLOP per 16 images, doubled until it
    // does: a machine with more cores or faster ones finishes the first size sooner): a
    // blocked event loop would miss every tick.
    const w = Tensor.randn([64, 64, 3, 3], { seed: 2 });
    let x: Tensor;
    for (let images = 16; ; images *= 2) {
      x = Tensor.randn([images, 64, 96, 96], { seed: 1 });
      const start = performance.now();
      conv2d(x, w, null, { padding: 1 });
      if (performance.now() - start >= 40 || images >= 256) break;
    }
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const started = performance.now();
    const pending = conv2dAsync(x, w, null, { padding: 1 });
    const y = await pending;
    const elapsed = performance.now() - started;
    clearInterval(timer);
    expect(y.shape).toEqual([x.shape[0], 64, 96, 96]);
    // With the loop free, the 1 ms timer fires many times while the work runs.
    expect(elapsed).toBeGreaterThan(20);
    expect(ticks).toBeGreaterThan(5);
  });

  test('the reference backend also returns promises', async () => {
    await withBackend('reference', async () => {
      const y = await conv2dAsync(Tensor.ones([1, 1, 3, 3]), Tensor.ones([1, 1, 2, 2]));
      expect(y.toArray()).toEqual([[[[4, 4], [4, 4]]]]);
    });
  });
});

describe('writing into caller-provided outputs', () => {
  test('conv2d and conv2dBackward fill `out` tensors and match the allocating calls', async () => {
    const x = Tensor.randn([2, 3, 9, 8], { seed: 1 });
    const w = Tensor.randn([4, 3, 3, 3], { seed: 2 });
    const b = Tensor.randn([4], { seed: 3 });
    for (const paddingMode of ['zeros', 'reflect'] as const) {
      const opts = { padding: 1, paddingMode };
      const out = Tensor.zeros([2, 4, 9, 8]);
      const y = conv2d(x, w, b, { ...opts, out });
      expect(y.data).toBe(out.data);
      expect(out.data).toEqual(conv2d(x, w, b, opts).data);
      const yAsync = await conv2dAsync(x, w, b, { ...opts, out: Tensor.zeros([2, 4, 9, 8]) });
      expect(yAsync.data).toEqual(out.data);
      const g = Tensor.randn([2, 4, 9, 8], { seed: 4 });
      const targets = { gradInput: Tensor.zeros([2, 3, 9, 8]), gradWeight: Tensor.zeros([4, 3, 3, 3]), gradBias: Tensor.zeros([4]) };
      const grads = conv2dBackward(x, w, g, { ...opts, out: targets });
      const expected = conv2dBackward(x, w, g, opts);
      expect(grads.gradInput!.data).toBe(targets.gradInput.data);
      expect(targets.gradInput.data).toEqual(expected.gradInput!.data);
      expect(targets.gradWeight.data).toEqual(expected.gradWeight!.data);
      expect(targets.gradBias.data).toEqual(expected.gradBias!.data);
    }
  });

  test('an `out` of the wrong shape or sharing memory with an input is rejected', () => {
    const x = Tensor.randn([1, 1, 4, 4], { seed: 1 });
    const w = Tensor.ones([1, 1, 3, 3]);
    expect(() => conv2d(x, w, null, { out: Tensor.zeros([1, 1, 3, 3]) })).toThrow(
      'conv2d: expected options.out.shape to be [1, 1, 2, 2], but got [1, 1, 3, 3]');
    expect(() => conv2d(x, w, null, { out: x.reshape([1, 1, 2, 8]).reshape([1, 1, 4, 4]).reshape([4, 4]).reshape([1, 1, 2, 8]) })).toThrow(/shape/);
    const alias = new Tensor(x.data.subarray(0, 4), [1, 1, 2, 2]);
    expect(() => conv2d(x, w, null, { out: alias })).toThrow(
      'conv2d: expected options.out to be a tensor whose memory does not overlap the inputs, but got one that shares memory with an input');
  });
});
