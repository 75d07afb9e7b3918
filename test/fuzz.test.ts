/**
 * The property-based fuzz (test/fuzz/fuzz.mjs) in a child process: a crash there (a
 * signal or an abort) fails this test with the seed that reproduces it
 * (npm run fuzz -- --seed S). FUZZ_SEED fixes the seed; FUZZ_RUNS the run count.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { expect, test } from 'vitest';

test('fuzz: 10,000 invalid calls, 10,000 one-wrong calls and 2,500 parity cases, no crash', () => {
  const runs = process.env.FUZZ_RUNS ?? '10000';
  const args = [path.join(__dirname, 'fuzz', 'fuzz.mjs'), '--runs', runs];
  if (process.env.FUZZ_SEED) args.push('--seed', process.env.FUZZ_SEED);
  const result = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 240_000 });
  const seed = /seed (\d+)/.exec(result.stdout)?.[1] ?? 'unknown';
  const report = `seed ${seed} (rerun: npm run fuzz -- --runs ${runs} --seed ${seed})\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-3000)}`;
  expect(result.signal, `the fuzz process was killed by a signal: ${report}`).toBeNull();
  expect(result.status, `the fuzz failed: ${report}`).toBe(0);
  expect(result.stdout).toMatch(new RegExp(`invalid calls: ${runs} passed`));
  expect(result.stdout).toMatch(/parity: \d+ passed, \d+ of them valid and compared/);
}, 300_000);
