import { describe, expect, test } from 'vitest';
import { Conv2D, SGD, ShapeError, Tensor, conv2d, manualSeed, mseLoss } from '../lib/index';

describe('Conv2D', () => {
  test("holds PyTorch's shapes and default initialisation bounds", () => {
    manualSeed(1);
    const conv = new Conv2D(4, 6, [3, 5], { groups: 2 });
    expect(conv.weight.shape).toEqual([6, 2, 3, 5]);
    expect(conv.bias?.shape).toEqual([6]);
    const bound = 1 / Math.sqrt(2 * 3 * 5);
    for (const v of [...conv.weight.data, ...conv.bias!.data]) expect(Math.abs(v)).toBeLessThanOrEqual(bound);
    // Uniform on [-bound, bound]: the spread covers most of the interval.
    expect(Math.max(...conv.weight.data) - Math.min(...conv.weight.data)).toBeGreaterThan(1.5 * bound);
    expect(conv.parameters()).toEqual([conv.weight, conv.bias]);
    expect(conv.namedParameters().map(([n]) => n)).toEqual(['weight', 'bias']);
    expect(new Conv2D(1, 1, 2, { bias: false }).parameters()).toHaveLength(1);
  });

  test('forward equals conv2d with the same weight, bias and options', () => {
    const conv = new Conv2D(2, 3, 3, { stride: 2, padding: 1, paddingMode: 'replicate' });
    const x = Tensor.randn([1, 2, 7, 7], { seed: 5 });
    expect(conv.forward(x).data).toEqual(conv2d(x, conv.weight, conv.bias, { stride: 2, padding: 1, paddingMode: 'replicate' }).data);
    expect(String(conv)).toBe(
      "Conv2D(2, 3, kernelSize=[3,3], stride=[2,2], padding=[1,1], dilation=[1,1], groups=1, bias=true, paddingMode='replicate')");
  });

  test('zeroGrad, stateDict and loadStateDict', () => {
    const a = new Conv2D(1, 2, 2);
    const b = new Conv2D(1, 2, 2);
    a.forward(Tensor.ones([1, 1, 3, 3])).sum().backward();
    expect(a.weight.grad).not.toBeNull();
    a.zeroGrad();
    expect(a.weight.grad).toBeNull();
    b.loadStateDict(a.stateDict());
    expect(b.weight.data).toEqual(a.weight.data);
    expect(b.bias!.data).toEqual(a.bias!.data);
    expect(b.weight.data).not.toBe(a.weight.data);
    expect(() => b.loadStateDict({ weight: a.weight })).toThrow(/missing \[bias\]/);
    expect(() => b.loadStateDict({ weight: Tensor.zeros([2, 1, 3, 3]), bias: a.bias! })).toThrow(ShapeError);
    b.loadStateDict({ weight: Tensor.zeros([2, 1, 2, 2]) }, { strict: false });
    expect(Array.from(b.weight.data)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
  });
});

/** One parameter with a fixed gradient g each step, compared with hand-computed values. */
function steps(options: ConstructorParameters<typeof SGD>[1], grads: number[], p0 = 1): number[] {
  const p = Tensor.fromArray([p0], { requiresGrad: true });
  const optimizer = new SGD([p], options);
  return grads.map((g) => {
    p.grad = Tensor.fromArray([g]);
    optimizer.step();
    return p.data[0];
  });
}

describe('SGD follows PyTorch update rules', () => {
  const f = Math.fround;
  test('plain: p -= lr·g', () => {
    expect(steps({ lr: 0.1 }, [2, 4])).toEqual([f(1 - 0.2), f(f(0.8) - 0.4)]);
  });

  test('momentum 0.9: buf = g, then buf = 0.9·buf + g', () => {
    const [p1, p2] = steps({ lr: 0.1, momentum: 0.9 }, [1, 1]);
    expect(p1).toBeCloseTo(0.9, 6); // buf = 1
    expect(p2).toBeCloseTo(0.9 - 0.1 * 1.9, 6); // buf = 1.9
  });

  test('dampening 0.5 applies from the second step', () => {
    const [p1, p2] = steps({ lr: 1, momentum: 0.5, dampening: 0.5 }, [1, 1]);
    expect(p1).toBeCloseTo(0, 6); // buf = 1
    expect(p2).toBeCloseTo(-1, 6); // buf = 0.5·1 + 0.5·1 = 1
  });

  test('nesterov: d = g + momentum·buf', () => {
    const [p1, p2] = steps({ lr: 0.1, momentum: 0.9, nesterov: true }, [1, 1]);
    expect(p1).toBeCloseTo(1 - 0.1 * 1.9, 6); // buf = 1, d = 1 + 0.9
    expect(p2).toBeCloseTo(p1 - 0.1 * (1 + 0.9 * 1.9), 6); // buf = 1.9
  });

  test('weight decay adds wd·p to the gradient', () => {
    const [p1] = steps({ lr: 0.1, weightDecay: 0.5 }, [1], 2);
    expect(p1).toBeCloseTo(2 - 0.1 * (1 + 0.5 * 2), 6);
  });

  test('maximize ascends', () => {
    expect(steps({ lr: 0.1, maximize: true }, [2])[0]).toBeCloseTo(1.2, 6);
  });

  test('parameters without a gradient are left alone; zeroGrad clears', () => {
    const a = Tensor.fromArray([1], { requiresGrad: true });
    const b = Tensor.fromArray([1], { requiresGrad: true });
    const optimizer = new SGD([a, b], { lr: 1 });
    a.grad = Tensor.fromArray([1]);
    optimizer.step();
    expect([a.data[0], b.data[0]]).toEqual([0, 1]);
    optimizer.zeroGrad();
    expect(a.grad).toBeNull();
  });
});

describe('mseLoss', () => {
  const pred = Tensor.fromArray([1, 2, 3], { requiresGrad: true });
  const target = Tensor.fromArray([1, 0, 0]);
  test('reductions', () => {
    expect(mseLoss(pred, target).item()).toBeCloseTo(13 / 3, 6);
    expect(mseLoss(pred, target, { reduction: 'sum' }).item()).toBe(13);
    expect(mseLoss(pred, target, { reduction: 'none' }).toArray()).toEqual([0, 4, 9]);
  });
  test('gradient 2(pred − target)/n', () => {
    pred.grad = null;
    mseLoss(pred, target).backward();
    expect(Array.from(pred.grad!.data).map((v) => +v.toFixed(6))).toEqual([0, +(4 / 3).toFixed(6), 2]);
  });
});
