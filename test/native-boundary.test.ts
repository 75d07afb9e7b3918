/**
 * The shipped addon holds the library's methods only; the benchmark's measurements (FMA
 * peak, copy bandwidth) live in a separate addon built in a checkout
 * (native/bench/bench_addon.cc → build/Release/convcore_bench.node).
 */
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { nativeAddon } from '../lib/binding';

const root = path.resolve(__dirname, '..');
const benchBinary = path.join(root, 'build', 'Release', 'convcore_bench.node');

test('the shipped addon exports each domain\'s methods and no benchmark entry point', () => {
  const names = Object.keys(nativeAddon()).sort();
  expect(names).not.toContain('fmaPeak');
  expect(names).not.toContain('parallelCopy');
  // One name per method in native/bindings/*.cc (defineMethods) and the paramBlocks table.
  const declared = fs.readdirSync(path.join(root, 'native', 'bindings')).filter((f) => f.endsWith('.cc'))
    .flatMap((f) => [...fs.readFileSync(path.join(root, 'native', 'bindings', f), 'utf8').matchAll(/^ {6}\{"(\w+)", \w+\},$/gm)].map((m) => m[1]));
  expect(declared.length).toBeGreaterThan(30);
  expect(names).toEqual([...declared, 'paramBlocks'].sort());
});

describe('the benchmark addon (built by npm install in a checkout)', () => {
  const bench = () => createRequire(__filename)(benchBinary) as {
    fmaPeak(call: { seconds: number; threads: number; isa?: string }): number;
    parallelCopy(call: { src: Float32Array; dst: Float32Array; threads: number }): void;
  };

  test('measures a positive FMA peak on the threads asked for, and refuses a bad count or level', () => {
    const peak = bench().fmaPeak({ seconds: 0.05, threads: 1, isa: 'generic' });
    expect(peak).toBeGreaterThan(0.5);
    expect(Number.isFinite(peak)).toBe(true);
    expect(() => bench().fmaPeak({ seconds: 0.05, threads: 0 })).toThrow('threads must be an integer in 1..1024');
    expect(() => bench().fmaPeak({ seconds: 20, threads: 1 })).toThrow('seconds must be in (0, 10]');
    expect(() => bench().fmaPeak({ seconds: 0.05, threads: 1, isa: 'sse9' })).toThrow('no such ISA on this CPU: sse9');
  });

  test('copies every element on two threads, and refuses buffers of different lengths', () => {
    const src = Float32Array.from({ length: 100_003 }, (_, i) => Math.sin(i) * 1e3);
    const dst = new Float32Array(src.length);
    bench().parallelCopy({ src, dst, threads: 2 });
    expect(Buffer.from(dst.buffer).equals(Buffer.from(src.buffer))).toBe(true);
    expect(() => bench().parallelCopy({ src, dst: new Float32Array(7), threads: 2 })).toThrow(/dst/);
  });
});
