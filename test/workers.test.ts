import { Worker } from 'node:worker_threads';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { Tensor, conv2d } from '../lib/index';
import { defaultThreadCount } from './helpers';

interface WorkerResult {
  sync: Float32Array;
  async: Float32Array;
  threads: number;
}

function runWorker(seed: number): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'fixtures', 'conv-worker.cjs'), { workerData: { seed } });
    worker.once('message', (m: WorkerResult) => {
      resolve(m);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

describe('worker_threads', () => {
  test('two workers load the addon at once and compute what the main thread computes', async () => {
    const [a, b] = await Promise.all([runWorker(1), runWorker(2)]);
    for (const [result, seed] of [[a, 1], [b, 2]] as const) {
      const x = Tensor.randn([2, 3, 24, 24], { seed });
      const w = Tensor.randn([4, 3, 3, 3], { seed: seed + 1 });
      const expected = conv2d(x, w, null, { padding: 1 }).data;
      expect(result.sync).toEqual(expected);
      expect(result.async).toEqual(expected);
      // Each worker's environment has a pool of its own, of the default size.
      expect(result.threads).toBe(defaultThreadCount());
    }
    expect(a.sync).not.toEqual(b.sync);
  });
});
