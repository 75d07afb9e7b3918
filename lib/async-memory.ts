/**
 * The memory async convolutions hold between the call and the promise's settling: each
 * call copies its inputs when it is made (so the caller may change them meanwhile) and
 * computes into private outputs. Calls that are never awaited would let that grow
 * without bound, so the bytes in flight have a limit (1 GiB by default; this thread's
 * calls, per environment): a call that would pass it, while others are in flight, is
 * rejected with a ResourceLimitError at once, before anything is copied. A call alone is
 * always admitted, whatever its size: its memory is what the caller asked for.
 */
import { ResourceLimitError } from './errors';
import { formatBytes, message, nonNegativeNumber } from './validate';

const DEFAULT_LIMIT = 2 ** 30;

function limitFromEnvironment(): number {
  const mb = process.env.CONVCORE_ASYNC_MEMORY_MB;
  if (mb === undefined || mb === '') return DEFAULT_LIMIT;
  return nonNegativeNumber('CONVCORE_ASYNC_MEMORY_MB', 'the environment variable', Number(mb)) * 2 ** 20;
}

let limit = limitFromEnvironment();
let held = 0;

/** Sets the bytes that async convolution calls in flight may hold together (default 1 GiB). */
export function setAsyncMemoryLimit(bytes: number): void {
  limit = nonNegativeNumber('setAsyncMemoryLimit', 'bytes', bytes);
}

export function getAsyncMemoryLimit(): number {
  return limit;
}

/** Bytes held by async calls in flight now (snapshots and private outputs). */
export function asyncMemoryInUse(): number {
  return held;
}

/**
 * Runs `call` holding `bytes` of the limit until it settles. Must be called before the
 * call copies anything; throws (in an async caller: rejects) when there is no room.
 */
export async function holdingAsyncMemory<T>(fn: string, bytes: number, call: () => Promise<T>): Promise<T> {
  if (held > 0 && held + bytes > limit) {
    throw new ResourceLimitError(message(fn, 'the async calls in flight', `within ${formatBytes(limit)} of snapshots and outputs (setAsyncMemoryLimit)`,
      `${formatBytes(held)} held and ${formatBytes(bytes)} more for this call; await earlier calls before making more`));
  }
  held += bytes;
  try {
    return await call();
  } finally {
    held -= bytes;
  }
}
