import { describe, expect, test } from 'vitest';
import { ArgumentTypeError, AutogradError, ShapeError, Tensor, isGradEnabled, manualSeed, noGrad } from '../lib/index';

describe('Tensor construction', () => {
  test('a Float32Array is used as storage without copying', () => {
    const data = new Float32Array([1, 2, 3, 4, 5, 6]);
    const t = new Tensor(data, [2, 3]);
    expect(t.data).toBe(data);
    data[0] = 42;
    expect(t.toArray()).toEqual([[42, 2, 3], [4, 5, 6]]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.size).toBe(6);
    expect(t.ndim).toBe(2);
  });

  test('a plain array is copied; the shape defaults to 1-D', () => {
    const values = [1, 2, 3];
    const t = new Tensor(values);
    expect(t.shape).toEqual([3]);
    values[0] = 9;
    expect(t.data[0]).toBe(1);
  });

  test('factories fill as named', () => {
    expect(Tensor.zeros([2, 2]).toArray()).toEqual([[0, 0], [0, 0]]);
    expect(Tensor.ones([3]).toArray()).toEqual([1, 1, 1]);
    expect(Tensor.full([1, 2], 2.5).toArray()).toEqual([[2.5, 2.5]]);
    expect(Tensor.fromArray([[[1], [2]]]).shape).toEqual([1, 2, 1]);
    expect(Tensor.zeros([2], { requiresGrad: true }).requiresGrad).toBe(true);
  });

  test('rand and randn are reproducible with a seed and have the right moments', () => {
    expect(Tensor.rand([100], { seed: 7 }).data).toEqual(Tensor.rand([100], { seed: 7 }).data);
    expect(Tensor.rand([100], { seed: 7 }).data).not.toEqual(Tensor.rand([100], { seed: 8 }).data);
    const u = Tensor.rand([20000], { seed: 1 });
    expect(Math.min(...u.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u.data)).toBeLessThan(1);
    expect(u.mean().item()).toBeCloseTo(0.5, 1);
    const n = Tensor.randn([20000], { seed: 2 });
    expect(n.mean().item()).toBeCloseTo(0, 1);
    expect(n.square().mean().item()).toBeCloseTo(1, 1);
    manualSeed(3);
    const a = Tensor.randn([5]);
    manualSeed(3);
    expect(Tensor.randn([5]).data).toEqual(a.data);
  });

  test('0-d tensors: sum() returns one, item() reads it', () => {
    const s = Tensor.fromArray([[1, 2], [3, 4]]).sum();
    expect(s.shape).toEqual([]);
    expect(s.item()).toBe(10);
    expect(s.toArray()).toBe(10);
  });
});

describe('views and copies', () => {
  test('reshape is a view, with -1 inferred', () => {
    const t = Tensor.fromArray([1, 2, 3, 4, 5, 6]);
    const v = t.reshape([3, -1]);
    expect(v.shape).toEqual([3, 2]);
    expect(v.data).toBe(t.data);
    v.data[5] = 60;
    expect(t.data[5]).toBe(60);
  });

  test('clone copies, detach shares storage but leaves the graph', () => {
    const t = Tensor.fromArray([1, 2], { requiresGrad: true });
    const c = t.clone();
    expect(c.data).not.toBe(t.data);
    expect(c.requiresGrad).toBe(true);
    const d = t.detach();
    expect(d.data).toBe(t.data);
    expect(d.requiresGrad).toBe(false);
  });

  test('reshape errors name both sizes', () => {
    expect(() => Tensor.zeros([2, 3]).reshape([4, 2])).toThrow(ShapeError);
    expect(() => Tensor.zeros([2, 3]).reshape([4, 2])).toThrow(
      'reshape: expected shape to be a shape of 6 elements (the tensor has shape [2, 3]), but got [4, 2] with 8 elements');
    expect(() => Tensor.zeros([2, 3]).reshape([4, -1])).toThrow(/compatible with 6 elements/);
  });
});

describe('element-wise ops and reductions', () => {
  const a = Tensor.fromArray([[1, 2, 3], [4, 5, 6]]);
  test('with tensors, scalars and broadcasting', () => {
    expect(a.add(1).toArray()).toEqual([[2, 3, 4], [5, 6, 7]]);
    expect(a.sub(Tensor.fromArray([1, 2, 3])).toArray()).toEqual([[0, 0, 0], [3, 3, 3]]);
    expect(a.mul(Tensor.fromArray([[2], [10]])).toArray()).toEqual([[2, 4, 6], [40, 50, 60]]);
    expect(a.div(2).toArray()).toEqual([[0.5, 1, 1.5], [2, 2.5, 3]]);
    expect(a.neg().toArray()).toEqual([[-1, -2, -3], [-4, -5, -6]]);
    expect(a.square().toArray()).toEqual([[1, 4, 9], [16, 25, 36]]);
    expect(a.pow(0.5).data[3]).toBeCloseTo(2, 6);
  });

  test('inputs are never modified', () => {
    const before = Array.from(a.data);
    a.add(a).mul(a).sum();
    expect(Array.from(a.data)).toEqual(before);
  });

  test('sum and mean over all or one dim, with keepdim', () => {
    expect(a.sum().item()).toBe(21);
    expect(a.mean().item()).toBe(3.5);
    expect(a.sum(0).toArray()).toEqual([5, 7, 9]);
    expect(a.sum(1, { keepdim: true }).toArray()).toEqual([[6], [15]]);
    expect(a.mean(-1).toArray()).toEqual([2, 5]);
  });

  test('incompatible shapes are a ShapeError naming both', () => {
    expect(() => a.add(Tensor.zeros([2]))).toThrow(
      "add: expected the shapes to be broadcastable (equal, or 1, in each dimension from the right), but got [2, 3] and [2]");
    expect(() => a.add('1' as unknown as number)).toThrow(ArgumentTypeError);
  });
});

describe('autograd', () => {
  test('gradients accumulate over backward calls until cleared', () => {
    const x = Tensor.fromArray([1, 2, 3], { requiresGrad: true });
    x.square().sum().backward();
    expect(x.grad?.toArray()).toEqual([2, 4, 6]);
    x.square().sum().backward();
    expect(x.grad?.toArray()).toEqual([4, 8, 12]);
    x.grad = null;
    x.mul(3).sum().backward();
    expect(x.grad?.toArray()).toEqual([3, 3, 3]);
  });

  test('add and sub pass the gradient on: each operand gets its own buffer, with g, g and −g; x + x gets 2g', () => {
    // Large enough (over 1 KiB) that the gradients come from the pool, where a shared buffer would be reused.
    const n = 1000, g = Tensor.fromArray(Array.from({ length: n }, (_, i) => i - 500));
    const x = Tensor.rand([n], { seed: 1, requiresGrad: true }), y = Tensor.rand([n], { seed: 2, requiresGrad: true });
    x.add(y).backward(g);
    expect(x.grad!.toArray()).toEqual(g.toArray());
    expect(y.grad!.toArray()).toEqual(g.toArray());
    expect(x.grad!.data.buffer === y.grad!.data.buffer && x.grad!.data.byteOffset === y.grad!.data.byteOffset).toBe(false);
    x.add(y).backward(g); // accumulating into one leaves the other its own
    expect(x.grad!.data[0]).toBe(-1000);
    expect(y.grad!.data[0]).toBe(-1000);
    x.grad = null; y.grad = null;
    x.sub(y).mul(2).backward(g);
    expect(x.grad!.toArray()).toEqual(g.toArray().map((v) => 2 * v));
    expect(y.grad!.toArray()).toEqual(g.toArray().map((v) => -(2 * v)));
    x.grad = null;
    x.add(x).backward(g);
    expect(x.grad!.toArray()).toEqual(g.toArray().map((v) => 2 * v));
    // A broadcast operand's gradient is summed down; the other's passes on.
    const b = Tensor.rand([1], { seed: 3, requiresGrad: true });
    x.grad = null;
    x.add(b).sub(b.mul(3)).sum().backward();
    expect(x.grad!.toArray()).toEqual(new Array(n).fill(1));
    expect(b.grad!.toArray()).toEqual([n - 3 * n]);
  });

  test('backward(grad) on a non-scalar, and its errors', () => {
    const x = Tensor.fromArray([1, 2], { requiresGrad: true });
    const y = x.mul(x);
    expect(() => y.backward()).toThrow(AutogradError);
    expect(() => y.backward()).toThrow(/only one-element tensors have an implicit gradient/);
    expect(() => y.backward(Tensor.ones([3]))).toThrow('backward: expected grad.shape to be [2], but got [3]');
    y.backward(Tensor.fromArray([1, 10]));
    expect(x.grad?.toArray()).toEqual([2, 40]);
    expect(() => Tensor.ones([1]).backward()).toThrow(/requires grad/);
  });

  test('each element-wise op has its derivative, broadcast operands summed back', () => {
    const aValues = [[1, 2, 3], [4, 5, 6]], bValues = [2, 4, 8];
    const grads = (op: 'add' | 'sub' | 'mul' | 'div') => {
      const a = Tensor.fromArray(aValues, { requiresGrad: true });
      const b = Tensor.fromArray(bValues, { requiresGrad: true });
      a[op](b).sum().backward();
      return [a.grad!.toArray(), b.grad!.toArray()];
    };
    expect(grads('add')).toEqual([[[1, 1, 1], [1, 1, 1]], [2, 2, 2]]);
    expect(grads('sub')).toEqual([[[1, 1, 1], [1, 1, 1]], [-2, -2, -2]]);
    expect(grads('mul')).toEqual([[[2, 4, 8], [2, 4, 8]], [5, 7, 9]]);
    const [da, db] = grads('div');
    expect(da).toEqual([[0.5, 0.25, 0.125], [0.5, 0.25, 0.125]]);
    expect(db).toEqual([-(1 + 4) / 4, -(2 + 5) / 16, -(3 + 6) / 64]);
    const x = Tensor.fromArray([1, -2, 3], { requiresGrad: true });
    const gradOf = (f: (t: Tensor) => Tensor) => {
      x.grad = null;
      f(x).sum().backward();
      return x.grad!.toArray();
    };
    expect(gradOf((t) => t.neg())).toEqual([-1, -1, -1]);
    expect(gradOf((t) => t.square())).toEqual([2, -4, 6]);
    expect(gradOf((t) => t.pow(3))).toEqual([3, 12, 27]);
    expect(gradOf((t) => t.mul(3))).toEqual([3, 3, 3]);
    expect(gradOf((t) => t.div(4))).toEqual([0.25, 0.25, 0.25]);
    expect(gradOf((t) => t.sub(2).add(1))).toEqual([1, 1, 1]);
    // A target that does not require grad gets none.
    const target = Tensor.fromArray([1, 1, 1]);
    x.grad = null;
    x.sub(target).square().sum().backward();
    expect(x.grad!.toArray()).toEqual([0, -6, 4]);
    expect(target.grad).toBeNull();
  });

  test('a shared subexpression receives the sum of its gradients', () => {
    const x = Tensor.fromArray([3], { requiresGrad: true });
    const y = x.mul(2);
    y.add(y.square()).sum().backward(); // d/dx (2x + 4x²) = 2 + 8x = 26
    expect(x.grad?.item()).toBe(26);
  });

  test('gradients flow through reshape views', () => {
    const x = Tensor.fromArray([1, 2, 3, 4], { requiresGrad: true });
    x.reshape([2, 2]).mul(Tensor.fromArray([[1, 2], [3, 4]])).sum().backward();
    expect(x.grad?.toArray()).toEqual([1, 2, 3, 4]);
  });

  test('noGrad records nothing and restores the mode', () => {
    const x = Tensor.fromArray([1], { requiresGrad: true });
    const y = noGrad(() => {
      expect(isGradEnabled()).toBe(false);
      return x.mul(2);
    });
    expect(isGradEnabled()).toBe(true);
    expect(y.requiresGrad).toBe(false);
    expect(() => noGrad(() => { throw new Error('boom'); })).toThrow('boom');
    expect(isGradEnabled()).toBe(true);
  });

  test('detach cuts the graph', () => {
    const x = Tensor.fromArray([2], { requiresGrad: true });
    x.mul(x.detach()).sum().backward();
    expect(x.grad?.item()).toBe(2);
  });

  test('a long chain does not overflow the stack', () => {
    const x = Tensor.fromArray([1], { requiresGrad: true });
    let y = x;
    for (let i = 0; i < 20000; i++) y = y.add(1);
    y.sum().backward();
    expect(x.grad?.item()).toBe(1);
  });
});
