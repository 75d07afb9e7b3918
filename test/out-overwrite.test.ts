// Every convolution pass and element-wise op writes every element of its result: an `out`
// tensor full of stale values (NaN here) ends bitwise equal to a result allocated fresh.
// Results allocated by the library come uninitialised (lib/alloc.ts's allocResult), so this
// is what makes them exact, on both backends. Element-wise `out` is checked before any work.
import { describe, expect, it } from 'vitest';
import {
  ArgumentTypeError, AutogradError, type BackendName, ShapeError, Tensor, UnknownOptionError, noGrad, conv1d, conv1dBackward, conv2d, conv2dBackward, conv3d, conv3dBackward,
} from '../lib/index';
import { bits, randomTensor, withBackend } from './helpers';

type Rank = 1 | 2 | 3;
const FORWARD = { 1: conv1d, 2: conv2d, 3: conv3d } as const;
const BACKWARD = { 1: conv1dBackward, 2: conv2dBackward, 3: conv3dBackward } as const;

interface Case {
  name: string;
  rank: Rank;
  batch: number;
  inChannels: number;
  outChannels: number;
  size: number;
  kernel: number;
  options: Record<string, unknown>;
}

// The paths: GEMM (channel-rich), direct (few channels, depthwise), strided, dilated,
// 1×1, padding modes, sizes of 1 and primes.
const CASES: Case[] = [
  { name: '2-D GEMM 3×3', rank: 2, batch: 2, inChannels: 8, outChannels: 13, size: 11, kernel: 3, options: { padding: 1 } },
  { name: '2-D 1×1', rank: 2, batch: 3, inChannels: 16, outChannels: 7, size: 5, kernel: 1, options: {} },
  { name: '2-D strided', rank: 2, batch: 1, inChannels: 6, outChannels: 8, size: 13, kernel: 3, options: { stride: 2, padding: 1 } },
  { name: '2-D dilated', rank: 2, batch: 1, inChannels: 3, outChannels: 5, size: 17, kernel: 3, options: { dilation: 2, padding: 2 } },
  { name: '2-D depthwise 5×5', rank: 2, batch: 2, inChannels: 4, outChannels: 4, size: 37, kernel: 5, options: { groups: 4, padding: 2 } },
  { name: '2-D image filter', rank: 2, batch: 1, inChannels: 1, outChannels: 1, size: 41, kernel: 3, options: { padding: 'same' } },
  { name: '2-D reflect', rank: 2, batch: 1, inChannels: 2, outChannels: 3, size: 7, kernel: 3, options: { padding: 1, paddingMode: 'reflect' } },
  { name: '2-D size 1', rank: 2, batch: 1, inChannels: 5, outChannels: 6, size: 1, kernel: 1, options: {} },
  { name: '1-D', rank: 1, batch: 2, inChannels: 7, outChannels: 9, size: 31, kernel: 5, options: { padding: 2 } },
  { name: '3-D', rank: 3, batch: 1, inChannels: 3, outChannels: 6, size: 7, kernel: 3, options: { padding: 1, stride: [1, 2, 1] } },
];

const shapeOf = (rank: Rank, a: number, b: number, size: number) => [a, b, ...new Array(rank).fill(size)];
const stale = (shape: number[]) => new Tensor(new Float32Array(shape.reduce((x, y) => x * y, 1)).fill(NaN), shape);
const bytes = (t: Tensor | null | undefined) => bits(t!.data);

describe.each(['native', 'reference'] as BackendName[])('results overwrite stale out tensors (%s)', (backend) => {
  it.each(CASES)('$name', (c) => {
    withBackend(backend, () => {
      const groups = (c.options.groups as number | undefined) ?? 1;
      const x = randomTensor(shapeOf(c.rank, c.batch, c.inChannels, c.size), 1);
      const w = randomTensor(shapeOf(c.rank, c.outChannels, c.inChannels / groups, c.kernel), 2);
      const b = randomTensor([c.outChannels], 3);
      const forward = FORWARD[c.rank] as (...args: unknown[]) => Tensor;
      const backward = BACKWARD[c.rank] as (...args: unknown[]) => { gradInput: Tensor | null; gradWeight: Tensor | null; gradBias: Tensor | null };
      const fresh = forward(x, w, b, c.options);
      const y = stale(fresh.shape);
      forward(x, w, b, { ...c.options, out: y });
      expect(bytes(y).equals(bytes(fresh))).toBe(true);
      expect(y.data.some(Number.isNaN)).toBe(false);

      const g = randomTensor(fresh.shape, 4);
      const grads = backward(x, w, g, c.options);
      const out = { gradInput: stale(x.shape), gradWeight: stale(w.shape), gradBias: stale([c.outChannels]) };
      backward(x, w, g, { ...c.options, out });
      for (const key of ['gradInput', 'gradWeight', 'gradBias'] as const) {
        expect(bytes(out[key]).equals(bytes(grads[key])), key).toBe(true);
        expect(out[key].data.some(Number.isNaN), key).toBe(false);
      }
    });
  });
});

describe.each(['native', 'reference'] as BackendName[])('element-wise ops write into out (%s)', (backend) => {
  // Above the native cut-off (4,096 elements), with a tail; a row and a number broadcast.
  const x = randomTensor([3, 1033], 5), y = randomTensor([3, 1033], 6), row = randomTensor([1033], 7);
  const cases: Array<[string, (out: Tensor | undefined) => Tensor]> = [
    ['add', (out) => x.add(y, { out })],
    ['sub with a row', (out) => x.sub(row, { out })],
    ['mul with a number', (out) => x.mul(3, { out })],
    ['div', (out) => x.div(y, { out })],
    ['maximum', (out) => x.maximum(y, { out })],
    ['minimum with a row', (out) => row.minimum(x, { out })],
    ['exp', (out) => x.exp({ out })],
    ['sqrt', (out) => x.abs().sqrt({ out })],
    ['pow', (out) => x.abs().pow(0.75, { out })],
    ['clamp', (out) => x.clamp(-0.25, 0.5, { out })],
    ['neg (small: computed in TypeScript)', (out) => row.neg({ out })],
  ];

  it.each(cases)('%s: the result in out, bitwise as a fresh one, and out returned', (_, op) => {
    withBackend(backend, () => {
      const fresh = op(undefined);
      const out = stale(fresh.shape);
      expect(op(out)).toBe(out);
      expect(bytes(out).equals(bytes(fresh))).toBe(true);
      expect(out.requiresGrad).toBe(false);
    });
  });
});

describe('element-wise out is checked before any work', () => {
  const x = randomTensor([4, 5], 8), y = randomTensor([4, 5], 9);

  it('names the shape it expected', () => {
    const out = stale([5, 4]);
    expect(() => x.add(y, { out })).toThrow(ShapeError);
    expect(() => x.add(y, { out })).toThrow('add: expected options.out.shape to be [4, 5], but got [5, 4]');
    expect(out.data.every(Number.isNaN)).toBe(true);
  });

  it('refuses memory an input reads (out = x would change x while it is read)', () => {
    expect(() => x.mul(y, { out: x })).toThrow(/mul: expected options.out to be a tensor whose memory does not overlap the inputs/);
    expect(() => y.exp({ out: y.reshape([20]).reshape([4, 5]) })).toThrow(ShapeError);
  });

  it('refuses out while autograd records the op, as PyTorch does; allows it under noGrad', () => {
    const w = randomTensor([4, 5], 10, { requiresGrad: true });
    expect(() => w.add(y, { out: stale([4, 5]) })).toThrow(AutogradError);
    expect(() => w.sqrt({ out: stale([4, 5]) })).toThrow(/sqrt: expected options.out to be no out tensor while autograd records the op/);
    expect(() => x.add(y, { out: w })).toThrow(/an out tensor that requires grad/);
    const out = stale([4, 5]);
    noGrad(() => w.add(y, { out }));
    expect(out.data[7]).toBe(Math.fround(w.data[7] + y.data[7]));
  });

  it('refuses what is not a tensor and unknown options', () => {
    expect(() => x.add(y, { out: new Float32Array(20) as unknown as Tensor })).toThrow(ArgumentTypeError);
    expect(() => x.add(y, { output: stale([4, 5]) } as unknown as { out: Tensor })).toThrow(UnknownOptionError);
  });
});
