// Results the library allocates come uninitialised (lib/alloc.ts's allocResult: on memory
// the malloc cache hands back, a zero-fill would be a second pass over the result). Here
// that storage starts as NaN, so an op that leaves any element unwritten shows it: each
// result must be free of NaN and equal the other backend's, which is computed the same way.
import { describe, expect, it, vi } from 'vitest';
import { allocResult } from '../lib/alloc';
import { type BackendName, Tensor, avgPool2d, maxPool2d, relu, sigmoid, tanh } from '../lib/index';
import { expectClose, randomTensor, withBackend } from './helpers';

vi.mock('../lib/alloc', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../lib/alloc')>();
  return { ...actual, allocResult: (length: number) => new Float32Array(length).fill(NaN) };
});

const both = (f: () => Tensor): Record<BackendName, Float32Array> => ({
  native: withBackend('native', f).data,
  reference: withBackend('reference', f).data,
});

function expectWritten(results: Record<BackendName, Float32Array>, atol: number, what: string): void {
  for (const [backend, data] of Object.entries(results)) {
    expect(data.findIndex(Number.isNaN), `${what} (${backend}): first NaN`).toBe(-1);
  }
  expectClose(results.native, results.reference, { atol, what });
}

describe('ops write every element of the storage they allocate', () => {
  it('(the storage here starts as NaN)', () => {
    expect(Array.from(allocResult(3))).toEqual([NaN, NaN, NaN]);
  });

  // 3 × 1,031 + 5: above the native cut-off (4,096) and with a tail past any vector width.
  const x = randomTensor([3, 1033], 1), y = randomTensor([3, 1033], 2), row = randomTensor([1033], 3);

  it.each(['add', 'sub', 'mul', 'div', 'maximum', 'minimum'] as const)('%s, broadcast and not', (op) => {
    expectWritten(both(() => x[op](y)), 1e-6, op);
    expectWritten(both(() => x[op](row)), 1e-6, `${op} with a row`);
    expectWritten(both(() => x[op](0.5)), 1e-6, `${op} with a number`);
  });

  it.each(['neg', 'square', 'exp', 'abs'] as const)('%s', (op) => {
    expectWritten(both(() => x[op]()), 1e-5, op);
  });

  it('sqrt, log, rsqrt, pow and clamp', () => {
    const positive = x.abs().add(0.25);
    for (const op of ['sqrt', 'log', 'rsqrt'] as const) expectWritten(both(() => positive[op]()), 1e-5, op);
    expectWritten(both(() => positive.pow(1.5)), 1e-5, 'pow');
    expectWritten(both(() => x.clamp(-0.5, 0.25)), 0, 'clamp');
  });

  it.each([['relu', relu], ['sigmoid', sigmoid], ['tanh', tanh]] as const)('%s', (name, f) => {
    expectWritten(both(() => f(x)), 1e-6, name);
  });

  it.each([
    { name: '2×2 stride 2 (the fast path)', k: 2, options: {} },
    { name: '3×3 stride 2 padding 1', k: 3, options: { stride: 2, padding: 1 } },
    { name: '3×3 stride 2, ceil mode', k: 3, options: { stride: 2, ceilMode: true } },
  ])('max and average pooling, $name', ({ k, options }) => {
    const image = randomTensor([2, 3, 13, 11], 4);
    expectWritten(both(() => maxPool2d(image, k, options)), 0, 'maxPool2d');
    expectWritten(both(() => avgPool2d(image, k, options)), 1e-6, 'avgPool2d');
  });
});
