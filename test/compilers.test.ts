/**
 * The native sources are portable C++17: every file compiles without a warning
 * (-Wall -Wextra -Werror) under GCC and clang, for x86-64 and, with the cross compilers,
 * for arm64, each level's engine with its own flags. (MSVC and Apple clang are covered
 * by the release workflow, .github/workflows/prebuild.yml: GCC-only headers, builtins
 * and inline assembly stay behind #if guards, spelled for MSVC in compiler.h and
 * cpu_features.cc.)
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { mapLimited } from '../lib/concurrency';

const root = path.resolve(__dirname, '..');
const nodeHeaders = [path.resolve(process.execPath, '..', '..', 'include', 'node'), '/usr/include/node']
  .find((dir) => fs.existsSync(path.join(dir, 'node_api.h')));
const addonApi = path.dirname(require.resolve('node-addon-api/package.json'));

interface Compiler { name: string; command: string[]; arch: 'x64' | 'arm64' }
const COMPILERS: Compiler[] = [
  { name: 'GCC, x86-64', command: ['g++'], arch: 'x64' },
  { name: 'clang, x86-64', command: ['clang++'], arch: 'x64' },
  { name: 'GCC, arm64', command: ['aarch64-linux-gnu-g++'], arch: 'arm64' },
  { name: 'clang, arm64', command: ['clang++', '--target=aarch64-linux-gnu'], arch: 'arm64' },
];
const available = (c: Compiler) => spawnSync(c.command[0], [...c.command.slice(1), '--version']).status === 0;

const sources = (fs.readdirSync(path.join(root, 'native'), { recursive: true }) as string[])
  .filter((f) => f.endsWith('.cc')).map((f) => path.join('native', f)).sort();

/** The files a build for `arch` compiles, each with its own flags (as binding.gyp gives them). */
function filesFor(arch: 'x64' | 'arm64'): Array<[string, string[]]> {
  const levels: Record<string, string[] | null> = {
    'engine_avx2.cc': arch === 'x64' ? ['-mavx2', '-mfma'] : null,
    'engine_avx512.cc': arch === 'x64' ? ['-mavx512f', '-mavx512dq', '-mavx512bw', '-mavx512vl', '-mavx2', '-mfma'] : null,
    'engine_x86_unavailable.cc': arch === 'x64' ? null : [],
    'engine_neon.cc': arch === 'arm64' ? [] : null,
    'engine_arm_unavailable.cc': arch === 'arm64' ? null : [],
    'glibc_floor.cc': ['-include', path.join(root, 'native', 'glibc_floor.h')],
  };
  return sources.flatMap((file) => {
    const extra = levels[path.basename(file)];
    return extra === null ? [] : [[file, extra ?? []] as [string, string[]]];
  });
}

function compile(c: Compiler, file: string, extra: string[]): Promise<string> {
  const args = [...c.command.slice(1), '-std=c++17', '-fsyntax-only', '-Wall', '-Wextra', '-Werror',
    '-DNAPI_VERSION=8', '-DNAPI_CPP_EXCEPTIONS', '-DNODE_ADDON_API_DISABLE_DEPRECATED', '-DNODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS',
    `-I${nodeHeaders}`, `-I${addonApi}`, ...extra, file];
  return new Promise((resolve) => {
    const child = spawn(c.command[0], args, { cwd: root });
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.on('close', (code) => resolve(code === 0 ? '' : `${file}:\n${output.split('\n').slice(0, 12).join('\n')}`));
  });
}

describe('the native sources compile cleanly (-Wall -Wextra -Werror)', () => {
  test('the node headers and node-addon-api are found', () => {
    expect(nodeHeaders, 'node_api.h next to this Node.js or in /usr/include/node').toBeDefined();
    expect(sources.length).toBeGreaterThan(20);
  });

  for (const c of COMPILERS) {
    const present = available(c);
    if (!present) console.warn(`compilers.test.ts: ${c.name} SKIPPED: ${c.command[0]} is not installed (.ci/run installs it)`);
    test.runIf(present && nodeHeaders !== undefined)(`${c.name}${present ? '' : ' (skipped: not installed)'}`, async () => {
      const files = filesFor(c.arch);
      const failures = (await mapLimited(files, os.availableParallelism(), ([file, extra]) => compile(c, file, extra))).filter(Boolean);
      expect(failures.join('\n\n')).toBe('');
    }, 600_000);
  }
});
