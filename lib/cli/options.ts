/** The command line's own errors and value parsers (numbers, sizes). */

/** A mistake in the command line: printed as one line with a hint, exit status 2. */
export class UsageError extends Error {}

export function number(name: string, value: string | undefined, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name}: expected ${integer ? 'an integer' : 'a number'}, got '${value}'`);
  }
  return n;
}

/** A byte count such as 2G, 512M, 1.5GiB or 1000000 (binary units). */
export function bytesOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)\s*(?:([kmgt])(?:i?b)?|b)?$/i.exec(value.trim());
  const bytes = match ? Math.floor(Number(match[1]) * 1024 ** ' kmgt'.indexOf((match[2] ?? ' ').toLowerCase())) : NaN;
  if (!(bytes >= 1)) throw new UsageError(`--${name}: expected a size such as 2G, 512M or a number of bytes, got '${value}'`);
  return bytes;
}
