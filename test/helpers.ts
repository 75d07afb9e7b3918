import * as os from 'node:os';
import { expect } from 'vitest';
import { type BackendName, Tensor, getBackend, setBackend } from '../lib/index';
import { Random } from '../lib/random';

/**
 * The bytes of a view (not of its whole buffer: small results share one slab), for
 * bitwise comparisons that NaNs and signed zeros do not fool.
 */
export function bits(a: Float32Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

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

/** Central differences of `loss` with respect to every element of each tensor in `wrt`. */
function numericGradients(loss: () => number, wrt: Tensor[], eps: number): Float64Array[] {
  return wrt.map((t) => {
    const grad = new Float64Array(t.size);
    for (let i = 0; i < t.size; i++) {
      const saved = t.data[i];
      t.data[i] = saved + eps;
      const plus = loss();
      t.data[i] = saved - eps;
      const minus = loss();
      t.data[i] = saved;
      grad[i] = (plus - minus) / (2 * eps);
    }
    return grad;
  });
}

function weightedSum(y: Tensor, g: Tensor): number {
  let s = 0;
  for (let i = 0; i < y.size; i++) s += y.data[i] * g.data[i];
  return s;
}

/**
 * Checks autograd against central differences of L = Σ f(inputs) · G (G random from
 * `seed`): |analytic − numeric| ≤ tol · (1 + |numeric|) for every input element.
 */
export function checkGradients(f: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], seed: number, eps: number, tol: number) {
  for (const t of inputs) {
    t.requiresGrad = true;
    t.grad = null;
  }
  const out = f(...inputs);
  const G = randomTensor([...out.shape], seed);
  out.mul(G).sum().backward();
  const numeric = numericGradients(() => weightedSum(f(...inputs), G), inputs, eps);
  inputs.forEach((t, k) => {
    const analytic = t.grad!.data;
    for (let i = 0; i < t.size; i++) {
      const bound = tol * (1 + Math.abs(numeric[k][i]));
      if (!(Math.abs(analytic[i] - numeric[k][i]) <= bound)) {
        expect.fail(`input ${k}, element ${i}: analytic ${analytic[i]}, numeric ${numeric[k][i]}`);
      }
    }
  });
}

/**
 * How tests start another Node.js: this one, or CONVCORE_TEST_NODE's command where this
 * one runs under an emulator that cannot start itself (`qemu-aarch64 /path/to/node`
 * on a machine without binfmt_misc: .ci/run's arm64 pass).
 */
export function nodeCommand(): string[] {
  const command = process.env.CONVCORE_TEST_NODE?.trim();
  return command ? command.split(/\s+/) : [process.execPath];
}

/**
 * The native pool's default size: CONVCORE_NUM_THREADS where it is 1..1024, else the
 * online CPUs (std::thread::hardware_concurrency, which os.cpus() counts too).
 */
export function defaultThreadCount(): number {
  const asked = Number(process.env.CONVCORE_NUM_THREADS);
  return Number.isInteger(asked) && asked >= 1 && asked <= 1024 ? asked : Math.max(1, os.cpus().length);
}
