import { expect } from 'vitest';
import { type BackendName, Tensor, getBackend, setBackend } from '../lib/index';
import { Random } from '../lib/random';

/** Uniform values in [-1, 1), reproducible from `seed`. */
export function randomTensor(shape: number[], seed: number, options?: { requiresGrad?: boolean }): Tensor {
  const random = new Random(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = random.uniform() * 2 - 1;
  return new Tensor(data, shape, options);
}

export function withBackend<T>(name: BackendName, fn: () => T): T {
  const previous = getBackend();
  setBackend(name);
  try {
    return fn();
  } finally {
    setBackend(previous);
  }
}

/**
 * |actual − expected| ≤ atol + rtol·|expected| element-wise; on failure, names the
 * first bad index so that a report is readable.
 */
export function expectClose(
  actual: Float32Array | null | undefined,
  expected: Float32Array | null | undefined,
  { atol, rtol = 1e-5, what = 'values' }: { atol: number; rtol?: number; what?: string },
): void {
  expect(actual, `${what}: actual`).toBeTruthy();
  expect(expected, `${what}: expected`).toBeTruthy();
  const a = actual as Float32Array, e = expected as Float32Array;
  expect(a.length, `${what}: length`).toBe(e.length);
  for (let i = 0; i < a.length; i++) {
    const bound = atol + rtol * Math.abs(e[i]);
    if (!(Math.abs(a[i] - e[i]) <= bound)) {
      expect.fail(`${what}[${i}]: got ${a[i]}, expected ${e[i]} (±${bound})`);
    }
  }
}

export function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}
