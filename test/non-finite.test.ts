/**
 * Non-finite values through every convolution path: a padded tap reads a real zero, so
 * 0 · ±∞ = NaN in the forward and the weight gradient (as in PyTorch), while the data
 * gradient, which has no input element at a padded tap, gets no such term. The native
 * engine (each path: GEMM, direct, filter row tiles, pointwise, strided tap planes,
 * the non-compact grid's direct fallback, 1-D and 3-D, sync and async) must agree with
 * the reference on where NaN and ±∞ land, and on every finite value.
 */
import { describe, expect, test } from 'vitest';
import {
  Tensor, conv1d, conv1dBackward, conv2d, conv2dAsync, conv2dBackward, conv2dBackwardAsync, conv3d, conv3dBackward,
} from '../lib/index';
import { Random } from '../lib/random';
import { randomTensor, withBackend } from './helpers';

type Rank = 1 | 2 | 3;
interface Case {
  name: string;
  rank: Rank;
  inputShape: number[];
  weightShape: number[];
  options: Record<string, unknown>;
}

const SPECIALS = [Infinity, -Infinity, NaN];

/** Shapes chosen to reach each native path, every one with zero padding somewhere. */
const PATH_CASES: Case[] = [
  { name: 'the issue: 2x2 image, 2x2 kernel, padding 1', rank: 2, inputShape: [1, 1, 2, 2], weightShape: [1, 1, 2, 2], options: { padding: 1 } },
  { name: 'GEMM forward (channel-rich 3x3)', rank: 2, inputShape: [2, 8, 9, 11], weightShape: [12, 8, 3, 3], options: { padding: 1 } },
  { name: 'GEMM, stride 2 tap planes (5x3)', rank: 2, inputShape: [1, 5, 19, 15], weightShape: [7, 5, 5, 3], options: { stride: 2, padding: [2, 1] } },
  { name: 'GEMM, stride 2 column planes (3x3)', rank: 2, inputShape: [2, 6, 13, 17], weightShape: [8, 6, 3, 3], options: { stride: 2, padding: 1 } },
  { name: 'GEMM, 1x1 with padding', rank: 2, inputShape: [3, 16, 5, 7], weightShape: [12, 16, 1, 1], options: { padding: 1 } },
  { name: 'GEMM, 1x1 stacked images with padding', rank: 2, inputShape: [5, 40, 7, 7], weightShape: [20, 40, 1, 1], options: { padding: [0, 2] } },
  { name: 'small images (im2col matrix), padded 3x3 over 2x2', rank: 2, inputShape: [2, 32, 2, 2], weightShape: [16, 32, 3, 3], options: { padding: 1 } },
  { name: 'small images (im2col matrix), 1x1 image: taps left out', rank: 2, inputShape: [3, 16, 1, 1], weightShape: [16, 16, 3, 3], options: { padding: 1 } },
  { name: 'small images, 7x7 (backward-data as the forward over the gradient)', rank: 2, inputShape: [3, 16, 7, 7], weightShape: [16, 16, 3, 3], options: { padding: 1 } },
  { name: 'GEMM, groups, dilation', rank: 2, inputShape: [2, 12, 14, 13], weightShape: [14, 6, 3, 3], options: { groups: 2, padding: 2, dilation: 2 } },
  { name: 'direct, few output channels', rank: 2, inputShape: [2, 3, 11, 10], weightShape: [2, 3, 3, 3], options: { padding: 1 } },
  { name: 'direct, one output channel, strided', rank: 2, inputShape: [2, 4, 12, 13], weightShape: [1, 4, 5, 3], options: { padding: [2, 1], stride: [2, 3] } },
  { name: 'filter row tiles 3x3', rank: 2, inputShape: [1, 1, 20, 27], weightShape: [1, 1, 3, 3], options: { padding: 1 } },
  { name: 'filter row tiles 5x5', rank: 2, inputShape: [2, 1, 23, 29], weightShape: [1, 1, 5, 5], options: { padding: 2 } },
  { name: 'filter row tiles 7x7 depthwise', rank: 2, inputShape: [1, 2, 19, 35], weightShape: [2, 1, 7, 7], options: { groups: 2, padding: 3 } },
  { name: 'depthwise 3x3 same', rank: 2, inputShape: [3, 8, 20, 20], weightShape: [8, 1, 3, 3], options: { groups: 8, padding: 'same' } },
  { name: 'padding only on one side (same, even kernel)', rank: 2, inputShape: [1, 2, 6, 7], weightShape: [4, 2, 4, 2], options: { padding: 'same' } },
  { name: 'a kernel reaching far into padding (non-compact grid: direct)', rank: 2, inputShape: [1, 4, 3, 3], weightShape: [6, 4, 3, 3], options: { padding: 40, dilation: 40 } },
  { name: 'outputs whose every tap reads padding (padding wider than the kernel)', rank: 2, inputShape: [2, 3, 2, 3], weightShape: [4, 3, 2, 2], options: { padding: 3 } },
  { name: '1x1 with 64+ channels (weight gradient as a GEMM over packed pixels, panel tails)', rank: 2, inputShape: [3, 66, 5, 7], weightShape: [70, 66, 1, 1], options: {} },
  { name: 'wide rows (row vectors, weight gradient in units)', rank: 2, inputShape: [1, 4, 70, 40], weightShape: [6, 4, 3, 3], options: { padding: 1 } },
  { name: '1-D, channel-rich', rank: 1, inputShape: [2, 8, 31], weightShape: [12, 8, 5], options: { padding: 2 } },
  { name: '1-D, one channel', rank: 1, inputShape: [3, 1, 64], weightShape: [1, 1, 3], options: { padding: 'same' } },
  { name: '3-D, channel-rich (plane table)', rank: 3, inputShape: [2, 4, 5, 6, 7], weightShape: [8, 4, 3, 3, 3], options: { padding: 1 } },
  { name: '3-D, few channels (gathered slabs)', rank: 3, inputShape: [1, 2, 4, 5, 6], weightShape: [2, 2, 3, 2, 3], options: { padding: [1, 0, 1] } },
  { name: '3-D, depth padding only', rank: 3, inputShape: [2, 3, 3, 4, 4], weightShape: [6, 3, 3, 1, 1], options: { padding: [2, 0, 0] } },
];

const pick = <T>(r: Random, items: readonly T[]): T => items[Math.floor(r.uniform() * items.length)];

/** A random valid zero-padded 2-D configuration. */
function randomCase(r: Random, index: number): Case {
  for (;;) {
    const groups = pick(r, [1, 1, 2]);
    const C = groups * pick(r, [1, 2, 3, 8]), O = groups * pick(r, [1, 2, 3, 7]);
    const H = pick(r, [1, 2, 5, 7, 13]), W = pick(r, [1, 3, 8, 11, 17]);
    const kh = pick(r, [1, 2, 3, 5]), kw = pick(r, [1, 3, 4]);
    const options = {
      stride: [pick(r, [1, 1, 2]), pick(r, [1, 2, 3])],
      padding: [pick(r, [0, 1, 2]), pick(r, [1, 2])],
      dilation: [pick(r, [1, 1, 2]), pick(r, [1, 2])],
      groups,
    };
    const c: Case = {
      name: `random #${index} C${C} ${H}x${W} O${O} k${kh}x${kw} ${JSON.stringify(options)}`,
      rank: 2, inputShape: [pick(r, [1, 2]), C, H, W], weightShape: [O, C / groups, kh, kw], options,
    };
    try {
      conv2d(Tensor.zeros(c.inputShape), Tensor.zeros(c.weightShape), null, c.options);
      return c;
    } catch {
      // not a valid configuration: draw again
    }
  }
}

const RANDOM_CASES = (() => {
  const r = new Random(20261204);
  return Array.from({ length: 40 }, (_, i) => randomCase(r, i));
})();

type Poisoned = 'input' | 'weight' | 'gradOutput';

/** Puts a few ±∞ and NaN at random places of `t` (and always one ∞ at its first and last element). */
function poison(t: Tensor, r: Random, count: number): void {
  t.data[0] = Infinity;
  t.data[t.size - 1] = -Infinity;
  for (let i = 0; i < count; i++) t.data[Math.floor(r.uniform() * t.size)] = pick(r, SPECIALS);
}

interface Results { output: Float32Array; gradInput: Float32Array; gradWeight: Float32Array }

function forwardOf(rank: Rank) { return rank === 1 ? conv1d : rank === 2 ? conv2d : conv3d; }
function backwardOf(rank: Rank) { return rank === 1 ? conv1dBackward : rank === 2 ? conv2dBackward : conv3dBackward; }

function tensors(c: Case, which: Poisoned, seed: number) {
  const x = randomTensor(c.inputShape, seed), w = randomTensor(c.weightShape, seed + 1);
  const y = withBackend('reference', () => forwardOf(c.rank)(Tensor.zeros(c.inputShape), w, null, c.options as never));
  const g = randomTensor([...y.shape], seed + 2);
  const r = new Random(seed + 3);
  poison(which === 'input' ? x : which === 'weight' ? w : g, r, 3);
  return { x, w, g };
}

function run(c: Case, which: Poisoned, seed: number): Results {
  const { x, w, g } = tensors(c, which, seed);
  const output = forwardOf(c.rank)(x, w, null, c.options as never).data;
  const grads = backwardOf(c.rank)(x, w, g, { ...c.options, compute: { gradBias: false } } as never);
  return { output, gradInput: grads.gradInput!.data, gradWeight: grads.gradWeight!.data };
}

async function runAsync(c: Case, which: Poisoned, seed: number): Promise<Results> {
  const { x, w, g } = tensors(c, which, seed);
  const output = (await conv2dAsync(x, w, null, c.options as never)).data;
  const grads = await conv2dBackwardAsync(x, w, g, { ...c.options, compute: { gradBias: false } } as never);
  return { output, gradInput: grads.gradInput!.data, gradWeight: grads.gradWeight!.data };
}

/** Same NaN positions, same infinities, finite values within float32 tolerance. */
function expectSameValues(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i], e = expected[i];
    const same = Number.isNaN(e) ? Number.isNaN(a) : Number.isFinite(e) ? Math.abs(a - e) <= 1e-4 * (1 + Math.abs(e)) : a === e;
    if (!same) expect.fail(`${what}[${i}]: got ${a}, expected ${e}`);
  }
}

/** How many NaN and ±∞ the reference gave: a case that makes none tests nothing. */
function nonFinite(r: Results): number {
  let n = 0;
  for (const data of [r.output, r.gradInput, r.gradWeight]) for (const v of data) if (!Number.isFinite(v)) n++;
  return n;
}

/** The two agree; returns how many non-finite values the reference gave. */
function check(native: Results, reference: Results): number {
  expectSameValues(native.output, reference.output, 'output');
  expectSameValues(native.gradInput, reference.gradInput, 'gradInput');
  expectSameValues(native.gradWeight, reference.gradWeight, 'gradWeight');
  return nonFinite(reference);
}

const POISONED: Poisoned[] = ['weight', 'input', 'gradOutput'];

describe('a padded zero is a real zero: 0 · ∞ = NaN', () => {
  test('the issue\'s example gives PyTorch\'s values on both backends', () => {
    const x = Tensor.fromArray([[[[1, 2], [3, 4]]]]);
    const w = Tensor.fromArray([[[[1, 1], [1, Infinity]]]]);
    for (const backend of ['native', 'reference'] as const) {
      const y = withBackend(backend, () => conv2d(x, w, null, { padding: 1 }));
      // torch.nn.functional.conv2d gives [[inf, inf, nan], [inf, inf, nan], [nan, nan, nan]].
      expect(Array.from(y.data), backend).toEqual([Infinity, Infinity, NaN, Infinity, Infinity, NaN, NaN, NaN, NaN]);
    }
  });

  test('no spurious NaN: finite weights over padding, backward-data\'s missing pairs; the weight gradient as PyTorch', () => {
    const x = Tensor.fromArray([[[[1, Infinity], [3, 4]]]]);
    const w = Tensor.fromArray([[[[1, 1], [1, 1]]]]);
    const y = conv2d(x, w, null, { padding: 1 });
    expect(Array.from(y.data)).toEqual([1, Infinity, Infinity, 4, Infinity, Infinity, 3, 7, 4]);
    // Backward-data has no padded terms: an infinite weight reaches only real outputs.
    const { gradInput } = conv2dBackward(Tensor.ones([1, 1, 2, 2]), Tensor.fromArray([[[[Infinity, 1], [1, 1]]]]),
      Tensor.ones([1, 1, 3, 3]), { padding: 1, compute: { gradWeight: false, gradBias: false } });
    expect(Array.from(gradInput!.data)).toEqual([Infinity, Infinity, Infinity, Infinity]);
    // An infinite gradient at the corner output: three of its taps read padding (PyTorch 1.13 gives the same).
    const g = Tensor.ones([1, 1, 3, 3]);
    g.data[0] = Infinity;
    const { gradWeight } = conv2dBackward(Tensor.ones([1, 1, 2, 2]), Tensor.ones([1, 1, 2, 2]), g,
      { padding: 1, compute: { gradInput: false, gradBias: false } });
    expect(Array.from(gradWeight!.data)).toEqual([NaN, NaN, NaN, Infinity]);
  });

  for (const which of POISONED) {
    test.each(PATH_CASES.map((c, i) => [c.name, c, i] as const))(`non-finite ${which}: %s`, (_name, c, i) => {
      const seed = 9000 + 10 * i;
      const special = check(withBackend('native', () => run(c, which, seed)), withBackend('reference', () => run(c, which, seed)));
      expect(special).toBeGreaterThan(0);
    });
  }

  test.each(RANDOM_CASES.map((c, i) => [c.name, c, i] as const))('%s, each of input, weight and gradOutput non-finite', (_name, c, i) => {
    let special = 0;
    for (const which of POISONED) {
      const seed = 7000 + 10 * i;
      special += check(withBackend('native', () => run(c, which, seed)), withBackend('reference', () => run(c, which, seed)));
    }
    // (A strided case may never read the poisoned input element: the three together do.)
    expect(special).toBeGreaterThan(0);
  });

  test.each(PATH_CASES.filter((c) => c.rank === 2).map((c, i) => [c.name, c, i] as const))('async: %s', async (_name, c, i) => {
    for (const which of POISONED) {
      const seed = 5000 + 10 * i;
      expect(check(await runAsync(c, which, seed), withBackend('reference', () => run(c, which, seed)))).toBeGreaterThan(0);
    }
  });
});
