/**
 * The soak (test/soak/soak.mjs) in its short CI form, in a child process with
 * --expose-gc: 20,000 steps of the book's layer and 500 LeNet steps, heap, ArrayBuffer
 * memory, RSS and active handles flat after warm-up. npm run soak runs the full one
 * (100,000 and 2,000 steps).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { expect, test } from 'vitest';

test('soak (short): memory and handles stay flat over thousands of training steps', () => {
  const result = spawnSync(process.execPath, ['--expose-gc', path.join(__dirname, 'soak', 'soak.mjs'), '--quick'],
    { encoding: 'utf8', timeout: 120_000 });
  expect(result.stderr).toBe('');
  expect(result.stdout).toMatch(/^book layer: 20000 steps; .* -> flat$/m);
  expect(result.stdout).toMatch(/^LeNet: 500 steps; .* -> flat$/m);
  expect(result.status).toBe(0);
}, 150_000);
