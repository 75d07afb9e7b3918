/**
 * The guides (docs/guides/*.md) are true: every `js` block is a complete script, run here
 * as a user would run it (importing 'convcore'), and its output is compared with the
 * block after it: a `text` block exactly; an `output` block line for line with its numbers
 * free (losses and accuracies differ by CPU and ISA level, the wording may not).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

const root = path.resolve(__dirname, '..');
const guides = path.join(root, 'docs', 'guides');
// Inside the package, so that 'convcore' resolves to this checkout (a package's self-reference).
const scratch = fs.mkdtempSync(path.join(root, '.guide-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

interface Block { kind: string; body: string; line: number }

function blocks(markdown: string): Block[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({
    kind: m[1], body: m[2], line: markdown.slice(0, m.index).split('\n').length,
  }));
}

const numbersFree = (text: string) => text.replace(/-?\d+(\.\d+)?(e-?\d+)?/g, '#');

const files = fs.readdirSync(guides).filter((f) => f.endsWith('.md')).sort();

test('there are guides, each with scripts that show their output', () => {
  expect(files).toEqual(['from-dense-to-convolution.md', 'image-filtering.md', 'training.md']);
  for (const file of files) {
    const all = blocks(fs.readFileSync(path.join(guides, file), 'utf8'));
    expect(all.filter((b) => b.kind === 'js').length, file).toBeGreaterThan(1);
  }
});

for (const file of files) {
  describe(file, () => {
    const all = blocks(fs.readFileSync(path.join(guides, file), 'utf8'));
    all.forEach((block, i) => {
      if (block.kind !== 'js') return;
      const shown = all[i + 1]?.kind === 'text' || all[i + 1]?.kind === 'output' ? all[i + 1] : null;
      test(`the script at line ${block.line} runs${shown ? ' and prints what the guide shows' : ''}`, () => {
        const script = path.join(scratch, `${path.basename(file, '.md')}-${block.line}.mjs`);
        fs.writeFileSync(script, block.body);
        const stdout = execFileSync(process.execPath, [script], { cwd: scratch, encoding: 'utf8' });
        if (shown?.kind === 'text') expect(stdout).toBe(shown.body);
        if (shown?.kind === 'output') expect(numbersFree(stdout)).toBe(numbersFree(shown.body));
      }, 120_000);
    });
  });
}
