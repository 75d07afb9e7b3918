/**
 * Input expansion for the CLI: a file, a directory (the image files directly in it) or
 * a glob (`*` and `?` within a name, `**` across directories), sorted; links and special
 * files met on the way are reported, not followed and not dropped silently.
 */
import { type Dirent, promises as fs } from 'node:fs';
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

/** An entry found in a folder or by a glob that is not filtered, and why. */
export interface SkippedEntry {
  path: string;
  reason: string;
}

/** What an argument names: the files to filter, and the entries passed over with the reason. */
export interface Expansion {
  files: string[];
  skipped: SkippedEntry[];
}

// Links found in folders are not followed: they may lead out of the tree or round in a
// cycle. A file named on the command line is used whatever it is.
const LINK_REASON = 'a symbolic link (links inside folders and globs are not followed; name the file itself to filter it)';
const SPECIAL_REASON = 'not a regular file (a FIFO, socket or device)';

/** Sorts a folder's entry into files, folders to walk, or skipped. */
function classify(entry: Dirent, full: string, out: Expansion, dirs: string[] | null): void {
  if (entry.isDirectory()) dirs?.push(full);
  else if (entry.isFile()) out.files.push(full);
  else out.skipped.push({ path: full, reason: entry.isSymbolicLink() ? LINK_REASON : SPECIAL_REASON });
}

async function walk(dir: string, out: Expansion): Promise<void> {
  const dirs: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) classify(entry, path.join(dir, entry.name), out, dirs);
  for (const sub of dirs) await walk(sub, out);
}

/** The files an argument names; a pattern that matches nothing is an error. */
export async function expandInput(arg: string): Promise<Expansion> {
  if (!/[*?]/.test(arg)) {
    const stat = await fs.stat(arg).catch(() => null);
    if (stat === null) throw new Error(`${arg}: no such file or directory`);
    if (!stat.isDirectory()) return { files: [arg], skipped: [] };
    const found: Expansion = { files: [], skipped: [] };
    for (const entry of await fs.readdir(arg, { withFileTypes: true })) {
      if (isImage(entry.name)) classify(entry, path.join(arg, entry.name), found, null);
    }
    return { files: found.files.sort(), skipped: found.skipped.sort((a, b) => (a.path < b.path ? -1 : 1)) };
  }
  const normalized = arg.split(path.sep).join('/');
  // The directory before the first wildcard is where the search starts; the rest of the
  // pattern is matched against paths relative to it.
  const slash = normalized.lastIndexOf('/', normalized.search(/[*?]/));
  const baseDir = slash < 0 ? '.' : normalized.slice(0, slash) || '/';
  const matcher = globToRegExp(normalized.slice(slash + 1));
  const found: Expansion = { files: [], skipped: [] };
  await walk(baseDir, found);
  const matches = (f: string) => matcher.test(path.relative(baseDir, f).split(path.sep).join('/'));
  const result = { files: found.files.filter(matches).sort(), skipped: found.skipped.filter((s) => matches(s.path)) };
  if (result.files.length === 0 && result.skipped.length === 0) throw new Error(`${arg}: no file matches`);
  return result;
}
