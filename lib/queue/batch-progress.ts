/**
 * A batch's progress as every worker reports it: batchStatus (counts now) and
 * waitForBatch (until every image is settled, with a callback per image, like
 * filterImages' onProgress). An image counts when a worker recorded its result, or when
 * BullMQ gave its job up without one (it stalled more often than allowed, or left the
 * queue): that image is recorded failed with BullMQ's reason, so no batch waits forever.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { mapLimited } from '../concurrency';
import { QueueError } from '../errors';
import { type FilterSummary, type ImageResult, failedResult } from '../image/batch';
import { checkOptions, is, optionalFunction, rangeError, typeError } from '../validate';
import { BatchStore, type BatchRecord } from './batch-store';
import { QUEUE_NAME, bullmqConnection, openRedis } from './connection';
import { loadBullmq } from './dependencies';
import { jobIdOf } from './enqueue';
import { type RedisTarget, parseRedisUrl } from './redis-url';

export interface BatchStatus {
  batchId: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  outDir: string;
  images: number;
  written: number;
  skipped: number;
  failed: number;
  /** Queued or in flight. */
  pending: number;
}

export interface WaitForBatchOptions {
  /** The Redis the queue lives on: redis://host:port[/db]. Required. */
  queue: string;
  /** Called once per image as its result arrives (done, total, the result). */
  onProgress?: (done: number, total: number, result: ImageResult) => void;
  /** Milliseconds between looks at the batch (default 250). */
  pollInterval?: number;
}

/** A connection to the queue and the batch's record, for one status or wait. */
class BatchView {
  private constructor(readonly store: BatchStore, readonly queue: Queue, readonly batch: BatchRecord) {}

  static async open(fn: string, target: RedisTarget, batchId: unknown): Promise<BatchView> {
    if (typeof batchId !== 'string' || batchId === '') throw typeError(fn, 'batchId', 'a batch id (from enqueueFilterImages)', batchId);
    const { Queue } = loadBullmq();
    const redis: Redis = await openRedis(fn, target);
    const store = new BatchStore(redis);
    const batch = await store.batch(batchId).catch((error: unknown) => { redis.disconnect(); throw error; });
    if (batch === null) {
      const recent = await store.recent(5);
      redis.disconnect();
      throw new QueueError(`${fn}: expected batchId to be a batch on ${target.label}, but got '${batchId}' ` +
        `(none such; batches are kept a week${recent.length > 0 ? `; recent ones: ${recent.join(', ')}` : ''})`);
    }
    return new BatchView(store, new Queue(QUEUE_NAME, { connection: bullmqConnection(target) }), batch);
  }

  /**
   * Records as failed the images whose jobs BullMQ settled without a result: failed
   * without the worker recording it (stalled too often), or gone from the queue.
   */
  async settleLostJobs(missing: readonly number[]): Promise<void> {
    const id = this.batch.id;
    await mapLimited(missing, 32, async (index) => {
      const jobId = jobIdOf(id, index);
      const state = await this.queue.getJobState(jobId);
      if (state !== 'failed' && state !== 'unknown') return;
      // A completed job is removed just after its result is recorded: look again.
      if (await this.store.result(id, index) !== null) return;
      const job = state === 'failed' ? await this.queue.getJob(jobId) : undefined;
      const input = job?.data.input ?? await this.store.input(id, index) ?? '';
      const reason = state === 'failed' ? `gave up: ${job?.failedReason ?? 'failed'}` : 'its job is no longer on the queue (removed)';
      await this.store.record(id, index, failedResult(input, reason));
    });
  }

  async close(): Promise<void> {
    await this.queue.close();
    this.store.redis.disconnect();
  }
}

function missingIndexes(images: number, results: ReadonlyMap<number, ImageResult>): number[] {
  const missing: number[] = [];
  for (let i = 0; i < images; i++) if (!results.has(i)) missing.push(i);
  return missing;
}

function countOf(batch: BatchRecord, results: ReadonlyMap<number, ImageResult>): BatchStatus {
  const count = (status: ImageResult['status']) => [...results.values()].filter((r) => r.status === status).length;
  return {
    batchId: batch.id, createdAt: batch.createdAt, outDir: batch.outDir, images: batch.images,
    written: count('written'), skipped: count('skipped'), failed: count('failed'), pending: batch.images - results.size,
  };
}

/** A batch's counts now. */
export async function batchStatus(batchId: string, options: { queue: string }): Promise<BatchStatus> {
  const fn = 'batchStatus';
  const o = checkOptions(fn, options, ['queue']);
  const view = await BatchView.open(fn, parseRedisUrl(fn, 'options.queue', o.queue), batchId);
  try {
    await view.settleLostJobs(missingIndexes(view.batch.images, await view.store.results(view.batch.id)));
    return countOf(view.batch, await view.store.results(view.batch.id));
  } finally {
    await view.close();
  }
}

/** The ids of the most recent batches on a queue, newest first. */
export async function recentBatches(options: { queue: string; count?: number }): Promise<string[]> {
  const fn = 'recentBatches';
  const o = checkOptions(fn, options, ['queue', 'count']);
  const count = o.count ?? 10;
  if (!is.positiveInteger(count)) throw rangeError(fn, 'options.count', 'a positive integer', count);
  const redis = await openRedis(fn, parseRedisUrl(fn, 'options.queue', o.queue));
  try {
    return await new BatchStore(redis).recent(count);
  } finally {
    redis.disconnect();
  }
}

/**
 * Resolves when every image of the batch is settled, with the same summary as
 * filterImages (seconds counted from the enqueue). Survives a Redis restart (it waits
 * for the connection to return).
 */
export async function waitForBatch(batchId: string, options: WaitForBatchOptions): Promise<FilterSummary> {
  const fn = 'waitForBatch';
  const o = checkOptions(fn, options, ['queue', 'onProgress', 'pollInterval']);
  const onProgress = optionalFunction<WaitForBatchOptions['onProgress']>(fn, 'options.onProgress', o.onProgress);
  const interval = o.pollInterval ?? 250;
  if (!is.finite(interval) || interval < 10) throw rangeError(fn, 'options.pollInterval', 'a number of milliseconds ≥ 10', interval);
  const view = await BatchView.open(fn, parseRedisUrl(fn, 'options.queue', o.queue), batchId);
  const { batch, store } = view;
  try {
    const results = new Map<number, ImageResult>();
    let cursor = 0, lastSettle = Date.now();
    for (;;) {
      const fresh = await store.resultsSince(batch.id, cursor);
      cursor = fresh.next;
      for (const [index, result] of fresh.results) {
        // An index settles twice when a success replaces a failure: the first report stands for progress.
        const first = !results.has(index);
        results.set(index, result);
        if (first) onProgress?.(results.size, batch.images, result);
      }
      if (results.size >= batch.images) break;
      // Jobs BullMQ gave up on are rare: look for them every few seconds, not every poll.
      if (Date.now() - lastSettle > 5000) {
        await view.settleLostJobs(missingIndexes(batch.images, results));
        lastSettle = Date.now();
      }
      await new Promise((resolve) => setTimeout(resolve, interval));
    }
    const ordered = Array.from({ length: batch.images }, (_, i) => results.get(i)!);
    const counts = countOf(batch, results);
    return {
      images: batch.images, written: counts.written, skipped: counts.skipped, failed: counts.failed,
      megapixels: ordered.reduce((m, r) => m + r.megapixels, 0), seconds: (Date.now() - batch.createdAt) / 1000, results: ordered,
    };
  } finally {
    await view.close();
  }
}
