import { Worker } from 'node:worker_threads';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { Tensor, conv2d } from '../lib/index';

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
      expect(result.threads).toBeGreaterThanOrEqual(1);
    }
    expect(a.sync).not.toEqual(b.sync);
  });
});
