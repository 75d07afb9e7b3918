import { describe, expect, test } from 'vitest';
import { Conv2D, SGD, Tensor, convolve2d, corr2d, manualSeed } from '../lib/index';

/** The 6×8 image of the book: ones with a black stripe in columns 2..5. */
function stripeImage(): Tensor {
  const X = Tensor.ones([6, 8]);
  for (let i = 0; i < 6; i++) for (let j = 2; j < 6; j++) X.data[i * 8 + j] = 0;
  return X;
}

describe("the book's corr2d", () => {
  test('corr2d of 0..8 (3×3) by 0..3 (2×2) is [[19, 25], [37, 43]]', () => {
    const X = Tensor.fromArray([[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
    const K = Tensor.fromArray([[0, 1], [2, 3]]);
    expect(corr2d(X, K).toArray()).toEqual([[19, 25], [37, 43]]);
  });

  test('convolve2d rotates the kernel: [[5, 11], [23, 29]]', () => {
    const X = Tensor.fromArray([[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
    const K = Tensor.fromArray([[0, 1], [2, 3]]);
    expect(convolve2d(X, K).toArray()).toEqual([[5, 11], [23, 29]]);
    expect(convolve2d(X, K).toArray()).toEqual(corr2d(X, Tensor.fromArray([[3, 2], [1, 0]])).toArray());
  });

  test('the [1, -1] kernel marks the stripe edges with +1 and -1', () => {
    const Y = corr2d(stripeImage(), Tensor.fromArray([[1, -1]]));
    expect(Y.shape).toEqual([6, 7]);
    for (const row of Y.toArray() as number[][]) expect(row).toEqual([0, 1, 0, 0, 0, -1, 0]);
  });

  test('the transposed image has no vertical edge', () => {
    const X = stripeImage();
    const Xt = new Tensor(new Float32Array(48), [8, 6]);
    for (let i = 0; i < 6; i++) for (let j = 0; j < 8; j++) Xt.data[j * 6 + i] = X.data[i * 8 + j];
    const Y = corr2d(Xt, Tensor.fromArray([[1, -1]]));
    expect(Y.shape).toEqual([8, 5]);
    expect(Array.from(Y.data).every((v) => v === 0)).toBe(true);
  });

  test('gradients of corr2d: dY/dK sums input windows, dY/dX spreads the kernel', () => {
    const X = Tensor.fromArray([[0, 1, 2], [3, 4, 5], [6, 7, 8]], { requiresGrad: true });
    const K = Tensor.fromArray([[0, 1], [2, 3]], { requiresGrad: true });
    corr2d(X, K).sum().backward();
    // Each kernel tap sees a 2×2 window of X: sums 0+1+3+4, 1+2+4+5, 3+4+6+7, 4+5+7+8.
    expect(K.grad?.toArray()).toEqual([[8, 12], [20, 24]]);
    // Each input pixel is counted once per window covering it, weighted by the tap.
    expect(X.grad?.toArray()).toEqual([[0, 1, 1], [2, 6, 4], [2, 5, 3]]);
  });

  test('convolve2d passes its gradient back through the rotation', () => {
    const X = Tensor.fromArray([[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
    const K = Tensor.fromArray([[0, 1], [2, 3]], { requiresGrad: true });
    convolve2d(X, K).sum().backward();
    expect(K.grad?.toArray()).toEqual([[24, 20], [12, 8]]);
  });

  test('a Conv2D learns [1, -1] from (X, Y) in 10 epochs at lr 3e-2', () => {
    manualSeed(0);
    const X = stripeImage().reshape([1, 1, 6, 8]);
    const Y = corr2d(stripeImage(), Tensor.fromArray([[1, -1]])).reshape([1, 1, 6, 7]);
    const conv = new Conv2D(1, 1, [1, 2], { bias: false });
    const optimizer = new SGD(conv.parameters(), { lr: 3e-2 });
    const losses: number[] = [];
    for (let epoch = 0; epoch < 10; epoch++) {
      const loss = conv.forward(X).sub(Y).square().sum();
      conv.zeroGrad();
      loss.backward();
      optimizer.step();
      losses.push(loss.item());
    }
    for (let i = 1; i < losses.length; i++) expect(losses[i]).toBeLessThan(losses[i - 1]);
    expect(losses[9]).toBeLessThan(0.5);
    const [a, b] = conv.weight.data;
    expect(a).toBeCloseTo(1, 1);
    expect(b).toBeCloseTo(-1, 1);
  });
});
