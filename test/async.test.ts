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
    // About 2 GFLOP: long enough that a blocked event loop would miss every tick.
    const x = Tensor.randn([8, 32, 64, 64], { seed: 1 });
    const w = Tensor.randn([64, 32, 3, 3], { seed: 2 });
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const started = performance.now();
    const pending = conv2dAsync(x, w, null, { padding: 1 });
    const y = await pending;
    const elapsed = performance.now() - started;
    clearInterval(timer);
    expect(y.shape).toEqual([8, 64, 64, 64]);
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
