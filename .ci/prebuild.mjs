// npm run prebuild: every prebuilt binary this machine can make, in prebuildify's layout
// (prebuilds/<platform>-<arch>/convcore[.glibc].node), which node-gyp-build loads at
// install and at require. On glibc Linux: linux-x64 and, where the cross compiler is
// installed (apt-get install g++-aarch64-linux-gnu), linux-arm64; elsewhere (the release
// workflow's macOS, Windows and Alpine runners) the host's platform. Each is built in a
// temporary copy of the tree, so build/ stays the developer's; glibc ones as portable
// builds (CONVCORE_PORTABLE=1: native/glibc_floor.h), stripped, then checked: no symbol
// version above glibc 2.28 or GCC 8's libstdc++ (GLIBCXX_3.4.25, CXXABI_1.3.11).
//   node .ci/prebuild.mjs [--arch x64,arm64]
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

const root = path.resolve(import.meta.dirname, '..');
const { values } = parseArgs({ options: { arch: { type: 'string' } } });

/** The version floors a Linux prebuild may need, and what needs each. */
export const FLOORS = { GLIBC: '2.28', GLIBCXX: '3.4.25', CXXABI: '1.3.11' };

const TOOLCHAINS = {
  x64: os.arch() === 'x64' ? { prefix: '' } : { prefix: 'x86_64-linux-gnu-' },
  arm64: os.arch() === 'arm64' ? { prefix: '' } : { prefix: 'aarch64-linux-gnu-' },
};
const has = (command) => spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;

/** The version needs of a Linux binary above the floors, as "GLIBC_2.34 (pthread_once)". */
export function needsAboveFloors(binary, objdump = 'objdump') {
  const table = execFileSync(objdump, ['-T', binary], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const newer = (a, b) => {
    const x = a.split('.').map(Number), y = b.split('.').map(Number);
    for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
    return false;
  };
  return table.split('\n').flatMap((line) => {
    const match = /\((GLIBC|GLIBCXX|CXXABI)_([\d.]+)\)\s+(\S+)$/.exec(line.trim());
    return match && newer(match[2], FLOORS[match[1]]) ? [`${match[1]}_${match[2]} (${match[3]})`] : [];
  });
}

// Alpine and other musl systems report no glibc version.
const musl = process.platform === 'linux' && !process.report.getReport().header.glibcVersionRuntime;

function build(arch) {
  const linux = process.platform === 'linux' && !musl;
  const { prefix } = TOOLCHAINS[arch] ?? { prefix: '' };
  if (linux && prefix && !has(`${prefix}g++`)) {
    console.error(`skipped linux-${arch}: no ${prefix}g++ (apt-get install g++-${prefix.slice(0, -1) || 'multilib'})`);
    return null;
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `convcore-prebuild-${arch}-`));
  for (const entry of ['package.json', 'binding.gyp', 'native']) fs.cpSync(path.join(root, entry), path.join(work, entry), { recursive: true });
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(work, 'node_modules'), 'junction');
  const env = { ...process.env, CONVCORE_PORTABLE: linux ? '1' : '0' };
  if (prefix) Object.assign(env, { CC: `${prefix}gcc`, CXX: `${prefix}g++`, LINK: `${prefix}g++`, AR: `${prefix}ar` });
  const nodeGyp = path.join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  // Run outside npm, node-gyp would not see npm's nodedir setting and would download headers.
  if (!env.npm_config_nodedir) {
    const configured = spawnSync('npm', ['config', 'get', 'nodedir'], { encoding: 'utf8' }).stdout?.trim();
    if (configured && configured !== 'undefined' && configured !== 'null') env.npm_config_nodedir = configured;
  }
  console.error(`building ${process.platform}-${arch}${linux ? ' (portable: glibc 2.28+)' : ''} in ${work}`);
  execFileSync(process.execPath, [nodeGyp, 'rebuild', `--arch=${arch}`, '-j', 'max'], { cwd: work, env, stdio: ['ignore', 'ignore', 'inherit'] });
  const built = path.join(work, 'build', 'Release', 'convcore.node');
  if (linux) execFileSync(`${prefix}strip`, ['--strip-unneeded', built]);
  const folder = path.join(root, 'prebuilds', `${process.platform}-${arch}`);
  fs.mkdirSync(folder, { recursive: true });
  // Tagged by C library on Linux: node-gyp-build offers each only to its own (glibc or musl).
  const target = path.join(folder, linux ? 'convcore.glibc.node' : musl ? 'convcore.musl.node' : 'convcore.node');
  fs.copyFileSync(built, target);
  fs.rmSync(work, { recursive: true, force: true });
  if (linux) {
    const above = needsAboveFloors(target, has(`${prefix}objdump`) ? `${prefix}objdump` : 'objdump');
    if (above.length > 0) throw new Error(`${target} needs versions above the floors ${JSON.stringify(FLOORS)}: ${above.join(', ')}`);
  }
  console.error(`wrote ${path.relative(root, target)} (${(fs.statSync(target).size / 1024).toFixed(0)} KiB)`);
  return target;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arches = values.arch ? values.arch.split(',') : process.platform === 'linux' && !musl ? ['x64', 'arm64'] : [os.arch()];
  const written = arches.map(build).filter(Boolean);
  if (written.length === 0) throw new Error('no prebuild could be made on this machine');
}
