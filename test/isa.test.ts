/**
 * Run-time ISA dispatch: AVX2 where the CPU has it, the portable build when
 * CONVCORE_ISA=generic, and a portable build that really is portable (no AVX code, no
 * AVX2-compiled function the linker could share with it).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { getNumThreads, isa } from '../lib/index';

const root = path.resolve(__dirname, '..');
const objects = path.join(root, 'build', 'Release', 'obj.target');
const genericObject = path.join(objects, 'convcore', 'native', 'kernels', 'engine_generic.o');
const avx2Object = path.join(objects, 'convcore_avx2', 'native', 'kernels', 'engine_avx2.o');
const cpuHasAvx2 = fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n').some((l) => l.startsWith('flags') && / avx2 /.test(l + ' ') && / fma /.test(l + ' '));

function childIsa(env: NodeJS.ProcessEnv): string {
  const script = "console.log(require('./dist').isa(), require('./dist').getNumThreads())";
  return execFileSync(process.execPath, ['-e', script], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' }).trim();
}

describe('instruction-set dispatch', () => {
  test('the best ISA by default; CONVCORE_ISA=generic forces the portable kernels', () => {
    expect(isa()).toBe(process.env.CONVCORE_ISA === 'generic' || !cpuHasAvx2 ? 'generic' : 'avx2');
    expect(childIsa({ CONVCORE_ISA: 'generic' }).split(' ')[0]).toBe('generic');
    expect(childIsa({ CONVCORE_ISA: 'avx2' }).split(' ')[0]).toBe(cpuHasAvx2 ? 'avx2' : 'generic');
  });

  test('CONVCORE_NUM_THREADS sets the default thread count', () => {
    expect(childIsa({ CONVCORE_NUM_THREADS: '1' }).split(' ')[1]).toBe('1');
    expect(childIsa({ CONVCORE_NUM_THREADS: '3' }).split(' ')[1]).toBe('3');
    expect(getNumThreads()).toBeGreaterThanOrEqual(1);
  });

  const haveObjects = fs.existsSync(genericObject) && fs.existsSync(avx2Object);
  const haveTools = spawnSync('objdump', ['--version']).status === 0 && spawnSync('nm', ['--version']).status === 0;
  test.runIf(process.platform === 'linux' && process.arch === 'x64')('the build under test is the x64 node-gyp build', () => {
    expect(haveObjects, `expected ${genericObject} and ${avx2Object} (npm install builds them)`).toBe(true);
    expect(haveTools, 'objdump and nm (binutils) are needed to inspect the build').toBe(true);
  });

  test.runIf(haveObjects && haveTools)('the portable kernels contain no AVX instruction', () => {
    const code = execFileSync('objdump', ['-d', '--no-show-raw-insn', genericObject], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const vex = code.split('\n').filter((line) => /%ymm|\tv[a-z]+ /.test(line));
    expect(vex.slice(0, 5)).toEqual([]);
  });

  test.runIf(haveObjects && haveTools)('every out-of-line function built with AVX2 is private to the AVX2 kernels', () => {
    const symbols = execFileSync('nm', ['-C', avx2Object], { encoding: 'utf8' }).split('\n');
    // Weak (W) symbols are merged by the linker: one built with AVX2 could replace the
    // portable build's copy. Only the avx2 namespace's own may exist.
    const shared = symbols.filter((s) => / W /.test(s) && !s.includes('convcore::avx2'));
    expect(shared).toEqual([]);
  });
});
