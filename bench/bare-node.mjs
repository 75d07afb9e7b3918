// What Node itself charges for fresh results, with no convcore loaded: runs
// allocation-floor.mjs in a child process under the same malloc settings as the library's
// cache (lib/memory-cache.ts), so that the two allocate alike.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { getCacheLimit } from 'convcore';

const floorScript = fileURLToPath(new URL('./allocation-floor.mjs', import.meta.url));

/**
 * What allocating and writing `count` buffers of `bytes` adds to a call of `kernelMs`:
 * { overheadMs, gcMs } per call (gcMs: V8's collection pauses).
 */
export function bareNodeCost(bytes, kernelMs, busy, count = 1) {
  const limit = getCacheLimit();
  const env = limit > 0 ? { ...process.env, MALLOC_MMAP_MAX_: '0', MALLOC_TRIM_THRESHOLD_: String(limit) } : process.env;
  const args = [floorScript, String(bytes), String(kernelMs), busy ? '1' : '0', String(count)];
  return JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', env }));
}
