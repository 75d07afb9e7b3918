/**
 * Where a batch's outputs go, decided before any image is decoded: the output folder
 * (created, then proved writable by writing a file in it), one output file per input,
 * and the inputs' identities (device and inode), so that no spelling of a path — a
 * symlink, a hard link, `..`, a case-insensitive file system — lets an output replace
 * an input, and no two inputs write one output.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { mapLimited } from '../concurrency';
import { OutputPathError } from '../errors';
import { message } from '../validate';
import { EXTENSION_OF_FORMAT, FORMAT_OF_EXTENSION, type ImageFormat } from './codec';

/** What happens to each input, by index. */
export interface OutputPlan {
  outputs: string[];
  /** For an input listed twice (the same file), the index of its first listing; else -1. */
  firstListing: number[];
  /** The input a file is, if it is one of the batch's inputs (by identity): its path; else null. */
  inputAt(file: string): Promise<string | null>;
}

/** The output path: the input's name in outDir; a requested format changes the extension. */
function outputPath(input: string, outDir: string, format: ImageFormat | undefined): string {
  const parsed = path.parse(input);
  const keep = format === undefined || FORMAT_OF_EXTENSION[parsed.ext.toLowerCase()] === format;
  return path.join(outDir, parsed.name + (keep ? parsed.ext : EXTENSION_OF_FORMAT[format]));
}

/** A file's identity: the same for every path (symlink, hard link) that reaches it. */
async function identity(file: string): Promise<string | null> {
  const stat = await fs.stat(file, { bigint: true }).catch(() => null);
  return stat === null ? null : `${stat.dev}:${stat.ino}`;
}

/** What a failed mkdir or probe means, in words. */
function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const reasons: Record<string, string> = {
    ENOTDIR: 'a path that runs through a file', EEXIST: 'an existing file', EACCES: 'a folder without write permission',
    EPERM: 'a folder without write permission', EROFS: 'a folder on a read-only file system', ENOSPC: 'a folder on a full disk',
  };
  return `${reasons[code ?? ''] ?? 'a folder that cannot be written to'} (${(error as Error).message})`;
}

/**
 * Creates outDir if needed and writes a probe file in it: an output folder that is a
 * file, lies under a file, or cannot be written to is an OutputPathError now, not a
 * failure of every image after it was decoded. Returns whether the folder's file system
 * folds case (then 'X.png' and 'x.png' are one file).
 */
async function prepareFolder(fn: string, outDir: string): Promise<{ foldsCase: boolean }> {
  const fail = (actual: string, cause?: unknown) =>
    new OutputPathError(message(fn, 'outDir', 'a folder that can be created and written to', `'${outDir}': ${actual}`), { cause });
  const stat = await fs.stat(outDir).catch(() => null);
  if (stat !== null && !stat.isDirectory()) throw fail('an existing file');
  await fs.mkdir(outDir, { recursive: true }).catch((error: unknown) => { throw fail(reasonOf(error), error); });
  const probe = path.join(outDir, `.convcore-probe-${randomBytes(6).toString('hex')}`);
  try {
    await (await fs.open(probe, 'wx')).close();
  } catch (error) {
    throw fail(reasonOf(error), error);
  }
  try {
    const upper = path.join(outDir, path.basename(probe).toUpperCase());
    return { foldsCase: await fs.stat(upper).then(() => true, () => false) };
  } finally {
    await fs.rm(probe, { force: true });
  }
}

/**
 * The batch's outputs. An OutputPathError for an unusable folder, or for two different
 * inputs that would write the same output (both named): the batch is refused whole, as
 * writing one would lose the other. The same file listed twice is written once.
 */
export async function planOutputs(fn: string, inputs: readonly string[], outDir: string,
  format: ImageFormat | undefined): Promise<OutputPlan> {
  const { foldsCase } = await prepareFolder(fn, outDir);
  // A stat per input, 64 at a time: no storm of open requests.
  const ids = await mapLimited(inputs, 64, identity);
  const inputOf = new Map<string, number>();
  ids.forEach((id, i) => { if (id !== null && !inputOf.has(id)) inputOf.set(id, i); });
  const outputs = inputs.map((input) => outputPath(input, outDir, format));
  const firstListing = ids.map((id, i) => (id !== null && inputOf.get(id) !== i ? inputOf.get(id)! : -1));
  const byName = new Map<string, number>();
  outputs.forEach((output, i) => {
    // A file listed again is written once; one that cannot be read fails on its own.
    if (firstListing[i] >= 0 || ids[i] === null) return;
    const name = foldsCase ? path.basename(output).normalize('NFC').toLowerCase() : path.basename(output);
    const other = byName.get(name);
    if (other !== undefined) {
      throw new OutputPathError(message(fn, 'inputs', 'files with distinct output names',
        `'${inputs[other]}' and '${inputs[i]}', which would both write '${outputs[other]}'${foldsCase && outputs[other] !== output ? ' (this file system ignores case)' : ''}; rename one, or filter them into separate folders`));
    }
    byName.set(name, i);
  });
  return {
    outputs,
    firstListing,
    async inputAt(file) {
      const id = await identity(file);
      const i = id === null ? undefined : inputOf.get(id);
      return i === undefined ? null : inputs[i];
    },
  };
}
