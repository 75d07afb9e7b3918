/**
 * The generated API reference (docs/reference, `npm run docs`: TypeDoc over the TSDoc
 * comments) is up to date and deterministic: generating it again into a temporary folder
 * gives exactly the committed files. A change to an exported signature or its comment
 * without `npm run docs` fails here.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, test } from 'vitest';

const root = path.resolve(__dirname, '..');

function files(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const entry of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const full = path.join(dir, entry);
    if (fs.statSync(full).isFile()) found.set(entry, fs.readFileSync(full, 'utf8'));
  }
  return found;
}

test('docs/reference is what npm run docs generates, file for file', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'convcore-reference-'));
  try {
    execFileSync(process.execPath, [path.join(root, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--options', 'docs/typedoc.json', '--out', out, '--logLevel', 'Warn'],
      { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const generated = files(out), committed = files(path.join(root, 'docs', 'reference'));
    expect([...generated.keys()].sort()).toEqual([...committed.keys()].sort());
    expect(generated.size).toBeGreaterThan(100);
    const stale = [...generated].filter(([name, text]) => committed.get(name) !== text).map(([name]) => name);
    expect(stale, 'run npm run docs').toEqual([]);
    // The reference documents what users call, with its comments.
    expect(committed.get(path.join('functions', 'conv2d.md'))).toMatch(/conv2d/);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}, 120_000);
