/**
 * What Redis keeps about a filter batch beside BullMQ's jobs: how it was asked for (the
 * filters and options every worker applies), the inputs by index, and one result per
 * image. Results are keyed by the image's index, so a job delivered twice records one
 * result, and a later delivery finds it done. A success replaces a failure (a duplicate
 * delivery that lost a race with the first must not hide the image it wrote); a failure
 * never replaces anything. The indexes are also listed in the order they settle, so that
 * a watcher reads only what is new. Every key expires a week after its last write.
 */
import type { ChainableCommander, Redis } from 'ioredis';
import type { ImageResult } from '../image/batch';
import type { FilterSpec } from '../image/filters';

/** A batch as enqueued: what every worker needs to run its images. */
export interface BatchRecord {
  id: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  images: number;
  outDir: string;
  /** The filters as JSON-safe specs (names, or rows of weights). */
  filters: FilterSpec[];
  /** The filter options (border, grayscale, abs, offset, round, format, quality, maxPixels). */
  options: Record<string, unknown>;
  overwrite: boolean;
}

/** How long a batch's keys (and its failed jobs) are kept after their last write. */
export const BATCH_TTL_SECONDS = 7 * 24 * 3600;
const BATCHES = 'convcore:filter:batches';
const key = (id: string, part: 'meta' | 'inputs' | 'results' | 'settled' | 'started') => `convcore:filter:${id}:${part}`;

/** A result's writes, queued on `multi`: a success always, a failure only where nothing is recorded. */
function addResult(multi: ChainableCommander, id: string, index: number, result: ImageResult): ChainableCommander {
  if (result.status === 'failed') multi.hsetnx(key(id, 'results'), String(index), JSON.stringify(result));
  else multi.hset(key(id, 'results'), String(index), JSON.stringify(result));
  return multi.rpush(key(id, 'settled'), String(index)).expire(key(id, 'results'), BATCH_TTL_SECONDS).expire(key(id, 'settled'), BATCH_TTL_SECONDS);
}

export class BatchStore {
  constructor(readonly redis: Redis) {}

  /** Stores a new batch, its inputs and the results already known (inputs listed twice…). */
  async create(batch: BatchRecord, inputs: readonly string[], known: ReadonlyMap<number, ImageResult>): Promise<void> {
    const multi = this.redis.multi();
    multi.set(key(batch.id, 'meta'), JSON.stringify(batch), 'EX', BATCH_TTL_SECONDS);
    for (let start = 0; start < inputs.length; start += 1000) {
      const fields: string[] = [];
      for (let i = start; i < Math.min(start + 1000, inputs.length); i++) fields.push(String(i), inputs[i]);
      multi.hset(key(batch.id, 'inputs'), ...fields);
    }
    if (inputs.length > 0) multi.expire(key(batch.id, 'inputs'), BATCH_TTL_SECONDS);
    for (const [index, result] of known) addResult(multi, batch.id, index, result);
    multi.zadd(BATCHES, batch.createdAt, batch.id);
    multi.zremrangebyscore(BATCHES, '-inf', batch.createdAt - BATCH_TTL_SECONDS * 1000);
    await multi.exec();
  }

  async batch(id: string): Promise<BatchRecord | null> {
    const text = await this.redis.get(key(id, 'meta'));
    return text === null ? null : JSON.parse(text) as BatchRecord;
  }

  /** The most recent batches' ids, newest first. */
  async recent(count: number): Promise<string[]> {
    return this.redis.zrevrange(BATCHES, 0, count - 1);
  }

  async input(id: string, index: number): Promise<string | null> {
    return this.redis.hget(key(id, 'inputs'), String(index));
  }

  /** An image's recorded result, and whether a delivery began writing it (one round trip). */
  async progressOf(id: string, index: number): Promise<{ result: ImageResult | null; started: boolean }> {
    const replies = await this.redis.multi().hget(key(id, 'results'), String(index)).sismember(key(id, 'started'), String(index)).exec();
    const [[, text], [, started]] = replies as [[Error | null, string | null], [Error | null, number]];
    return { result: text === null ? null : JSON.parse(text) as ImageResult, started: started === 1 };
  }

  async result(id: string, index: number): Promise<ImageResult | null> {
    const text = await this.redis.hget(key(id, 'results'), String(index));
    return text === null ? null : JSON.parse(text) as ImageResult;
  }

  /** Every recorded result, by index. */
  async results(id: string): Promise<Map<number, ImageResult>> {
    const all = await this.redis.hgetall(key(id, 'results'));
    return new Map(Object.entries(all).map(([index, text]) => [Number(index), JSON.parse(text) as ImageResult]));
  }

  /** The results recorded since the first `from` (an index into the order they settled; duplicates possible). */
  async resultsSince(id: string, from: number): Promise<{ results: Map<number, ImageResult>; next: number }> {
    const indexes = await this.redis.lrange(key(id, 'settled'), from, -1);
    if (indexes.length === 0) return { results: new Map(), next: from };
    const texts = await this.redis.hmget(key(id, 'results'), ...indexes);
    const results = new Map<number, ImageResult>();
    indexes.forEach((index, i) => { if (texts[i] !== null) results.set(Number(index), JSON.parse(texts[i]!) as ImageResult); });
    return { results, next: from + indexes.length };
  }

  /** Records an image's result: a success always, a failure only where nothing is recorded. */
  async record(id: string, index: number, result: ImageResult): Promise<void> {
    await addResult(this.redis.multi(), id, index, result).exec();
  }

  /**
   * Notes that a delivery began writing an image's output: a later delivery of the same
   * image then knows that an existing output (and a leftover temporary file) may be its
   * own, from a worker that died before it recorded the result.
   */
  async markStarted(id: string, index: number): Promise<void> {
    await this.redis.multi().sadd(key(id, 'started'), String(index)).expire(key(id, 'started'), BATCH_TTL_SECONDS).exec();
  }
}
