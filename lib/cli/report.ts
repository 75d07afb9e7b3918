/**
 * How `convcore filter` reports a batch, local or on a queue (--wait): one line per
 * image when stderr is not a terminal, a progress bar when it is, failures always, and
 * a summary line at the end.
 */
import * as os from 'node:os';
import type { FilterSummary, ImageResult } from '../image/batch';
import type { SkippedEntry } from './glob';

/** Text on one log line: control characters (a newline in a file name) escaped. */
export function printable(text: string): string {
  const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => named[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** One image's log line: `input -> output`, or `skipped:`/`failed: input: reason`. */
export function resultLine(r: ImageResult): string {
  return r.status === 'written' ? `${printable(r.input)} -> ${printable(r.output!)}` : `${r.status}: ${printable(r.input)}: ${printable(r.reason ?? '')}`;
}

export function progressLine(done: number, total: number, megapixels: number, seconds: number): string {
  const width = 24, filled = Math.round((done / total) * width);
  const bar = '='.repeat(Math.max(0, filled - 1)) + (filled > 0 ? '>' : '') + ' '.repeat(width - filled);
  return `[${bar}] ${done}/${total} images, ${(megapixels / Math.max(seconds, 1e-9)).toFixed(1)} Mpix/s`;
}

export interface BatchReporter {
  onProgress(done: number, total: number, result: ImageResult): void;
  /** Ends the progress bar and prints the summary (the entries passed over count as skipped). */
  finish(summary: FilterSummary, where: string): void;
}

export function batchReporter(quiet: boolean, passedOver: readonly SkippedEntry[]): BatchReporter {
  const tty = process.stderr.isTTY === true && !quiet;
  let megapixels = 0;
  const start = performance.now();
  if (!quiet) for (const s of passedOver) process.stderr.write(`skipped: ${printable(s.path)}: ${s.reason}\n`);
  return {
    onProgress(done, total, r) {
      megapixels += r.megapixels;
      if (r.status === 'failed') process.stderr.write(`${tty ? '\r\x1b[K' : ''}${resultLine(r)}\n`);
      else if (!quiet && !tty) process.stderr.write(`${resultLine(r)}\n`);
      if (tty) process.stderr.write(`\r${progressLine(done, total, megapixels, (performance.now() - start) / 1000)}`);
    },
    finish(summary, where) {
      if (tty) process.stderr.write('\n');
      if (quiet) return;
      const images = summary.images + passedOver.length, skipped = summary.skipped + passedOver.length;
      console.log(`${images} images: ${summary.written} written, ${skipped} skipped, ${summary.failed} failed; ` +
        `${summary.megapixels.toFixed(2)} megapixels in ${summary.seconds.toFixed(2)} s ` +
        `(${(summary.megapixels / Math.max(summary.seconds, 1e-9)).toFixed(1)} Mpix/s, ${where})`);
    },
  };
}

/** The local machine, for the summary line. */
export const localCores = () => `${os.availableParallelism()} cores`;
