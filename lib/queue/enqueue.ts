/**
 * enqueueFilterImages: a batch of images as one BullMQ job per image, for workers on any
 * machine that sees the same files (startFilterWorker). Everything a local run refuses
 * up front is refused here too, before any job exists: bad filters or options, an
 * output folder that cannot be used, two inputs that would write one output. Inputs
 * listed twice and outputs that would replace an input are settled here (skipped,
 * failed) and never queued.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { mapLimited } from '../concurrency';
import { FILTER_OPTIONS, type FilterOptions, type ImageResult, listedTwice, planFilters, wouldOverwrite } from '../image/batch';
import { FILTER_NAMES, type Filter, type FilterSpec } from '../image/filters';
import { planOutputs } from '../image/output-plan';
import { booleanOption, checkOptions, is, rangeError, typeError } from '../validate';
import { BATCH_TTL_SECONDS, BatchStore, type BatchRecord } from './batch-store';
import { QUEUE_NAME, bullmqConnection, openRedis } from './connection';
import { loadBullmq } from './dependencies';
import { parseRedisUrl } from './redis-url';

export interface EnqueueFilterOptions extends FilterOptions {
  /** The Redis the queue lives on: redis://host:port[/db] (rediss:// for TLS). Required. */
  queue: string;
  /** Replace existing output files (default false). */
  overwrite?: boolean;
  /** Tries per image before it is reported failed (default 3; 1 s, 2 s… apart). */
  attempts?: number;
}

export interface EnqueuedBatch {
  /** Names the batch for waitForBatch, batchStatus and `convcore status`. */
  batchId: string;
  images: number;
  /** Jobs put on the queue (the others were settled at once: listed twice, or would overwrite an input). */
  queued: number;
}

/** The data of one image's job. */
export interface ImageJob {
  batch: string;
  index: number;
  input: string;
  output: string;
}

/** An image's job id: one per image of a batch, so that adding it again is a no-op. */
export const jobIdOf = (batchId: string, index: number): string => `${batchId}-${index}`;

/** A JSON-safe spec that parses back to the same filter: its name, or its rows of weights. */
function specOf(filter: Filter): FilterSpec {
  if (FILTER_NAMES.includes(filter.name.split(':')[0])) return filter.name;
  if (filter.kind !== 'kernel') throw new Error(`unexpected unnamed filter '${filter.name}'`);
  return Array.from({ length: filter.height }, (_, i) => [...filter.weights.subarray(i * filter.width, (i + 1) * filter.width)]);
}

export async function enqueueFilterImages(inputs: readonly string[], outDir: string, filters: FilterSpec | readonly FilterSpec[],
  options: EnqueueFilterOptions): Promise<EnqueuedBatch> {
  const fn = 'enqueueFilterImages';
  if (!Array.isArray(inputs) || !inputs.every((i) => typeof i === 'string')) throw typeError(fn, 'inputs', 'an array of file paths', inputs);
  if (typeof outDir !== 'string' || outDir === '') throw typeError(fn, 'outDir', 'a directory path', outDir);
  const o = checkOptions(fn, options, [...FILTER_OPTIONS, 'queue', 'overwrite', 'attempts']);
  const p = planFilters(fn, filters, o);
  const target = parseRedisUrl(fn, 'options.queue', o.queue);
  const overwrite = booleanOption(fn, 'options.overwrite', o.overwrite, false);
  const attempts = o.attempts ?? 3;
  if (!is.positiveInteger(attempts) || attempts > 100) throw rangeError(fn, 'options.attempts', 'an integer from 1 to 100', attempts);
  const { Queue } = loadBullmq();

  // Workers may run in other folders: every path they get is absolute.
  const files = inputs.map((input) => path.resolve(input));
  const folder = path.resolve(outDir);
  const redis = await openRedis(fn, target);
  try {
    const plan = await planOutputs(fn, files, folder, p.format);
    const known = new Map<number, ImageResult>();
    const overwritten = await mapLimited(plan.outputs, 64, (output) => plan.inputAt(output));
    files.forEach((input, i) => {
      const first = plan.firstListing[i];
      if (first >= 0) known.set(i, listedTwice(input, files[first], plan.outputs[first]));
      else if (overwritten[i] !== null) known.set(i, wouldOverwrite(input, overwritten[i]!));
    });
    const filterOptions: Record<string, unknown> = {};
    for (const name of FILTER_OPTIONS) if (o[name] !== undefined) filterOptions[name] = o[name];
    const batch: BatchRecord = {
      id: randomBytes(6).toString('hex'), createdAt: Date.now(), images: files.length, outDir: folder,
      filters: p.filters.map(specOf), options: filterOptions, overwrite,
    };
    await new BatchStore(redis).create(batch, files, known);
    const queue = new Queue<ImageJob>(QUEUE_NAME, { connection: bullmqConnection(target) });
    try {
      const jobs = files.flatMap((input, index) => known.has(index) ? [] : [{
        name: 'filter-image',
        data: { batch: batch.id, index, input, output: plan.outputs[index] },
        opts: {
          // One id per image: adding it again (a retried enqueue) is a no-op.
          jobId: jobIdOf(batch.id, index), attempts, backoff: { type: 'exponential', delay: 1000 },
          // A completed image's result lives in the batch's record; failed jobs stay as long, for inspection.
          removeOnComplete: true, removeOnFail: { age: BATCH_TTL_SECONDS },
        },
      }]);
      for (let start = 0; start < jobs.length; start += 1000) await queue.addBulk(jobs.slice(start, start + 1000));
      return { batchId: batch.id, images: files.length, queued: jobs.length };
    } finally {
      await queue.close();
    }
  } finally {
    redis.disconnect();
  }
}
