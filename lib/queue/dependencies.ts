/**
 * BullMQ and its Redis client (ioredis), loaded on first use like sharp: only the
 * distributed filter queue needs them, so they are optional peer dependencies and the
 * rest of convcore never loads them. Where they are missing, the error says how to add them.
 */
import { QueueError } from '../errors';

type Bullmq = typeof import('bullmq');
type IORedis = typeof import('ioredis').default;

function load<T>(name: string, pick: (module: Record<string, unknown>) => T): T {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return pick(require(name) as Record<string, unknown>);
  } catch (cause) {
    throw new QueueError(
      [
        `convcore's distributed filter queue needs the package ${name}, which could not be loaded.`,
        `Cause: ${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}`,
        'Add both of its packages with: npm install bullmq ioredis',
      ].join('\n'),
      { cause },
    );
  }
}

let bullmq: Bullmq | null = null;
let ioredis: IORedis | null = null;

export function loadBullmq(): Bullmq {
  return (bullmq ??= load('bullmq', (m) => m as unknown as Bullmq));
}

export function loadIORedis(): IORedis {
  return (ioredis ??= load('ioredis', (m) => (m.default ?? m) as IORedis));
}
