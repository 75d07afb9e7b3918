/**
 * Connections to the queue's Redis. The first connection must succeed (an unreachable
 * Redis is a QueueError at once, with the URL and the cause); after that, a lost
 * connection is retried without end and commands wait for it, so that a Redis restart
 * pauses a batch instead of failing it.
 */
import type { Redis } from 'ioredis';
import { QueueError } from '../errors';
import { loadIORedis } from './dependencies';
import type { RedisTarget } from './redis-url';

/** The BullMQ queue that carries filter jobs. */
export const QUEUE_NAME = 'convcore-filter';

/** BullMQ's connection options for a target (commands wait out a reconnection). */
export function bullmqConnection(target: RedisTarget): { url: string; maxRetriesPerRequest: null } {
  return { url: target.url, maxRetriesPerRequest: null };
}

export async function openRedis(fn: string, target: RedisTarget): Promise<Redis> {
  const IORedis = loadIORedis();
  const redis = new IORedis(target.url, { lazyConnect: true, maxRetriesPerRequest: null, connectTimeout: 5000 });
  // Errors while reconnecting are retried; without a listener ioredis would print each one.
  let lastError: Error | null = null;
  redis.on('error', (error: Error) => { lastError = error; });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    // connect() rejects with "Connection is closed"; the socket's own error says why.
    const cause = lastError ?? error;
    throw new QueueError(`${fn}: could not reach Redis at ${target.label} (${cause instanceof Error ? cause.message : String(cause)}); ` +
      'start it (redis-server) or check the URL', { cause });
  }
  return redis;
}
