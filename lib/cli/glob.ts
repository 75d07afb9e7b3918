/**
 * Input expansion for the CLI: a file, a directory (the image files directly in it) or
 * a glob (`*` and `?` within a name, `**` across directories), sorted.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { FORMAT_OF_EXTENSION } from '../image/codec';

const isImage = (file: string) => Object.hasOwn(FORMAT_OF_EXTENSION, path.extname(file).toLowerCase());

function globToRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '*' && pattern[i + 1] === '*') {
      // "**/" matches any number of directories, including none.
      out += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += pattern[i + 2] === '/' ? 2 : 1;
    } else if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else out += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

async function walk(dir: string, out: string[]): Promise<void> {
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) await walk(full, out);
    else if (entry.isFile()) out.push(full);
  }
}

/** The files an argument names; a pattern that matches nothing is an error. */
export async function expandInput(arg: string): Promise<string[]> {
  if (!/[*?]/.test(arg)) {
    const stat = await fs.stat(arg).catch(() => null);
    if (stat === null) throw new Error(`${arg}: no such file or directory`);
    if (!stat.isDirectory()) return [arg];
    const entries = await fs.readdir(arg, { withFileTypes: true });
    return entries.filter((e) => e.isFile() && isImage(e.name)).map((e) => path.join(arg, e.name)).sort();
  }
  const normalized = arg.split(path.sep).join('/');
  // The directory before the first wildcard is where the search starts; the rest of the
  // pattern is matched against paths relative to it.
  const slash = normalized.lastIndexOf('/', normalized.search(/[*?]/));
  const baseDir = slash < 0 ? '.' : normalized.slice(0, slash) || '/';
  const matcher = globToRegExp(normalized.slice(slash + 1));
  const files: string[] = [];
  await walk(baseDir, files);
  const matched = files.filter((f) => matcher.test(path.relative(baseDir, f).split(path.sep).join('/')));
  if (matched.length === 0) throw new Error(`${arg}: no file matches`);
  return matched.sort();
}
