/**
 * Argument checking shared by every public function: one-line predicates, one way to
 * describe a value in a message, and one sentence template for every error.
 */
import { ArgumentRangeError, ArgumentTypeError, UnknownOptionError } from './errors';

/** Largest number of float32 elements one tensor may hold (V8's 4 GiB ArrayBuffer limit). */
export const MAX_ELEMENTS = 2 ** 30;

export const is = {
  number: (v: unknown): v is number => typeof v === 'number',
  finite: (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v),
  integer: (v: unknown): v is number => Number.isSafeInteger(v),
  positiveInteger: (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0,
  nonNegativeInteger: (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0,
  plainObject: (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v),
};

/** A short, unambiguous rendering of any value for an error message. */
export function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  switch (typeof value) {
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'string':
      return `'${value.length > 40 ? value.slice(0, 40) + '…' : value}' (a string)`;
    case 'boolean':
      return `${value} (a boolean)`;
    case 'bigint':
      return `${value}n (a bigint)`;
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
  }
  if (Array.isArray(value)) {
    const shown = value.slice(0, 8).map((v) => (typeof v === 'number' ? String(v) : describe(v)));
    return `[${shown.join(', ')}${value.length > 8 ? ', …' : ''}] (an array of ${value.length})`;
  }
  if (ArrayBuffer.isView(value)) {
    const length = (value as unknown as { length?: number }).length ?? value.byteLength;
    return `${value.constructor.name}(${length})`;
  }
  const shape = (value as { shape?: unknown }).shape;
  if (value.constructor?.name === 'Tensor' && Array.isArray(shape)) {
    return `a Tensor of shape [${shape.join(', ')}]`;
  }
  const name = value.constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
}

/** Bytes in MiB or GiB, for messages. */
export function formatBytes(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** The one message template; `actual` is already rendered (see describe). */
export function message(fn: string, argument: string, expected: string, actual: string): string {
  return `${fn}: expected ${argument} to be ${expected}, but got ${actual}`;
}

export function typeError(fn: string, argument: string, expected: string, actual: unknown) {
  return new ArgumentTypeError(message(fn, argument, expected, describe(actual)));
}

export function rangeError(fn: string, argument: string, expected: string, actual: unknown) {
  return new ArgumentRangeError(message(fn, argument, expected, describe(actual)));
}

/** `value` as a non-negative finite number: a type error if it is no number, else a range error. */
export function nonNegativeNumber(fn: string, argument: string, value: unknown): number {
  if (!(is.finite(value) && value >= 0)) {
    throw (typeof value === 'number' ? rangeError : typeError)(fn, argument, 'a non-negative finite number', value);
  }
  return value;
}

/** `value` as a positive integer: a type error if it is no number, else a range error. */
export function positiveInteger(fn: string, argument: string, value: unknown): number {
  if (!is.positiveInteger(value)) throw (typeof value === 'number' ? rangeError : typeError)(fn, argument, 'a positive integer', value);
  return value;
}

/** An optional callback: undefined, or a function. */
export function optionalFunction<F>(fn: string, argument: string, value: unknown): F | undefined {
  if (value !== undefined && typeof value !== 'function') throw typeError(fn, argument, 'a function', value);
  return value as F | undefined;
}

/** An optional boolean: `fallback` when undefined. */
export function booleanOption(fn: string, argument: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw typeError(fn, argument, 'a boolean', value);
  return value;
}


/** Levenshtein distance, for "did you mean" suggestions. */
function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

export function nearest(name: string, candidates: readonly string[]): string {
  let best = candidates[0];
  for (const c of candidates) {
    if (editDistance(name.toLowerCase(), c.toLowerCase()) < editDistance(name.toLowerCase(), best.toLowerCase())) best = c;
  }
  return best;
}

/**
 * Checks that `options` is undefined or a plain object whose keys are all known, and
 * returns it as a record. An unknown key is almost always a typo, so it names the
 * nearest valid one.
 */
export function checkOptions(
  fn: string,
  options: unknown,
  known: readonly string[],
): Record<string, unknown> {
  if (options === undefined || options === null) return {};
  if (!is.plainObject(options)) throw typeError(fn, 'options', 'an object', options);
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new UnknownOptionError(
        `${fn}: unknown option '${key}'; did you mean '${nearest(key, known)}'? ` +
          `Valid options are: ${known.join(', ')}`,
      );
    }
  }
  return options;
}

/** One of a fixed set of strings. */
export function oneOf<T extends string>(
  fn: string,
  argument: string,
  value: unknown,
  allowed: readonly T[],
): T {
  if (typeof value !== 'string') throw typeError(fn, argument, `one of ${quoteList(allowed)}`, value);
  if (!allowed.includes(value as T)) throw rangeError(fn, argument, `one of ${quoteList(allowed)}`, value);
  return value as T;
}

export function quoteList(values: readonly string[]): string {
  return values.map((v) => `'${v}'`).join(', ');
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
