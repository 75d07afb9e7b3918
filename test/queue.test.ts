/**
 * The distributed filter queue against a real Redis: a batch filtered by workers ends
 * exactly as a local filterImages run (same statuses, same output bytes), when a worker
 * is killed mid-batch (SIGKILL), when Redis is killed and restarted (append-only file),
 * when a worker stops gracefully (SIGTERM), and when a job is delivered twice. Nothing
 * is left under the output folder but outputs. Bad input is refused before any work.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  ArgumentRangeError, QueueError, UnknownOptionError, batchStatus, enqueueFilterImages, filterImages, startFilterWorker, waitForBatch,
} from '../lib/index';
import type { FilterSummary } from '../lib/index';
import { BatchStore } from '../lib/queue/batch-store';
import { openRedis } from '../lib/queue/connection';
import { parseRedisUrl } from '../lib/queue/redis-url';
import { REDIS_SERVER, RedisServer } from './redis-server';

const CLI = path.resolve(__dirname, '..', 'dist', 'cli', 'main.js');
const fixture = (name: string) => path.join(__dirname, 'fixtures', 'images', name);
const FILTERS = ['gaussian:1.5', [[1, 0, -1], [2, 0, -2], [1, 0, -1]]];
// Every worker of a queue gets the same stall timeout: BullMQ's stalled check runs at most
// once per the last checker's interval, so one 30 s worker would slow every recovery to 30 s.
const STALL_TIMEOUT = 2;

if (!REDIS_SERVER) console.warn('queue.test.ts: SKIPPED, redis-server is not installed (apt-get install redis-server)');

/** `count` photo-like images of a few formats and sizes in a new folder, plus the fixtures that fail. */
async function makeImages(count: number, size: number): Promise<string[]> {
  const dir = mkdtempSync(path.join(tmpdir(), 'convcore-queue-in-'));
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const width = size + (i % 7), height = Math.round(size * 0.75) + (i % 5), channels = i % 4 === 3 ? 4 : 3;
    const pixels = Buffer.alloc(width * height * channels);
    for (let p = 0; p < pixels.length; p++) pixels[p] = (Math.imul(p, 2654435761 + i) >>> 24) ^ ((p / channels / width) * 2);
    const image = sharp(pixels, { raw: { width, height, channels: channels as 3 | 4 } });
    const file = path.join(dir, `image-${String(i).padStart(3, '0')}.${i % 3 === 1 && channels === 3 ? 'jpg' : 'png'}`);
    await (file.endsWith('.jpg') ? image.jpeg() : image.png()).toFile(file);
    files.push(file);
  }
  for (const name of ['not-an-image.png', 'truncated.jpg']) {
    copyFileSync(fixture(name), path.join(dir, name));
    files.push(path.join(dir, name));
  }
  return files;
}

/** The local run the queue must match: statuses per input and the bytes of every output. */
async function localRun(inputs: string[], options: Record<string, unknown> = {}): Promise<{ dir: string; summary: FilterSummary }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'convcore-queue-local-'));
  return { dir, summary: await filterImages(inputs, dir, FILTERS, { concurrency: 2, ...options }) };
}

function expectSameOutcome(queued: FilterSummary, queuedDir: string, local: { dir: string; summary: FilterSummary }): void {
  expect(queued.results.map((r) => [path.basename(r.input), r.status])).toEqual(local.summary.results.map((r) => [path.basename(r.input), r.status]));
  expect([queued.written, queued.skipped, queued.failed]).toEqual([local.summary.written, local.summary.skipped, local.summary.failed]);
  // Only outputs under the folder: no temporary or partial file.
  expect(readdirSync(queuedDir).sort()).toEqual(readdirSync(local.dir).sort());
  for (const name of readdirSync(local.dir)) {
    expect(readFileSync(path.join(queuedDir, name)).equals(readFileSync(path.join(local.dir, name))), name).toBe(true);
  }
}

/** `convcore worker` in its own process; resolves lines of its stderr as they come. */
function spawnWorker(url: string, extra: string[] = []): { child: ChildProcess; written: () => number; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLI, 'worker', '--queue', url, '-c', '1', '--threads', '1', '--stall-timeout', String(STALL_TIMEOUT), ...extra],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let text = '';
  child.stderr!.on('data', (chunk: Buffer) => { text += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, written: () => (text.match(/ -> /g) ?? []).length, exited };
}

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.skipIf(!REDIS_SERVER)('filter queue on Redis', () => {
  let redis: RedisServer;
  let inputs: string[];
  let local: { dir: string; summary: FilterSummary };
  const outDir = () => path.join(mkdtempSync(path.join(tmpdir(), 'convcore-queue-out-')), 'out');

  beforeAll(async () => {
    redis = await RedisServer.start();
    inputs = await makeImages(40, 160);
    local = await localRun(inputs);
  });
  afterAll(async () => {
    await redis?.kill();
  });

  test('two workers end a batch exactly as a local run: statuses, bytes, failures with their reason', async () => {
    const out = outDir();
    const batch = await enqueueFilterImages(inputs, out, FILTERS, { queue: redis.url, attempts: 2 });
    expect(batch).toMatchObject({ images: 42, queued: 42 });
    const workers = [await startFilterWorker({ queue: redis.url, concurrency: 2, stallTimeout: STALL_TIMEOUT }), await startFilterWorker({ queue: redis.url, concurrency: 1, stallTimeout: STALL_TIMEOUT })];
    const seen: number[] = [];
    const summary = await waitForBatch(batch.batchId, { queue: redis.url, onProgress: (done, total) => { seen.push(done); expect(total).toBe(42); } });
    await Promise.all(workers.map((w) => w.close()));
    expect(seen).toEqual(Array.from({ length: 42 }, (_, i) => i + 1));
    expectSameOutcome(summary, out, local);
    expect(summary.results.find((r) => r.input.endsWith('not-an-image.png'))!.reason).toMatch(/not-an-image\.png.*decoder rejected/);
    expect(await batchStatus(batch.batchId, { queue: redis.url })).toMatchObject({ images: 42, written: 40, skipped: 0, failed: 2, pending: 0 });
  });

  test('inputs listed twice, existing outputs and outputs that would replace an input are settled as locally', async () => {
    const out = outDir();
    mkdirSync(out, { recursive: true });
    const some = [...inputs.slice(0, 4), inputs[1]];
    writeFileSync(path.join(out, path.basename(inputs[2])), 'kept');
    const batch = await enqueueFilterImages(some, out, FILTERS, { queue: redis.url });
    expect(batch).toMatchObject({ images: 5, queued: 4 });
    const worker = await startFilterWorker({ queue: redis.url, concurrency: 1, stallTimeout: STALL_TIMEOUT });
    const summary = await waitForBatch(batch.batchId, { queue: redis.url });
    await worker.close();
    expect(summary.results.map((r) => r.status)).toEqual(['written', 'written', 'skipped', 'written', 'skipped']);
    expect(summary.results[2].reason).toMatch(/output exists/);
    expect(summary.results[4].reason).toMatch(/listed twice/);
    expect(readFileSync(path.join(out, path.basename(inputs[2])), 'utf8')).toBe('kept');
    // An output folder that holds an input: that image fails, the input is untouched.
    const inputFolder = path.dirname(inputs[0]);
    const before = readFileSync(inputs[0]);
    const own = await enqueueFilterImages([inputs[0]], inputFolder, FILTERS, { queue: redis.url, overwrite: true });
    expect(own.queued).toBe(0);
    const ownSummary = await waitForBatch(own.batchId, { queue: redis.url });
    expect(ownSummary.results[0]).toMatchObject({ status: 'failed', reason: expect.stringMatching(/would overwrite an input/) });
    expect(readFileSync(inputs[0]).equals(before)).toBe(true);
  });

  test('a worker killed with SIGKILL mid-batch loses nothing: another takes its images, no temporary file is left', async () => {
    const out = outDir();
    const many = await makeImages(60, 320);
    const reference = await localRun(many);
    const batch = await enqueueFilterImages(many, out, FILTERS, { queue: redis.url, attempts: 2 });
    // BullMQ reports the image the victim held when it died as stalled, then hands it on.
    const { QueueEvents } = await import('bullmq');
    const events = new QueueEvents('convcore-filter', { connection: { url: redis.url } });
    await events.waitUntilReady();
    const stalled: string[] = [];
    events.on('stalled', ({ jobId }) => stalled.push(jobId));
    const victim = spawnWorker(redis.url);
    const survivor = spawnWorker(redis.url);
    await until(() => victim.written() >= 3, 'the victim to write 3 images');
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toBe(null);
    const summary = await waitForBatch(batch.batchId, { queue: redis.url, pollInterval: 50 });
    // The victim prints an image once its result is recorded, before BullMQ marks the job done, so
    // it dies holding a job: the one just recorded or the next. The batch can end before the stall
    // check (every STALL_TIMEOUT s) finds it; the survivor must stay up until it does.
    await until(() => stalled.length >= 1, 'BullMQ to report the victim\'s image stalled', 10_000 * STALL_TIMEOUT);
    survivor.child.kill('SIGTERM');
    expect(await survivor.exited).toBe(0);
    await events.close();
    expect(stalled.every((id) => id.startsWith(`${batch.batchId}-`))).toBe(true);
    // A stalled image handed on after its result was recorded is not filtered twice.
    expectSameOutcome(summary, out, reference);
    expect(await batchStatus(batch.batchId, { queue: redis.url })).toMatchObject({ images: 62, written: 60, skipped: 0, failed: 2, pending: 0 });
  }, 60_000);

  test('Redis killed and restarted mid-batch: the batch resumes from its append-only file and completes', async () => {
    const out = outDir();
    const batch = await enqueueFilterImages(inputs, out, FILTERS, { queue: redis.url, attempts: 2 });
    const worker = spawnWorker(redis.url);
    const waiting = waitForBatch(batch.batchId, { queue: redis.url, pollInterval: 50 });
    await until(() => worker.written() >= 5, 'the worker to write 5 images');
    await redis.kill('SIGKILL');
    expect(worker.written()).toBeLessThan(40);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await redis.restart();
    const summary = await waiting;
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expectSameOutcome(summary, out, local);
  }, 60_000);

  test('SIGTERM: the worker finishes its images in flight and exits 0; a later worker does the rest', async () => {
    const out = outDir();
    const batch = await enqueueFilterImages(inputs, out, FILTERS, { queue: redis.url, attempts: 2 });
    const first = spawnWorker(redis.url);
    await until(() => first.written() >= 2, 'the first worker to write 2 images');
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const status = await batchStatus(batch.batchId, { queue: redis.url });
    expect(status.written).toBeGreaterThanOrEqual(2);
    expect(status.pending).toBeGreaterThan(0);
    const second = await startFilterWorker({ queue: redis.url, concurrency: 2, stallTimeout: STALL_TIMEOUT });
    const summary = await waitForBatch(batch.batchId, { queue: redis.url });
    await second.close();
    expectSameOutcome(summary, out, local);
  }, 60_000);

  test('a job delivered twice writes once; a dead delivery\'s temporary file is removed and its image written', async () => {
    const out = outDir();
    const two = inputs.slice(0, 2);
    const batch = await enqueueFilterImages(two, out, FILTERS, { queue: redis.url });
    // As if a worker had begun image 1 and died mid-write: started, a temporary file beside its output.
    const connection = await openRedis('test', parseRedisUrl('test', 'url', redis.url));
    const store = new BatchStore(connection);
    await store.markStarted(batch.batchId, 1);
    const output1 = path.join(out, path.basename(two[1]));
    const leftover = path.join(out, `.${path.basename(output1)}.0badf00d.tmp`);
    writeFileSync(leftover, 'half an image');
    writeFileSync(output1, 'a partial rename cannot happen, but an earlier delivery\'s complete output can');
    const worker = await startFilterWorker({ queue: redis.url, concurrency: 1, stallTimeout: STALL_TIMEOUT });
    const summary = await waitForBatch(batch.batchId, { queue: redis.url });
    expect(summary.results.map((r) => r.status)).toEqual(['written', 'written']);
    expect(existsSync(leftover)).toBe(false);
    expect(readFileSync(output1).equals(readFileSync(path.join(local.dir, path.basename(output1))))).toBe(true);
    // The same job again (a duplicate delivery after completion): its recorded result, no second write.
    const mtime = statSync(output1).mtimeMs;
    const { Queue } = await import('bullmq');
    const queue = new Queue('convcore-filter', { connection: { url: redis.url } });
    const job = await queue.add('filter-image', { batch: batch.batchId, index: 1, input: two[1], output: output1 }, { jobId: `${batch.batchId}-1` });
    await until(async () => (await queue.getJobState(job.id!)) === 'completed', 'the duplicate to complete');
    expect((await queue.getJob(job.id!))!.returnvalue).toEqual(summary.results[1]);
    expect(statSync(output1).mtimeMs).toBe(mtime);
    await queue.close();
    await worker.close();
    connection.disconnect();
  });

  test('bad input is refused before Redis or the disk is touched; unreachable Redis and unknown batches are QueueErrors', async () => {
    const out = outDir();
    await expect(enqueueFilterImages(inputs, out, FILTERS, { queue: 'http://127.0.0.1:6379' })).rejects.toThrow(ArgumentRangeError);
    await expect(enqueueFilterImages(inputs, out, FILTERS, { queue: redis.url, attempts: 0 })).rejects.toThrow(/attempts.*1 to 100.*got 0/);
    await expect(enqueueFilterImages(inputs, out, ['blur'], { queue: redis.url })).rejects.toThrow(/filter name/);
    await expect(enqueueFilterImages(inputs, out, FILTERS, { queue: redis.url, concurency: 2 } as never)).rejects.toThrow(UnknownOptionError);
    await expect(enqueueFilterImages(inputs, out, FILTERS, { queue: 'redis://127.0.0.1:1' })).rejects.toThrow(/could not reach Redis at redis:\/\/127\.0\.0\.1:1.*ECONNREFUSED/);
    expect(existsSync(out)).toBe(false);
    await expect(batchStatus('nope', { queue: redis.url })).rejects.toThrow(QueueError);
    await expect(startFilterWorker({ queue: redis.url, stallTimeout: 0 })).rejects.toThrow(/stallTimeout/);
    expect(parseRedisUrl('f', 'q', 'redis://user:secret@host:6379/2').label).not.toContain('secret');
  });

  test('the CLI: filter --queue prints the id, --wait reports like a local run (exit 1 on a failure), status counts', async () => {
    const out = outDir();
    const enqueued = spawnSync(process.execPath, [CLI, 'filter', ...inputs.slice(0, 3), inputs.at(-1)!, '--out', out, '-f', 'gaussian:1.5',
      '--queue', redis.url, '--attempts', '1'], { encoding: 'utf8' });
    expect(enqueued.status).toBe(0);
    const id = enqueued.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{12}$/);
    const worker = spawnWorker(redis.url);
    const waited = spawn(process.execPath, [CLI, 'filter', inputs[5], '--out', out, '-f', 'gaussian:1.5', '--queue', redis.url, '--wait'], { stdio: 'pipe' });
    let stdout = '';
    waited.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    expect(await new Promise((resolve) => waited.once('exit', resolve))).toBe(0);
    expect(stdout).toMatch(/^1 images: 1 written, 0 skipped, 0 failed; /);
    const status = () => spawnSync(process.execPath, [CLI, 'status', '--queue', redis.url, id], { encoding: 'utf8' });
    await until(() => / 0 pending/.test(status().stdout), 'the first batch to finish');
    expect(status().stdout).toMatch(new RegExp(`^batch ${id} .*: 4 images: 3 written, 0 skipped, 1 failed, 0 pending`));
    const failing = spawnSync(process.execPath, [CLI, 'filter', inputs.at(-2)!, '--out', out, '-f', 'sobel', '--queue', redis.url,
      '--wait', '--attempts', '1'], { encoding: 'utf8' });
    expect(failing.status).toBe(1);
    expect(failing.stderr).toMatch(/failed: .*not-an-image\.png: .*decoder rejected/);
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    const usage = spawnSync(process.execPath, [CLI, 'filter', inputs[0], '--out', out, '-f', 'sobel', '--queue', redis.url, '-c', '2'], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toMatch(/--concurrency is set on each worker/);
    const noQueue = spawnSync(process.execPath, [CLI, 'filter', inputs[0], '--out', out, '-f', 'sobel', '--wait'], { encoding: 'utf8' });
    expect(noQueue.stderr).toMatch(/--wait needs --queue/);
    const unknown = spawnSync(process.execPath, [CLI, 'status', '--queue', redis.url, 'nope'], { encoding: 'utf8' });
    expect([unknown.status, unknown.stderr]).toEqual([2, expect.stringMatching(/expected batchId to be a batch on .* but got 'nope'/)]);
  }, 60_000);
});
