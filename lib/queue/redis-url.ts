/** The Redis a queue lives on, from a URL such as redis://host:6379/0 (checked, not yet reached). */
import { ArgumentRangeError, ArgumentTypeError } from '../errors';
import { describe, message } from '../validate';

export interface RedisTarget {
  /** The URL as given: ioredis and BullMQ connect with it. */
  url: string;
  /** The URL without its password, for messages and logs. */
  label: string;
}

const EXPECTED = 'a Redis URL such as redis://127.0.0.1:6379 or redis://user:password@host:6379/2 (rediss:// for TLS)';

export function parseRedisUrl(fn: string, name: string, value: unknown): RedisTarget {
  if (typeof value !== 'string') throw new ArgumentTypeError(message(fn, name, EXPECTED, describe(value)));
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ArgumentRangeError(message(fn, name, EXPECTED, `'${value}'`));
  }
  const db = url.pathname.replace(/^\//, '');
  if ((url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '' || !/^\d*$/.test(db) || url.search !== '') {
    throw new ArgumentRangeError(message(fn, name, EXPECTED, `'${value}'`));
  }
  if (url.password !== '') url.password = '***';
  return { url: value, label: url.toString() };
}
