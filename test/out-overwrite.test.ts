// Every pass writes every element of its result: an `out` tensor full of stale values
// (NaN here) ends bitwise equal to a result allocated fresh. Results allocated by the
// library come uninitialised from the malloc cache (lib/memory.ts), so this is what makes
// them exact, on both backends.
import { describe, expect, it } from 'vitest';
import {
  type BackendName, Tensor, conv1d, conv1dBackward, conv2d, conv2dBackward, conv3d, conv3dBackward,
} from '../lib/index';
import { randomTensor, withBackend } from './helpers';

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
const bytes = (t: Tensor | null | undefined) => Buffer.from(t!.data.buffer, t!.data.byteOffset, t!.data.byteLength);

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
