/**
 * The cache of tensor storage. Results and gradients live in ArrayBuffers, which Node
 * allocates with malloc. glibc serves a large block by mapping fresh pages and unmaps
 * them when it is freed, so every large result was page-faulted in anew, a page at a
 * time: on a virtual machine that cost up to 40 times the convolution that filled it.
 * With the cache on, large blocks stay in the C heap: a result the garbage collector
 * has freed hands its pages, already mapped, to the next one. Free memory at the top of
 * the heap beyond the limit goes back to the system at once; emptyCache() returns every
 * free page. A result is never reused while JavaScript can reach it: only V8 frees it.
 *
 * Process-wide (every worker shares the C heap); glibc only (elsewhere the limit is 0
 * and nothing changes). Default 1 GiB; CONVCORE_CACHE_MB sets it, 0 turns it off.
 */
import { type NativeAddon, nativeAddon } from './binding';
import { nonNegativeNumber, rangeError } from './validate';

const DEFAULT_LIMIT = 2 ** 30;
// glibc takes the trim threshold as a C int.
const MAX_LIMIT = 2 ** 31 - 1;

function checkedLimit(fn: string, name: string, bytes: number): number {
  nonNegativeNumber(fn, name, bytes);
  if (!Number.isInteger(bytes) || bytes > MAX_LIMIT) {
    throw rangeError(fn, name, `an integer number of bytes from 0 to ${MAX_LIMIT}`, bytes);
  }
  return bytes;
}

function limitFromEnvironment(): number {
  const mb = process.env.CONVCORE_CACHE_MB;
  if (mb === undefined || mb === '') return DEFAULT_LIMIT;
  const megabytes = nonNegativeNumber('CONVCORE_CACHE_MB', 'the environment variable (MiB)', Number(mb));
  return Math.min(Math.round(megabytes * 2 ** 20), MAX_LIMIT);
}

let limit = limitFromEnvironment();
let supported: boolean | null = null;

/** Called once when the native addon loads: puts the limit in force. */
export function applyCacheLimit(addon: NativeAddon): void {
  supported = addon.setMallocCacheLimit(limit);
}

/**
 * Sets how much free memory the cache may keep (bytes, at most 2^31 − 1); 0 turns it
 * off, restoring the C library's defaults.
 */
export function setCacheLimit(bytes: number): void {
  limit = checkedLimit('setCacheLimit', 'bytes', bytes);
  supported = nativeAddon().setMallocCacheLimit(limit);
}

/** The limit in force: 0 where it is off or the C library has no such cache (not glibc). */
export function getCacheLimit(): number {
  if (supported === null) nativeAddon();
  return supported ? limit : 0;
}

/** Returns every free page the cache holds to the system (for a server between bursts). */
export function emptyCache(): void {
  nativeAddon().releaseMallocCache();
}
