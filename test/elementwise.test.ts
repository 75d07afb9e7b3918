// Element-wise ops, unary maths and reductions: the native kernels against the pure-TS
// reference (forward and every gradient) over broadcast shapes with 1s, 0-size
// dimensions, odd lengths and tails, sizes on both sides of the small-tensor cut;
// finite differences; NaN semantics; the same bits at 1, 2 and 3 threads.
import { afterEach, describe, expect, it } from 'vitest';
import { ArgumentRangeError, ArgumentTypeError, ShapeError, Tensor, getNumThreads, setNumThreads, where } from '../lib/index';
import { bits, checkGradients, expectClose, randomTensor, withBackend } from './helpers';

const sameBits = (a: Float32Array, b: Float32Array) => a.length === b.length && bits(a).equals(bits(b));

/** expectClose where the reference is a number; NaN (an empty mean) where it is NaN. */
function expectCloseOrNaN(actual: Float32Array, expected: Float32Array, what: string) {
  const nan = (a: Float32Array) => Array.from(a, Number.isNaN);
  expect(nan(actual), `${what}: NaN positions`).toEqual(nan(expected));
  const keep = (a: Float32Array) => Float32Array.from(a, (v) => (Number.isNaN(v) ? 0 : v));
  expectClose(keep(actual), keep(expected), { atol: 1e-4, rtol: 1e-5, what });
}

// [x shape, y shape]: plain, broadcast both ways, a scalar, a prime inner length, large
// enough for the native path (≥ 4096 elements) and small, empty.
const BINARY_SHAPES: Array<[number[], number[]]> = [
  [[7], [7]],
  [[3, 1], [1, 5]],
  [[64, 129], [129]],
  [[8, 1], [8, 1031]],
  [[3, 1, 1999], [1, 7, 1]],
  [[2, 3, 4, 5, 7], [3, 1, 5, 1]],
  [[4099], []],
  [[], [5, 1000]],
  [[1, 1], [1]],
  [[0, 3], [3]],
  [[2, 0], [1, 1]],
];
const BINARY_OPS = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'] as const;

/** x op y with gradients of Σ (x op y)·G, on one backend. */
function runBinary(op: (typeof BINARY_OPS)[number], xs: number[], ys: number[], backend: 'native' | 'reference') {
  return withBackend(backend, () => {
    const x = randomTensor(xs, 1, { requiresGrad: true }), y = randomTensor(ys, 2, { requiresGrad: true });
    // Ties for maximum/minimum: some equal pairs.
    if (x.size > 4 && y.size > 4) { x.data[1] = y.data[1]; x.data[3] = y.data[3]; }
    const out = x[op](y);
    out.mul(randomTensor([...out.shape], 3)).sum().backward();
    return { out: out.data, gx: x.grad!.data, gy: y.grad!.data, shape: out.shape };
  });
}

describe('binary ops with broadcasting: native = reference', () => {
  for (const op of BINARY_OPS) {
    it.each(BINARY_SHAPES)(`${op} %j %j`, (xs, ys) => {
      const native = runBinary(op, xs, ys, 'native'), reference = runBinary(op, xs, ys, 'reference');
      expect(native.shape).toEqual(reference.shape);
      // Exact ops: the same bits; the gradients' broadcast sums in another order.
      expect(sameBits(native.out, reference.out)).toBe(true);
      expectClose(native.gx, reference.gx, { atol: 1e-4, rtol: 1e-5, what: 'gradX' });
      expectClose(native.gy, reference.gy, { atol: 1e-3, rtol: 1e-5, what: 'gradY' });
    });
  }

  it('broadcasts (3, 1) with (1, 4) to (3, 4), as PyTorch', () => {
    const a = Tensor.fromArray([[1], [2], [3]]), b = Tensor.fromArray([[10, 20, 30, 40]]);
    expect(a.add(b).toArray()).toEqual([[11, 21, 31, 41], [12, 22, 32, 42], [13, 23, 33, 43]]);
    expect(a.maximum(b.sub(18)).toArray()).toEqual([[1, 2, 12, 22], [2, 2, 12, 22], [3, 3, 12, 22]]);
  });

  it('maximum and minimum propagate NaN and split a tie\'s gradient', () => {
    const x = Tensor.fromArray([1, NaN, 3, 2], { requiresGrad: true }), y = Tensor.fromArray([2, 0, NaN, 2], { requiresGrad: true });
    expect(Array.from(x.maximum(y).data)).toEqual([2, NaN, NaN, 2]);
    expect(Array.from(x.minimum(y).data)).toEqual([1, NaN, NaN, 2]);
    x.maximum(y).sum().backward();
    expect(Array.from(x.grad!.data)).toEqual([0, 1, 1, 0.5]);
    expect(Array.from(y.grad!.data)).toEqual([1, 1, 1, 0.5]);
  });

  it('refuses shapes that do not broadcast, naming both', () => {
    expect(() => Tensor.zeros([2, 3]).add(Tensor.zeros([4]))).toThrow(ShapeError);
    expect(() => Tensor.zeros([2, 3]).add(Tensor.zeros([4]))).toThrow(/\[2, 3\] and \[4\]/);
    expect(() => Tensor.zeros([2]).maximum('1' as unknown as number)).toThrow(ArgumentTypeError);
  });
});

describe('where: native = reference', () => {
  // [condition, input, other] shapes: broadcast every way, a scalar, large and small.
  const SHAPES: Array<[number[], number[], number[]]> = [
    [[7], [7], [7]],
    [[64, 129], [129], [64, 1]],
    [[8, 1, 1031], [1, 3, 1], [8, 3, 1031]],
    [[4099], [], [4099]],
    [[0, 3], [3], [1]],
  ];
  it.each(SHAPES)('%j %j %j', (cs, xs, ys) => {
    const run = (backend: 'native' | 'reference') => withBackend(backend, () => {
      const c = randomTensor(cs, 21);
      for (let i = 0; i < c.size; i++) c.data[i] = c.data[i] > 0.2 ? 1 : i % 7 === 0 ? NaN : 0;
      const x = randomTensor(xs, 22, { requiresGrad: true }), y = randomTensor(ys, 23, { requiresGrad: true });
      const out = where(c, x, y);
      out.mul(randomTensor([...out.shape], 24)).sum().backward();
      return { out: out.data, gx: x.grad!.data, gy: y.grad!.data };
    });
    const native = run('native'), reference = run('reference');
    expect(sameBits(native.out, reference.out)).toBe(true);
    expectClose(native.gx, reference.gx, { atol: 1e-3, rtol: 1e-5, what: 'gradInput' });
    expectClose(native.gy, reference.gy, { atol: 1e-3, rtol: 1e-5, what: 'gradOther' });
  });

  it('picks as PyTorch: NaN is true, scalars broadcast, the gradient goes to the side taken', () => {
    const c = Tensor.fromArray([1, 0, NaN, -2]);
    const x = Tensor.fromArray([1, 2, 3, 4], { requiresGrad: true });
    expect(Array.from(where(c, x, 0).data)).toEqual([1, 0, 3, 4]);
    expect(Array.from(x.where(c, Tensor.fromArray([9])).data)).toEqual([1, 9, 3, 4]);
    where(c, 5, x).sum().backward();
    expect(Array.from(x.grad!.data)).toEqual([0, 1, 0, 0]);
    expect(() => where(Tensor.zeros([2]), Tensor.zeros([3]), 0)).toThrow(ShapeError);
    expect(() => where([1, 0] as unknown as Tensor, 1, 0)).toThrow(ArgumentTypeError);
  });
});

const UNARY: Array<{ name: string; f: (t: Tensor) => Tensor; positive?: boolean; exact: boolean }> = [
  { name: 'neg', f: (t) => t.neg(), exact: true },
  { name: 'square', f: (t) => t.square(), exact: true },
  { name: 'abs', f: (t) => t.abs(), exact: true },
  { name: 'clamp', f: (t) => t.clamp(-0.3, 0.4), exact: true },
  { name: 'clamp(min)', f: (t) => t.clamp(0.1), exact: true },
  { name: 'clamp(null, max)', f: (t) => t.clamp(null, -0.2), exact: true },
  { name: 'pow 3', f: (t) => t.pow(3), exact: false },
  { name: 'pow 0.5', f: (t) => t.pow(0.5), positive: true, exact: false },
  { name: 'exp', f: (t) => t.exp(), exact: false },
  { name: 'log', f: (t) => t.log(), positive: true, exact: false },
  { name: 'sqrt', f: (t) => t.sqrt(), positive: true, exact: false },
  { name: 'rsqrt', f: (t) => t.rsqrt(), positive: true, exact: false },
];

function positiveTensor(shape: number[], seed: number): Tensor {
  const t = randomTensor(shape, seed);
  for (let i = 0; i < t.size; i++) t.data[i] = Math.abs(t.data[i]) + 0.05;
  return t;
}

describe('unary maths: native = reference', () => {
  for (const u of UNARY) {
    it.each([[5], [4099], [3, 1, 2003], [0, 4]])(`${u.name} %j`, (...shape) => {
      const run = (backend: 'native' | 'reference') => withBackend(backend, () => {
        const x = u.positive ? positiveTensor(shape, 4) : randomTensor(shape, 4);
        x.requiresGrad = true;
        const y = u.f(x);
        y.mul(randomTensor([...y.shape], 5)).sum().backward();
        return { y: y.data, gx: x.grad!.data };
      });
      const native = run('native'), reference = run('reference');
      if (u.exact) expect(sameBits(native.y, reference.y)).toBe(true);
      else expectClose(native.y, reference.y, { atol: 1e-6, rtol: 2e-6, what: 'y' });
      expectClose(native.gx, reference.gx, { atol: 1e-6, rtol: 1e-5, what: 'gradInput' });
    });
  }

  it('gives PyTorch\'s values at the edges', () => {
    const x = Tensor.fromArray([-1, 0, 1, NaN, Infinity]);
    expect(Array.from(x.sqrt().data)).toEqual([NaN, 0, 1, NaN, Infinity]);
    expect(Array.from(x.log().data)).toEqual([NaN, -Infinity, 0, NaN, Infinity]);
    expect(Array.from(x.rsqrt().data)).toEqual([NaN, Infinity, 1, NaN, 0]);
    expect(Array.from(x.clamp(-0.5, 0.5).data)).toEqual([-0.5, 0, 0.5, NaN, 0.5]);
    expect(Array.from(x.abs().data)).toEqual([1, 0, 1, NaN, Infinity]);
  });

  it('refuses clamp without bounds, with NaN or crossed bounds', () => {
    const x = Tensor.zeros([3]);
    expect(() => x.clamp()).toThrow(ArgumentRangeError);
    expect(() => x.clamp(Number.NaN)).toThrow(ArgumentRangeError);
    expect(() => x.clamp(2, 1)).toThrow(/clamp: expected min to be at most max \(1\), but got 2/);
    expect(() => x.clamp('0' as unknown as number)).toThrow(ArgumentTypeError);
  });
});

describe('finite differences', () => {
  const cases: Array<[string, (...t: Tensor[]) => Tensor, Tensor[]]> = [
    ['div broadcast', (a, b) => a.div(b), [randomTensor([3, 4], 6), positiveTensor([4], 7)]],
    ['maximum broadcast', (a, b) => a.maximum(b), [randomTensor([2, 3, 1], 8), randomTensor([1, 5], 9)]],
    ['exp', (a) => a.exp(), [randomTensor([6], 10)]],
    ['log', (a) => a.log(), [positiveTensor([6], 11)]],
    ['rsqrt', (a) => a.rsqrt(), [positiveTensor([6], 12)]],
    ['mean over dims 0 and 2', (a) => a.mean([0, 2]), [randomTensor([3, 4, 5], 13)]],
    ['amax over dim 1', (a) => a.amax(1, { keepdim: true }), [randomTensor([3, 4, 2], 14)]],
  ];
  for (const backend of ['native', 'reference'] as const) {
    it.each(cases)(`%s (${backend})`, (_, f, inputs) => {
      withBackend(backend, () => checkGradients(f, inputs.map((t) => t.clone()), 15, 1e-2, 2e-2));
    });
  }
});

// [shape, dims]: one, several (adjacent and not), all, negative, with 1s and empties.
const REDUCTIONS: Array<[number[], number | number[] | undefined]> = [
  [[4099], undefined],
  [[70001], 0],
  [[3, 4, 5], [0, 2]],
  [[16, 32, 33, 2], [0, 2, 3]],
  [[4, 3, 5, 7], [0, 2]], // slices of several runs, the innermost kept
  [[6, 5, 4, 3], [0, 1, 3]],
  [[5, 1, 7, 1, 3], [1, -1]],
  [[2, 3, 4, 5], [-3, -2]],
  [[64, 1025], 1],
  [[1025, 64], 0],
  [[3, 0, 2], 1],
  [[0, 4], undefined],
  [[], undefined],
];

describe('reductions: native = reference', () => {
  for (const fn of ['sum', 'mean', 'amax', 'amin'] as const) {
    it.each(REDUCTIONS)(`${fn} %j over %j`, (shape, dims) => {
      if ((fn === 'amax' || fn === 'amin') && shape.includes(0)) {
        expect(() => Tensor.zeros(shape)[fn](dims)).toThrow(ArgumentRangeError);
        return;
      }
      for (const keepdim of [false, true]) {
        const run = (backend: 'native' | 'reference') => withBackend(backend, () => {
          const x = randomTensor(shape, 16, { requiresGrad: true });
          const y = x[fn](dims, { keepdim });
          y.mul(randomTensor([...y.shape], 17)).sum().backward();
          return { y, gx: x.grad!.data };
        });
        const native = run('native'), reference = run('reference');
        expect(native.y.shape).toEqual(reference.y.shape);
        if (fn === 'amax' || fn === 'amin') expect(sameBits(native.y.data, reference.y.data)).toBe(true);
        else expectCloseOrNaN(native.y.data, reference.y.data, fn);
        expectClose(native.gx, reference.gx, { atol: 1e-6, rtol: 1e-6, what: 'gradInput' });
      }
    });
  }

  it('follows PyTorch: shapes, keepdim, an empty sum is 0 and its mean NaN', () => {
    const a = Tensor.fromArray([[1, 2, 3], [4, 5, 6]]);
    expect(a.sum([0, 1]).item()).toBe(21);
    expect(a.mean(0, { keepdim: true }).toArray()).toEqual([[2.5, 3.5, 4.5]]);
    expect(a.amax(1).toArray()).toEqual([3, 6]);
    expect(a.amin().item()).toBe(1);
    expect(Tensor.zeros([0, 3]).sum(0).toArray()).toEqual([0, 0, 0]);
    expect(Number.isNaN(Tensor.zeros([0]).mean().item())).toBe(true);
    expect(Number.isNaN(Tensor.fromArray([1, NaN, 3]).amax().item())).toBe(true);
  });

  it('spreads a whole sum\'s or mean\'s gradient over every element, tails included (native scalar spread)', () => {
    // The output's gradient is 3 (from mul(3)); a mean divides it by the count in float32.
    for (const [fn, expected] of [['sum', 3], ['mean', Math.fround(3 / 9973)]] as const) {
      const x = randomTensor([9973], 21, { requiresGrad: true });
      x[fn]().mul(3).backward();
      const grad = x.grad!.data;
      expect(grad.length).toBe(9973);
      expect(grad.every((v) => v === expected)).toBe(true);
    }
  });

  it('argmax and argmin: the first of ties, NaN as the extreme', () => {
    const a = Tensor.fromArray([[1, 5, 5], [7, 0, 7]]);
    expect(a.argmax().item()).toBe(3);
    expect(a.argmax(1).toArray()).toEqual([1, 0]);
    expect(a.argmin(0, { keepdim: true }).toArray()).toEqual([[0, 1, 0]]);
    expect(Tensor.fromArray([1, NaN, 9]).argmax().item()).toBe(1);
    expect(() => Tensor.zeros([0]).argmax()).toThrow(ArgumentRangeError);
  });

  it('refuses bad dims, naming what it expected', () => {
    const a = Tensor.zeros([2, 3]);
    expect(() => a.sum(2)).toThrow(/sum: expected dim to be integers in \[-2, 1\], but got 2/);
    expect(() => a.sum([0, -2])).toThrow(/each dimension once/);
    expect(() => a.mean(0.5)).toThrow(ArgumentRangeError);
    expect(() => a.amax('0' as unknown as number)).toThrow(ArgumentTypeError);
    expect(() => a.sum(0, { keepDim: true } as unknown as { keepdim: boolean })).toThrow(/keepdim/);
  });
});

// Values with ties (a few levels), NaNs, signed zeros and infinities: where each
// kernel's vectors, blocks and chunks meet the reference's one scan.
const ARG_SHAPES: Array<[number[], number | undefined]> = [
  [[4099], undefined],
  [[70001], undefined], // three chunks of the run
  [[70001], 0],
  [[129], undefined], // one whole block and one element
  [[64, 1025], 1],
  [[1025, 64], 0],
  [[3, 4, 5], 1],
  [[16, 32, 33, 2], 2],
  [[2, 40000], 1],
  [[5000, 1], 0],
  [[3, 0, 2], 2],
  [[3, 0, 2], 0],
];

/** x with every value replaced as `kind` says, from a seeded draw. */
function specialValues(shape: number[], kind: string, seed: number): Tensor {
  const x = randomTensor(shape, seed);
  const d = x.data;
  const at = (fraction: number) => Math.min(d.length - 1, Math.floor(d.length * fraction));
  for (let i = 0; i < d.length; i++) d[i] = Math.round(d[i] * 3) / 3; // seven levels: ties everywhere
  if (d.length === 0) return x;
  if (kind === 'NaN late') { d[at(0.9)] = NaN; d[at(0.95)] = NaN; }
  if (kind === 'NaN first') d[0] = NaN;
  if (kind === 'NaN in the tail') d[d.length - 1] = NaN;
  if (kind === 'signed zeros') for (let i = 0; i < d.length; i++) d[i] = i % 3 === 0 ? -0 : i % 3 === 1 ? 0 : -d[i] * d[i] - 1;
  if (kind === 'infinities') { d[at(0.3)] = Infinity; d[at(0.6)] = -Infinity; d[at(0.7)] = Infinity; }
  return x;
}
const SPECIAL_KINDS = ['ties', 'NaN late', 'NaN first', 'NaN in the tail', 'signed zeros', 'infinities'];

describe('argmax and argmin: native = reference', () => {
  const threads = getNumThreads();
  afterEach(() => setNumThreads(threads));

  it.each(ARG_SHAPES)('over %j along %j: ties, NaNs, signed zeros and infinities, 1 and 2 threads', (shape, dim) => {
    for (const kind of SPECIAL_KINDS) {
      const x = specialValues(shape, kind, 31);
      for (const fn of ['argmax', 'argmin'] as const) {
        const reference = withBackend('reference', () => x[fn](dim));
        for (const n of [1, 2]) {
          setNumThreads(n);
          const native = x[fn](dim);
          expect(native.shape, `${fn} ${kind}`).toEqual(reference.shape);
          expect(Array.from(native.data), `${fn} ${kind} at ${n} threads`).toEqual(Array.from(reference.data));
        }
      }
    }
  });

  it('amax and amin agree with the reference on NaNs, signed zeros and infinities', () => {
    for (const [shape, dim] of ARG_SHAPES.filter(([s]) => !s.includes(0))) {
      for (const kind of SPECIAL_KINDS) {
        const x = specialValues(shape, kind, 32);
        for (const fn of ['amax', 'amin'] as const) {
          const native = x[fn](dim).data, reference = withBackend('reference', () => x[fn](dim)).data;
          // Values as numbers: a signed zero's sign follows the order of comparison (PyTorch's too).
          expect(Array.from(native, (v) => (Number.isNaN(v) ? 'NaN' : v + 0)), `${fn} ${kind} over ${shape}`)
            .toEqual(Array.from(reference, (v) => (Number.isNaN(v) ? 'NaN' : v + 0)));
        }
      }
    }
  });
});

describe('the same bits at 1, 2 and 3 threads', () => {
  const threads = getNumThreads();
  afterEach(() => setNumThreads(threads));

  it('for results past the caches: native = reference, into an out at any alignment', () => {
    // 2^22 + 13 elements: 16 MiB and more, which add, sub, mul, div and clamp write with
    // streaming stores (where the first operand is contiguous); rows of a prime length put
    // the rows' starts off the vector boundary.
    const n = 2 ** 22 + 13;
    const x = randomTensor([n], 21), y = randomTensor([n], 22);
    const rows = randomTensor([3, 1398107], 23), column = randomTensor([3, 1], 24);
    const special = new Tensor(Float32Array.from(x.data, (v, i) => [NaN, -0, 0, 0.125, v][Math.min(4, i % 7)]), [n]);
    const cases: Array<[string, () => Tensor]> = [
      ['add', () => x.add(y)],
      ['mul', () => x.mul(y)],
      ['broadcast sub', () => rows.sub(column)],
      ['div', () => x.div(y)],
      ['broadcast mul, the broadcast operand first', () => column.mul(rows)],
      ['maximum', () => x.maximum(y)],
      ['maximum of NaNs and signed zeros', () => special.maximum(x.mul(0))],
      ['maximum of signed zeros and NaNs', () => x.mul(0).maximum(special)],
      ['minimum of NaNs and signed zeros', () => special.minimum(x.mul(0))],
      ['minimum of signed zeros and NaNs', () => x.mul(0).minimum(special)],
      ['exp', () => x.exp()],
      ['sqrt of abs', () => x.abs().sqrt()],
      ['clamp', () => x.clamp(-0.5, 0.25)],
      ['clamp at 0 of NaNs, -0 and +0 (relu)', () => special.clamp(0, null)],
      ['clamp of NaNs and ties, min = max', () => special.clamp(0.125, 0.125)],
      ['neg', () => x.neg()],
    ];
    for (const [what, op] of cases) {
      const native = op().data, reference = withBackend('reference', op).data;
      // exp: the kernel's polynomial is within 2 ulp of the reference's Math.exp.
      if (what === 'exp') expectClose(native, reference, { atol: 0, rtol: 3e-7, what });
      else expect(sameBits(native, reference), what).toBe(true);
    }
    // Into an `out` whose storage starts 4 bytes past a vector boundary, at 1 and 2 threads.
    for (const n of [1, 2]) {
      setNumThreads(n);
      const out = new Tensor(new Float32Array(new ArrayBuffer(4 * (x.size + 1)), 4, x.size), [x.size]);
      x.add(y, { out });
      expect(sameBits(out.data, withBackend('reference', () => x.add(y)).data), `add into an offset out at ${n} threads`).toBe(true);
    }
  }, 120_000); // 16M-element reference loops: 33 s under qemu-aarch64 with the portable kernels

  it('for ops, gradients and reductions over large tensors', () => {
    const run = (n: number) => {
      setNumThreads(n);
      const x = randomTensor([8, 64, 33, 35], 18, { requiresGrad: true }), b = randomTensor([64, 1, 1], 19, { requiresGrad: true });
      const y = x.mul(b).exp().add(x.abs().sqrt());
      const stats = [y.sum(), y.mean([0, 2, 3]), y.amax(1), y.sum(-1), x.sum()];
      stats[1].mul(randomTensor([64], 20)).sum().backward();
      return [y.data, ...stats.map((s) => s.data), x.grad!.data, b.grad!.data];
    };
    // 3 threads: the pool's shares of 2,211 chunks (rows of 35) and of 57 or 64 outputs
    // are uneven, and each thread takes from the others' once its own is done.
    const one = run(1);
    for (const n of [2, 3]) {
      const many = run(n);
      one.forEach((a, i) => expect(sameBits(a, many[i]), `result ${i} at ${n} threads`).toBe(true));
    }
  });
});
