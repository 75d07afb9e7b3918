#!/usr/bin/env node
/**
 * The `convcore` command. `convcore filter <inputs…> --out <dir> [options]` runs image
 * files through filters (see HELP). Exit status: 0 when every image was written or
 * skipped, 1 when any failed, 2 for a usage error.
 */
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import { loadSafetensors } from '../io/safetensors';
import { type FilterSpec, customKernel, FILTER_NAMES } from '../image/filters';
import { type FilterImagesOptions, type ImageResult, filterImages } from '../image/batch';
import { type SkippedEntry, expandInput } from './glob';
import { readFile } from 'node:fs/promises';

const HELP = `Usage: convcore filter <inputs…> --out <dir> [options]

Runs images through 2-D filters (cross-correlation, as the rest of convcore) with every
core. Inputs are files, directories (the image files directly in them) or quoted globs
('photos/**/*.jpg'). PNG, JPEG, WebP, TIFF and GIF (first frame) are read through sharp.
Outputs keep their names; alpha channels are kept as they are (JPEG has none).

Options:
  -o, --out DIR          output directory (created if needed; required)
  -f, --filter NAME[:ARGS]
                         a named filter; repeat to chain them, applied in order:
                           identity, box:N, gaussian:SIGMA[:SIZE], sobel-x, sobel-y,
                           sobel (gradient magnitude), scharr-x, scharr-y, laplacian,
                           sharpen, emboss, edge (the [1, -1] kernel of d2l)
  -k, --kernel JSON|FILE a custom 2-D kernel: inline JSON ('[[0,-1,0],[-1,5,-1],[0,-1,0]]'),
                         a .json file holding one, or a .safetensors file holding a
                         (1, 1, kh, kw) weight saved from a trained Conv2D (key 'weight');
                         takes its place among the --filter options
  -b, --border MODE      zeros | reflect | replicate | circular (default reflect: PyTorch's
                         'reflect', OpenCV's BORDER_REFLECT_101)
  -g, --grayscale        convert to one grey channel first
      --abs              map |v| (signed filters: edges)
      --offset N         add N before rounding (e.g. --offset 128 for signed filters)
      --format FMT       png | jpeg | webp | tiff | gif (default: the input's format)
      --quality Q        JPEG/WebP quality 1..100 (default 80)
  -c, --concurrency N    images in flight at once (default: the number of cores)
      --max-pixels N     refuse images larger than N pixels, from the header, before
                         decoding (default 268402689, sharp's)
      --max-memory SIZE  memory the images in flight may take together, estimated from
                         each header (e.g. 2G, 512M; default: half of the machine's); an
                         image that alone needs more fails, the others wait for room
      --overwrite        replace existing outputs (never an input)
  -q, --quiet            no progress and no summary (failures are still reported)
  -h, --help             this help

Values are rounded to nearest and clamped to [0, 255]. A file that cannot be read is
reported with the reason and the batch goes on; the exit status is 1 if any failed.
Two inputs that would write the same output name stop the batch before it starts (exit
2); symbolic links inside folders and globs are skipped with the reason.
Example: convcore filter photos/ --out edges/ --filter gaussian:1 --filter sobel`;

class UsageError extends Error {}

const OPTIONS = {
  out: { type: 'string', short: 'o' },
  filter: { type: 'string', short: 'f', multiple: true },
  kernel: { type: 'string', short: 'k', multiple: true },
  border: { type: 'string', short: 'b' },
  grayscale: { type: 'boolean', short: 'g' },
  abs: { type: 'boolean' },
  offset: { type: 'string' },
  format: { type: 'string' },
  quality: { type: 'string' },
  concurrency: { type: 'string', short: 'c' },
  'max-pixels': { type: 'string' },
  'max-memory': { type: 'string' },
  overwrite: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The kernel itself, once customKernel has accepted it (its errors name the option). */
function checked(kernel: unknown, name: string): FilterSpec {
  customKernel(kernel, name);
  return kernel as FilterSpec;
}

async function readKernel(value: string): Promise<FilterSpec> {
  if (value.trim().startsWith('[')) {
    try {
      return checked(JSON.parse(value), '--kernel');
    } catch (error) {
      throw new UsageError(`--kernel: ${error instanceof SyntaxError ? 'not valid JSON' : (error as Error).message}`);
    }
  }
  if (value.endsWith('.safetensors')) {
    const { tensors } = await loadSafetensors(value);
    const weight = tensors.weight ?? Object.values(tensors).find((t) => t.shape.length === 4);
    if (weight === undefined) throw new UsageError(`--kernel ${value}: no 'weight' tensor in the file`);
    return checked(weight, `--kernel ${value}`);
  }
  const text = await readFile(value, 'utf8').catch(() => {
    throw new UsageError(`--kernel ${value}: neither inline JSON nor a readable file`);
  });
  try {
    return checked(JSON.parse(text), `--kernel ${value}`);
  } catch (error) {
    throw new UsageError(`--kernel ${value}: ${error instanceof SyntaxError ? 'not valid JSON' : (error as Error).message}`);
  }
}

function number(name: string, value: string | undefined, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name}: expected ${integer ? 'an integer' : 'a number'}, got '${value}'`);
  }
  return n;
}

/** A byte count such as 2G, 512M, 1.5GiB or 1000000 (binary units). */
function bytesOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)\s*(?:([kmgt])(?:i?b)?|b)?$/i.exec(value.trim());
  const bytes = match ? Math.floor(Number(match[1]) * 1024 ** ' kmgt'.indexOf((match[2] ?? ' ').toLowerCase())) : NaN;
  if (!(bytes >= 1)) throw new UsageError(`--${name}: expected a size such as 2G, 512M or a number of bytes, got '${value}'`);
  return bytes;
}

/** Text on one log line: control characters (a newline in a file name) escaped. */
function printable(text: string): string {
  const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => named[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function progressLine(done: number, total: number, megapixels: number, seconds: number): string {
  const width = 24, filled = Math.round((done / total) * width);
  const bar = '='.repeat(Math.max(0, filled - 1)) + (filled > 0 ? '>' : '') + ' '.repeat(width - filled);
  return `[${bar}] ${done}/${total} images, ${(megapixels / Math.max(seconds, 1e-9)).toFixed(1)} Mpix/s`;
}

async function filterCommand(argv: string[]): Promise<number> {
  const { values, positionals, tokens } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, tokens: true });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (positionals.length === 0) throw new UsageError('no inputs given (files, directories or globs)');
  if (values.out === undefined) throw new UsageError('--out <dir> is required');
  // --filter and --kernel in command-line order.
  const filters: FilterSpec[] = [];
  for (const token of tokens) {
    if (token.kind !== 'option' || token.value === undefined) continue;
    if (token.name === 'filter') filters.push(token.value);
    if (token.name === 'kernel') filters.push(await readKernel(token.value));
  }
  if (filters.length === 0) throw new UsageError(`give at least one --filter (${FILTER_NAMES.join(', ')}) or --kernel`);
  const inputs: string[] = [];
  const passedOver: SkippedEntry[] = [];
  for (const arg of positionals) {
    try {
      const { files, skipped } = await expandInput(arg);
      inputs.push(...files);
      passedOver.push(...skipped);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  if (inputs.length === 0 && passedOver.length === 0) throw new UsageError('the inputs hold no image files');

  const quiet = values.quiet === true;
  const tty = process.stderr.isTTY === true && !quiet;
  let megapixels = 0;
  const start = performance.now();
  const onProgress = (done: number, total: number, r: ImageResult) => {
    megapixels += r.megapixels;
    if (r.status === 'failed') {
      process.stderr.write(`${tty ? '\r\x1b[K' : ''}failed: ${printable(r.input)}: ${printable(r.reason ?? '')}\n`);
    } else if (!quiet && !tty) {
      process.stderr.write(r.status === 'written' ? `${printable(r.input)} -> ${printable(r.output!)}\n`
        : `skipped: ${printable(r.input)}: ${printable(r.reason ?? '')}\n`);
    }
    if (tty) process.stderr.write(`\r${progressLine(done, total, megapixels, (performance.now() - start) / 1000)}`);
  };
  if (!quiet) for (const s of passedOver) process.stderr.write(`skipped: ${printable(s.path)}: ${s.reason}\n`);
  const options: FilterImagesOptions = {
    border: values.border as FilterImagesOptions['border'], grayscale: values.grayscale, abs: values.abs,
    offset: number('offset', values.offset, false), format: values.format as FilterImagesOptions['format'],
    quality: number('quality', values.quality, true), concurrency: number('concurrency', values.concurrency, true),
    maxPixels: number('max-pixels', values['max-pixels'], true), maxMemory: bytesOption('max-memory', values['max-memory']),
    overwrite: values.overwrite, onProgress,
  };
  for (const key of Object.keys(options) as (keyof FilterImagesOptions)[]) if (options[key] === undefined) delete options[key];
  const summary = await filterImages(inputs, values.out, filters, options);
  if (tty) process.stderr.write('\n');
  if (!quiet) {
    // The entries passed over while expanding the inputs count as skipped.
    const images = summary.images + passedOver.length, skipped = summary.skipped + passedOver.length;
    console.log(`${images} images: ${summary.written} written, ${skipped} skipped, ${summary.failed} failed; ` +
      `${summary.megapixels.toFixed(2)} megapixels in ${summary.seconds.toFixed(2)} s ` +
      `(${(summary.megapixels / Math.max(summary.seconds, 1e-9)).toFixed(1)} Mpix/s, ${os.availableParallelism()} cores)`);
  }
  return summary.failed > 0 ? 1 : 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'filter') return await filterCommand(rest);
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      console.log(HELP);
      return command === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown command '${command}' (the command is: convcore filter)`);
  } catch (error) {
    // Usage mistakes and bad options (named convcore errors) get one line, not a stack.
    const known = error instanceof UsageError || (error instanceof Error && 'code' in error && String(error.code).startsWith('CONVCORE_')) ||
      (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'));
    if (!known) throw error;
    process.stderr.write(`convcore: ${(error as Error).message}\nTry 'convcore filter --help'.\n`);
    return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
