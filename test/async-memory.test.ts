/**
 * Async convolutions copy their inputs at the call: un-awaited calls would hold memory
 * without bound, so the bytes in flight have a limit and a call past it is rejected at
 * once with a ResourceLimitError, while the calls already made complete correctly.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import {
  ResourceLimitError, asyncMemoryInUse, conv2d, conv2dAsync, conv2dBackward, conv2dBackwardAsync, getAsyncMemoryLimit,
  setAsyncMemoryLimit,
} from '../lib/index';
import { randomTensor } from './helpers';

const initial = getAsyncMemoryLimit();
afterEach(() => setAsyncMemoryLimit(initial));

describe('the memory held by async calls in flight is bounded', () => {
  test('the default is 1 GiB; a call past the limit rejects at once, the earlier ones complete', async () => {
    expect(initial).toBe(2 ** 30);
    const x = randomTensor([1, 4, 32, 32], 1), w = randomTensor([4, 4, 3, 3], 2);
    // One call holds 4 bytes × (4,096 input + 144 weights + 4,096 output) = 33,344 bytes.
    setAsyncMemoryLimit(3 * 33_344);
    const calls = Array.from({ length: 5 }, () => conv2dAsync(x, w, null, { padding: 1 }));
    expect(asyncMemoryInUse()).toBe(3 * 33_344);
    const settled = await Promise.allSettled(calls);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected']);
    const expected = conv2d(x, w, null, { padding: 1 }).data;
    for (const s of settled.slice(0, 3)) expect((s as PromiseFulfilledResult<{ data: Float32Array }>).value.data).toEqual(expected);
    const error = (settled[3] as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(ResourceLimitError);
    expect(error.message).toBe('conv2dAsync: expected the async calls in flight to be within 0.1 MiB of snapshots and outputs ' +
      '(setAsyncMemoryLimit), but got 0.1 MiB held and 0.0 MiB more for this call; await earlier calls before making more');
    // Settled calls give their bytes back.
    expect(asyncMemoryInUse()).toBe(0);
    await expect(conv2dAsync(x, w, null, { padding: 1 })).resolves.toBeDefined();
  });

  test('backward calls count their copies and gradients; a call alone is admitted whatever its size', async () => {
    const x = randomTensor([2, 3, 16, 16], 3), w = randomTensor([5, 3, 3, 3], 4), g = randomTensor([2, 5, 16, 16], 5);
    setAsyncMemoryLimit(1);
    const alone = conv2dBackwardAsync(x, w, g, { padding: 1 });
    expect(asyncMemoryInUse()).toBe(4 * (2 * (1536 + 135) + 2560 + 5));
    await expect(conv2dBackwardAsync(x, w, g, { padding: 1 })).rejects.toThrow(ResourceLimitError);
    const { gradWeight } = await alone;
    expect(gradWeight!.data).toEqual(conv2dBackward(x, w, g, { padding: 1 }).gradWeight!.data);
    expect(() => setAsyncMemoryLimit(-1)).toThrow('setAsyncMemoryLimit: expected bytes to be a non-negative finite number, but got -1');
  });

  test("10,000 un-awaited calls stay within the limit's memory (CONVCORE_ASYNC_MEMORY_MB=64)", () => {
    // Without the limit these calls held 6.4 GB of RSS.
    const script = `
      const { conv2dAsync, Tensor } = require(${JSON.stringify(path.resolve(__dirname, '..', 'dist', 'index.js'))});
      const x = Tensor.rand([1, 16, 64, 64], { seed: 1 }), w = Tensor.rand([16, 16, 3, 3], { seed: 2 });
      const before = process.memoryUsage().rss;
      const calls = [];
      for (let i = 0; i < 10000; i++) calls.push(conv2dAsync(x, w, null, { padding: 1 }));
      const grown = process.memoryUsage().rss - before;
      Promise.allSettled(calls).then((s) => {
        const ok = s.filter((r) => r.status === 'fulfilled').length;
        const named = s.filter((r) => r.status === 'rejected' && r.reason.name === 'ResourceLimitError').length;
        console.log(JSON.stringify({ ok, named, grownMB: grown / 2 ** 20 }));
      });`;
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, CONVCORE_ASYNC_MEMORY_MB: '64' } });
    expect(result.status).toBe(0);
    const { ok, named, grownMB } = JSON.parse(result.stdout);
    // Each call holds 4 × (65,536 + 2,304 + 65,536) bytes = 0.51 MiB: 125 fit in 64 MiB.
    expect(ok).toBe(125);
    expect(named).toBe(10_000 - 125);
    expect(grownMB).toBeLessThan(64 + 100);
  });
});
