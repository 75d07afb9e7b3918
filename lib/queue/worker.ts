/**
 * startFilterWorker: takes images of enqueued batches off the queue and filters them
 * with the same engine and atomic writes as a local run, until closed. A delivery is
 * idempotent: an image with a recorded result is not redone; one whose earlier delivery
 * started writing and died (a killed worker: BullMQ hands its stalled job to another)
 * has that delivery's temporary file removed and its output written again, the same
 * bytes. A failure is retried (the job's attempts); the last one is recorded with its
 * reason and the batch goes on.
 */
import type { Job } from 'bullmq';
import { type ImageResult, type Plan, batchCapacity, exists, filterToFile, outputExists, planFilters } from '../image/batch';
import { loadSharp } from '../image/sharp';
import { removeTemporaryFiles } from '../io/atomic-write';
import { checkOptions, is, optionalFunction, rangeError } from '../validate';
import { BatchStore, type BatchRecord } from './batch-store';
import { QUEUE_NAME, bullmqConnection, openRedis } from './connection';
import { loadBullmq } from './dependencies';
import type { ImageJob } from './enqueue';
import { parseRedisUrl } from './redis-url';

export interface FilterWorkerOptions {
  /** The Redis the queue lives on: redis://host:port[/db]. Required. */
  queue: string;
  /** Images this worker filters at once (default: the number of cores). */
  concurrency?: number;
  /** Bytes its images in flight may take together (default: half of the machine's memory). */
  maxMemory?: number;
  /**
   * Seconds a worker may go without renewing its images' locks before they are handed to
   * another worker (default 30: BullMQ's lock duration). A killed worker's images wait this long.
   * Give every worker of a queue the same value: BullMQ checks for stalled images at most once
   * per the interval of the worker that checked last, so one slow setting slows every recovery.
   */
  stallTimeout?: number;
  /** Called after each image this worker settles (written, skipped, or failed after its last attempt). */
  onImage?: (result: ImageResult, batchId: string) => void;
  /** Called for errors outside any image (lost connection to Redis: the worker keeps retrying). */
  onError?: (error: Error) => void;
}

export interface FilterWorker {
  /** Stops taking images, finishes those in flight, then disconnects. */
  close(): Promise<void>;
}

interface BatchPlan {
  batch: BatchRecord;
  plan: Plan;
}

export async function startFilterWorker(options: FilterWorkerOptions): Promise<FilterWorker> {
  const fn = 'startFilterWorker';
  const o = checkOptions(fn, options, ['queue', 'concurrency', 'maxMemory', 'stallTimeout', 'onImage', 'onError']);
  const target = parseRedisUrl(fn, 'options.queue', o.queue);
  const { concurrency, budget } = batchCapacity(fn, o);
  const stallTimeout = o.stallTimeout ?? 30;
  if (!is.finite(stallTimeout) || stallTimeout < 1) throw rangeError(fn, 'options.stallTimeout', 'a number of seconds ≥ 1', stallTimeout);
  const onImage = optionalFunction<FilterWorkerOptions['onImage']>(fn, 'options.onImage', o.onImage);
  const onError = optionalFunction<FilterWorkerOptions['onError']>(fn, 'options.onError', o.onError) ?? (() => {});
  loadSharp();
  const { Worker } = loadBullmq();
  const redis = await openRedis(fn, target);
  const store = new BatchStore(redis);

  // The plans of recent batches (a worker serves one batch after another).
  const plans = new Map<string, BatchPlan>();
  const planOf = async (id: string): Promise<BatchPlan | null> => {
    const cached = plans.get(id);
    if (cached !== undefined) return cached;
    const batch = await store.batch(id);
    if (batch === null) return null;
    const entry = { batch, plan: planFilters('filterImages', batch.filters, batch.options) };
    if (plans.size >= 16) plans.delete(plans.keys().next().value!);
    plans.set(id, entry);
    return entry;
  };

  const filterOne = async (job: Job<ImageJob>): Promise<ImageResult> => {
    const { batch: id, index, input, output } = job.data;
    const { result: recorded, started: startedBefore } = await store.progressOf(id, index);
    if (recorded !== null) return recorded;
    const entry = await planOf(id);
    if (entry === null) throw new Error(`batch ${id} is not in Redis (expired after a week, or deleted)`);
    // A delivery that died mid-write may have left its temporary file.
    if (startedBefore) await removeTemporaryFiles(output);
    let result: ImageResult;
    if (!entry.batch.overwrite && !startedBefore && await exists(output)) {
      result = outputExists(input, output);
    } else {
      // The mark must be in Redis before the output is written; it travels while the image is filtered.
      const marking = store.markStarted(id, index);
      marking.catch(() => {});
      result = await filterToFile('filterImages', input, output, entry.plan, budget, () => marking);
    }
    // BullMQ retries a thrown job until its attempts are spent; the last failure is the result.
    const settled = result.status !== 'failed' || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (settled) {
      await store.record(id, index, result);
      onImage?.(result, id);
    }
    if (result.status === 'failed') throw new Error(result.reason);
    return result;
  };

  const worker = new Worker<ImageJob, ImageResult>(QUEUE_NAME, filterOne, {
    connection: bullmqConnection(target), concurrency,
    lockDuration: stallTimeout * 1000, stalledInterval: stallTimeout * 1000,
  });
  worker.on('error', (error) => onError(error));
  try {
    await worker.waitUntilReady();
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  return {
    async close() {
      await worker.close();
      redis.disconnect();
    },
  };
}
