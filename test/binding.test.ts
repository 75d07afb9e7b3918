/**
 * Where no addon loads: one NativeBindingError listing what was searched and how to fix
 * it, while the reference backend keeps working. Run on a copy of dist/ with no build/
 * and no prebuilds/ beside it.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, expect, test } from 'vitest';

const root = path.resolve(__dirname, '..');
const bare = fs.mkdtempSync(path.join(os.tmpdir(), 'convcore-nobinary-'));
fs.cpSync(path.join(root, 'dist'), path.join(bare, 'dist'), { recursive: true });
fs.copyFileSync(path.join(root, 'package.json'), path.join(bare, 'package.json'));
fs.symlinkSync(path.join(root, 'node_modules'), path.join(bare, 'node_modules'));
afterAll(() => fs.rmSync(bare, { recursive: true, force: true }));

function run(script: string, env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, ['-e', script], { cwd: bare, encoding: 'utf8', env: { ...process.env, ...env } });
}

test('importing works; the first native call throws one error that says what to do', () => {
  const result = run(
    "const c = require('./dist');" +
    "try { c.conv2d(c.Tensor.ones([1, 1, 2, 2]), c.Tensor.ones([1, 1, 1, 1])); }" +
    "catch (e) { console.log(e.name); console.log(e.message); }");
  expect(result.status).toBe(0);
  const [name, ...lines] = result.stdout.trim().split('\n');
  expect(name).toBe('NativeBindingError');
  const message = lines.join('\n');
  expect(message).toMatch(new RegExp(`^Could not load the convcore native addon for ${process.platform}-${process.arch}`));
  expect(message).toContain(`Searched: ${path.join(bare, 'build', 'Release')}`);
  expect(message).toContain(path.join(bare, 'prebuilds', `${process.platform}-${process.arch}`));
  expect(message).toContain('Possible solutions:');
  expect(message).toContain('npm rebuild convcore --build-from-source');
  expect(message).toContain("setBackend('reference')");
});

test('a binary that is there but cannot load says why and how to build one for this system', () => {
  const broken = fs.mkdtempSync(path.join(os.tmpdir(), 'convcore-broken-'));
  fs.mkdirSync(path.join(broken, 'build', 'Release'), { recursive: true });
  fs.writeFileSync(path.join(broken, 'build', 'Release', 'convcore.node'), 'not an ELF file at all; '.repeat(20));
  const result = run(
    "const c = require('./dist');" +
    "try { c.conv2d(c.Tensor.ones([1, 1, 2, 2]), c.Tensor.ones([1, 1, 1, 1])); } catch (e) { console.log(e.message); }",
    { CONVCORE_PREBUILD: broken });
  fs.rmSync(broken, { recursive: true, force: true });
  expect(result.stdout).toMatch(/Cause: .*invalid ELF header/);
  expect(result.stdout).toContain(`The binary was built for another platform than ${process.platform}-${process.arch}.`);
  expect(result.stdout).toContain('npm rebuild convcore --build-from-source');
  expect(result.stdout).toContain('its prebuilt binaries: none in this copy');
});

test('CONVCORE_BACKEND=reference computes without any binary', () => {
  const result = run(
    "const c = require('./dist');" +
    "console.log(c.getBackend(), JSON.stringify(c.corr2d(c.Tensor.fromArray([[0,1,2],[3,4,5],[6,7,8]]), c.Tensor.fromArray([[0,1],[2,3]])).toArray()));",
    { CONVCORE_BACKEND: 'reference' });
  expect(result.stderr).toBe('');
  expect(result.stdout.trim()).toBe('reference [[19,25],[37,43]]');
});
