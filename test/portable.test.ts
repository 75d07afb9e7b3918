/**
 * The addon must run on any x86-64: under qemu emulating a Nehalem (SSE4.2, no AVX) it
 * loads, picks the portable kernels and gives the same bits as CONVCORE_ISA=generic does
 * natively; emulating a Haswell (AVX2, no AVX-512) it picks the AVX2 kernels. (It does
 * not compute there: qemu 7.2 emulates a masked load of the last bytes before an unmapped
 * page as a fault, which the CPU does not, so the AVX2 kernels are checked natively, with
 * CONVCORE_ISA=avx2.) Runs where qemu-x86_64 is installed (.ci/run installs it);
 * elsewhere it is reported as skipped.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { expect, test } from 'vitest';

const root = path.resolve(__dirname, '..');
const qemu = spawnSync('qemu-x86_64', ['-version']).status === 0;
const script = `
  const c = require(${JSON.stringify(path.join(root, 'dist'))});
  const x = c.Tensor.randn([2, 8, 12, 12], { seed: 1 });
  const w = c.Tensor.randn([8, 8, 3, 3], { seed: 2 });
  const y = c.conv2d(x, w, null, { padding: 1 });
  const g = c.conv2dBackward(x, w, y, { padding: 1 });
  const small = c.conv2d(c.Tensor.randn([1, 1, 9, 40], { seed: 3 }), c.Tensor.randn([1, 1, 3, 3], { seed: 4 }), null, { padding: 1 });
  const y3 = c.conv3d(c.Tensor.randn([1, 2, 4, 6, 6], { seed: 5 }), c.Tensor.randn([4, 2, 3, 3, 3], { seed: 6 }), null, { padding: 1 });
  const bits = (t) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('base64');
  console.log(JSON.stringify({ isa: c.isa(), y: bits(y), gw: bits(g.gradWeight), gi: bits(g.gradInput), small: bits(small), y3: bits(y3) }));
`;

test.runIf(process.arch === 'x64' && qemu)('on a CPU without AVX the portable kernels load and compute the same bits', () => {
  const emulated = JSON.parse(execFileSync('qemu-x86_64', ['-cpu', 'Nehalem', process.execPath, '-e', script],
    { encoding: 'utf8', timeout: 150_000, stdio: ['ignore', 'pipe', 'ignore'] }));
  const native = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, CONVCORE_ISA: 'generic' } }));
  expect(emulated.isa).toBe('generic');
  expect(emulated).toEqual(native);
}, 200_000);

test.runIf(process.arch === 'x64' && qemu)('on a CPU with AVX2 but no AVX-512 the AVX2 kernels are picked', () => {
  const isa = execFileSync('qemu-x86_64', ['-cpu', 'Haswell', process.execPath, '-e', `console.log(require(${JSON.stringify(path.join(root, 'dist'))}).isa())`],
    { encoding: 'utf8', timeout: 150_000, stdio: ['ignore', 'pipe', 'ignore'] });
  expect(isa.trim()).toBe('avx2');
}, 200_000);
