/**
 * The commands of the distributed filter queue: `convcore worker` (filters queued images
 * until SIGTERM or SIGINT, then finishes those in flight and exits 0) and `convcore
 * status` (a batch's counts, or the recent batches). `convcore filter --queue` is in
 * main.ts, beside the local run it mirrors.
 */
import { parseArgs } from 'node:util';
import { batchStatus, recentBatches } from '../queue/batch-progress';
import { startFilterWorker } from '../queue/worker';
import { setNumThreads } from '../threads';
import { UsageError, bytesOption, number } from './options';
import { printable, resultLine } from './report';

export const WORKER_HELP = `Usage: convcore worker --queue redis://HOST:PORT[/DB] [options]

Filters the images of batches enqueued with 'convcore filter --queue' (on any machine
that sees the same files at the same paths) until stopped with SIGTERM or Ctrl-C; then
it finishes the images in flight and exits 0 (a second Ctrl-C stops at once). A worker
that dies mid-image loses nothing: after --stall-timeout another worker takes its images.

Options:
      --queue URL        the Redis the queue lives on (required)
  -c, --concurrency N    images in flight at once (default: the number of cores)
      --threads N        threads for the convolutions (default: the number of cores)
      --max-memory SIZE  memory its images in flight may take together (default: half of the machine's)
      --stall-timeout S  seconds before a silent worker's images go to another (default 30;
                         give every worker of a queue the same value)
  -q, --quiet            no line per image (failures are still reported)
  -h, --help             this help`;

export const STATUS_HELP = `Usage: convcore status --queue redis://HOST:PORT[/DB] [BATCH]

Prints a batch's counts (written, skipped, failed, pending), or the recent batches'
counts without BATCH. Exit status 0, or 2 for an unknown batch.`;

export async function workerCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true,
    options: {
      queue: { type: 'string' }, concurrency: { type: 'string', short: 'c' }, threads: { type: 'string' },
      'max-memory': { type: 'string' }, 'stall-timeout': { type: 'string' }, quiet: { type: 'boolean', short: 'q' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(WORKER_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}' (a worker takes options only)`);
  if (values.queue === undefined) throw new UsageError('--queue redis://HOST:PORT is required');
  const threads = number('threads', values.threads, true);
  if (threads !== undefined) setNumThreads(threads);
  const quiet = values.quiet === true;
  const worker = await startFilterWorker({
    queue: values.queue,
    ...(values.concurrency !== undefined && { concurrency: number('concurrency', values.concurrency, true) }),
    ...(values['max-memory'] !== undefined && { maxMemory: bytesOption('max-memory', values['max-memory']) }),
    ...(values['stall-timeout'] !== undefined && { stallTimeout: number('stall-timeout', values['stall-timeout'], false) }),
    onImage(r, batch) {
      if (r.status === 'failed' || !quiet) process.stderr.write(`[${batch}] ${resultLine(r)}\n`);
    },
    onError: errorsAtMostEvery(10_000),
  });
  if (!quiet) process.stderr.write(`convcore worker: taking images from the queue; stop with SIGTERM or Ctrl-C\n`);
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) process.exit(130);  // the second signal: stop now
      stopping = true;
      if (!quiet) process.stderr.write(`convcore worker: ${signal}: finishing the images in flight\n`);
      worker.close().then(() => resolve(0), (error: unknown) => {
        process.stderr.write(`convcore worker: ${(error as Error).message}\n`);
        resolve(1);
      });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}

/** Reports errors outside images (Redis gone: retried without end) once per period, not once per retry. */
function errorsAtMostEvery(ms: number): (error: Error) => void {
  let last = 0;
  return (error) => {
    if (Date.now() - last < ms) return;
    last = Date.now();
    process.stderr.write(`convcore worker: ${error.message} (retrying)\n`);
  };
}

export async function statusCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv, allowPositionals: true, options: { queue: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(STATUS_HELP);
    return 0;
  }
  if (values.queue === undefined) throw new UsageError('--queue redis://HOST:PORT is required');
  if (positionals.length > 1) throw new UsageError(`one batch at a time, got ${positionals.length}`);
  const ids = positionals.length === 1 ? positionals : await recentBatches({ queue: values.queue });
  if (ids.length === 0) console.log('no batches on this queue');
  for (const id of ids) {
    const s = await batchStatus(id, { queue: values.queue });
    console.log(`batch ${s.batchId} (${new Date(s.createdAt).toISOString()}, into ${printable(s.outDir)}): ${s.images} images: ` +
      `${s.written} written, ${s.skipped} skipped, ${s.failed} failed, ${s.pending} pending`);
  }
  return 0;
}
