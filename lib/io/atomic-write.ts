/** Writing a file so that a crash never leaves half of it: a temporary name, then a rename. */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

const TEMPORARY_SUFFIX = '.tmp';

/** Writes `bytes` to a temporary file beside `file`, then renames it into place. */
export async function writeFileAtomically(file: string, bytes: Uint8Array): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}${TEMPORARY_SUFFIX}`);
  try {
    await fs.writeFile(temporary, bytes);
    await fs.rename(temporary, file);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }
}

/** Temporary files writeFileAtomically left beside `file` (a process killed mid-write), removed. */
export async function removeTemporaryFiles(file: string): Promise<void> {
  const name = path.basename(file);
  const prefix = `.${name}.`;
  const entries = await fs.readdir(path.dirname(file)).catch(() => [] as string[]);
  await Promise.all(entries
    .filter((entry) => entry.startsWith(prefix) && /^[0-9a-f]{8}$/.test(entry.slice(prefix.length, -TEMPORARY_SUFFIX.length)) && entry.endsWith(TEMPORARY_SUFFIX))
    .map((entry) => fs.rm(path.join(path.dirname(file), entry), { force: true })));
}
