// The malloc cache of tensor storage (lib/memory-cache.ts): results reused only once
// unreachable, RSS flat over 10,000 fresh results, transfers, clones and workers intact,
// emptyCache returning memory; its limit's validation and environment variable.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArgumentRangeError, ArgumentTypeError, emptyCache, getCacheLimit, setCacheLimit } from '../lib/index';

const glibc = Boolean((process.report?.getReport() as { header?: { glibcVersionRuntime?: string } })?.header?.glibcVersionRuntime);
const dist = path.join(__dirname, '..', 'dist', 'index.js');

function runNode(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } });
}

describe('malloc cache', () => {
  it.runIf(glibc)('reuses only unreachable results, keeps RSS flat, and keeps transfers, clones and workers intact', () => {
    const run = runNode(['--expose-gc', path.join(__dirname, 'fixtures', 'memory-cache.mjs')]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const r = JSON.parse(run.stdout);
    expect(r.limit).toBe(2 ** 30);
    expect(r.keptIntact).toBe(true);
    // Nearly all dropped results were collected (so their blocks went back to the heap).
    expect(r.collected).toBeGreaterThan(r.dropped * 0.9);
    expect(r.rssGrowthMB).toBeLessThan(32);
    expect(r.rssPeakGrowthMB).toBeLessThan(64);
    expect(r.transferIntact).toBe(true);
    expect(r.workerIntact).toBe(true);
    expect(r.cloneIntact).toBe(true);
    // 400 MB of dropped results stay cached (under the 1 GiB limit) until emptyCache.
    expect(r.rssBeforeEmptyMB - r.rssAfterEmptyMB).toBeGreaterThan(300);
  }, 150_000);

  it.skipIf(glibc)('is off where the C library is not glibc', () => {
    expect(getCacheLimit()).toBe(0);
  });

  it.runIf(glibc)('takes a limit, reports it, and turns off at 0', () => {
    const before = getCacheLimit();
    try {
      setCacheLimit(123456);
      expect(getCacheLimit()).toBe(123456);
      setCacheLimit(0);
      expect(getCacheLimit()).toBe(0);
      emptyCache();
    } finally {
      setCacheLimit(before);
    }
    expect(getCacheLimit()).toBe(before);
  });

  it('rejects a limit that is not a byte count, naming what it expected', () => {
    expect(() => setCacheLimit(-1)).toThrow(ArgumentRangeError);
    expect(() => setCacheLimit(1.5)).toThrow(/setCacheLimit: expected bytes to be an integer number of bytes from 0 to 2147483647, but got 1.5/);
    expect(() => setCacheLimit(2 ** 31)).toThrow(ArgumentRangeError);
    expect(() => setCacheLimit('1' as unknown as number)).toThrow(ArgumentTypeError);
    expect(() => setCacheLimit(Number.NaN)).toThrow(ArgumentRangeError);
  });

  it('reads CONVCORE_CACHE_MB, and refuses one that is not a size', () => {
    const script = `const c = require(${JSON.stringify(dist)}); console.log(c.getCacheLimit());`;
    const off = runNode(['-e', script], { CONVCORE_CACHE_MB: '0' });
    expect(off.stdout.trim()).toBe('0');
    const set = runNode(['-e', script], { CONVCORE_CACHE_MB: '64' });
    expect(set.stdout.trim()).toBe(glibc ? String(64 * 2 ** 20) : '0');
    const bad = runNode(['-e', script], { CONVCORE_CACHE_MB: 'lots' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/ArgumentRangeError: CONVCORE_CACHE_MB: expected the environment variable \(MiB\) to be a non-negative finite number, but got NaN/);
  });
});
