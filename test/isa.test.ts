/**
 * Run-time ISA dispatch: on x86, AVX-512 where the CPU has it, else AVX2, else the
 * portable build; on arm64, NEON; CONVCORE_ISA picks another level the CPU has; the
 * portable build really is portable (no AVX code), and no function compiled for AVX2 or
 * AVX-512 can be shared with another build. (On arm64, NEON is part of the architecture:
 * its build may share code with the portable one.)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { nativeAddon } from '../lib/binding';
import { getNumThreads, isa } from '../lib/index';
import { defaultThreadCount, nodeCommand } from './helpers';

const root = path.resolve(__dirname, '..');
const objects = path.join(root, 'build', 'Release', 'obj.target');
const genericObject = path.join(objects, 'convcore_kernels', 'native', 'kernels', 'engine_generic.o');
const avx2Object = path.join(objects, 'convcore_avx2', 'native', 'kernels', 'engine_avx2.o');
const avx512Object = path.join(objects, 'convcore_avx512', 'native', 'kernels', 'engine_avx512.o');
const arm64 = process.arch === 'arm64';
// Under qemu-user, /proc/cpuinfo describes the host: arm64's levels do not come from it.
const cpuinfo = !arm64 && fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
const flags = (cpuinfo.split('\n').find((l) => l.startsWith('flags')) ?? '') + ' ';
const has = (...names: string[]) => names.every((n) => flags.includes(` ${n} `));
const cpuHasAvx2 = has('avx2', 'fma');
const cpuHasAvx512 = cpuHasAvx2 && has('avx512f', 'avx512dq', 'avx512bw', 'avx512vl');
const levels = arm64 ? ['generic', 'neon'] : cpuHasAvx512 ? ['generic', 'avx2', 'avx512'] : cpuHasAvx2 ? ['generic', 'avx2'] : ['generic'];
const best = levels.at(-1)!;
const cpuField = (name: string) => cpuinfo.match(new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm'))?.[1];
const cpuKind = `${cpuField('vendor_id') ?? 'unknown vendor'} family ${cpuField('cpu family') ?? '?'}`;
const zen4 = cpuField('vendor_id') === 'AuthenticAMD' && cpuField('cpu family') === '25' && cpuHasAvx512;

function childIsa(env: NodeJS.ProcessEnv): string {
  const script = "console.log(require('./dist').isa(), require('./dist').getNumThreads())";
  const [command, ...args] = nodeCommand();
  return execFileSync(command, [...args, '-e', script], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' }).trim();
}

describe('instruction-set dispatch', () => {
  test('the best ISA by default; CONVCORE_ISA picks another the CPU has (one it lacks falls back to the best)', () => {
    const env = process.env.CONVCORE_ISA;
    expect(isa()).toBe(env !== undefined && levels.includes(env) ? env : best);
    for (const asked of ['generic', 'avx2', 'avx512', 'neon', 'sse9']) {
      expect(childIsa({ CONVCORE_ISA: asked }).split(' ')[0], `CONVCORE_ISA=${asked}`).toBe(levels.includes(asked) ? asked : best);
    }
  });

  test.runIf(arm64)('arm64 runs its NEON kernels', () => {
    expect(childIsa({ CONVCORE_ISA: '' }).split(' ')[0]).toBe('neon');
  });

  test.skipIf(!cpuHasAvx512)(`AVX-512 is used where the CPU has it${cpuHasAvx512 ? '' : ' (skipped: this CPU has no AVX-512 F/DQ/BW/VL)'}`, () => {
    expect(childIsa({ CONVCORE_ISA: '' }).split(' ')[0]).toBe('avx512');
  });

  // The dispatch table keeps the GEMM paths on AVX2 where 512-bit FMAs run as two halves.
  test.runIf(cpuinfo !== '')(`512-bit FMAs are taken as split in two on AMD family 25 (Zen 4) alone (this CPU: ${cpuKind})`, () => {
    expect(nativeAddon().splitsAvx512()).toBe(zen4);
  });

  test('CONVCORE_NUM_THREADS sets the default thread count', () => {
    expect(childIsa({ CONVCORE_NUM_THREADS: '1' }).split(' ')[1]).toBe('1');
    expect(childIsa({ CONVCORE_NUM_THREADS: '3' }).split(' ')[1]).toBe('3');
    expect(getNumThreads()).toBe(defaultThreadCount());
  });

  const haveObjects = [genericObject, avx2Object, avx512Object].every((o) => fs.existsSync(o));
  const haveTools = spawnSync('objdump', ['--version']).status === 0 && spawnSync('nm', ['--version']).status === 0;
  test.runIf(process.platform === 'linux' && process.arch === 'x64')('the build under test is the x64 node-gyp build', () => {
    expect(haveObjects, `expected ${genericObject}, ${avx2Object} and ${avx512Object} (npm install builds them)`).toBe(true);
    expect(haveTools, 'objdump and nm (binutils) are needed to inspect the build').toBe(true);
  });

  test.runIf(!arm64 && haveObjects && haveTools)('the portable kernels contain no AVX instruction', () => {
    const code = execFileSync('objdump', ['-d', '--no-show-raw-insn', genericObject], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const vex = code.split('\n').filter((line) => /%ymm|\tv[a-z]+ /.test(line));
    expect(vex.slice(0, 5)).toEqual([]);
  });

  test.runIf(!arm64 && haveObjects && haveTools).each([['AVX2', avx2Object, 'avx2'], ['AVX-512', avx512Object, 'avx512']])(
    'every out-of-line function built with %s is private to its kernels', (_name, object, namespace) => {
      const symbols = execFileSync('nm', ['-C', object], { encoding: 'utf8' }).split('\n');
      // Weak (W) symbols are merged by the linker: one built with AVX2 or AVX-512 could
      // replace another build's copy. Only the ISA namespace's own may exist.
      const shared = symbols.filter((s) => / W /.test(s) && !s.includes(`convcore::${namespace}`));
      expect(shared).toEqual([]);
    });
});
