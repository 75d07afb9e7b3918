#!/usr/bin/env node
/**
 * The `convcore` command. `convcore filter <inputs…> --out <dir> [options]` runs image
 * files through filters (see HELP), here or, with --queue, on `convcore worker`s
 * (queue-commands.ts). Exit status: 0 when every image was written or skipped, 1 when
 * any failed, 2 for a usage error.
 */
import { parseArgs } from 'node:util';
import { loadSafetensors } from '../io/safetensors';
import { type FilterSpec, customKernel, FILTER_NAMES } from '../image/filters';
import { type FilterImagesOptions, filterImages } from '../image/batch';
import { enqueueFilterImages } from '../queue/enqueue';
import { waitForBatch } from '../queue/batch-progress';
import { type SkippedEntry, expandInput } from './glob';
import { UsageError, bytesOption, number } from './options';
import { statusCommand, workerCommand } from './queue-commands';
import { batchReporter, localCores } from './report';
import { readFile } from 'node:fs/promises';

const HELP = `Usage: convcore filter <inputs…> --out <dir> [options]
       convcore filter <inputs…> --out <dir> [options] --queue redis://HOST:PORT [--wait]
       convcore worker --queue redis://HOST:PORT [options]     (convcore worker --help)
       convcore status --queue redis://HOST:PORT [BATCH]        (convcore status --help)

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
      --queue URL        enqueue the batch on Redis for 'convcore worker's (on machines that
                         see the same files) and print its id; --concurrency and
                         --max-memory are then the workers' options
      --wait             with --queue: show the whole batch's progress, then its summary
      --attempts N       with --queue: tries per image before it fails (default 3)
  -q, --quiet            no progress and no summary (failures are still reported)
  -h, --help             this help

Values are rounded to nearest and clamped to [0, 255]. A file that cannot be read is
reported with the reason and the batch goes on; the exit status is 1 if any failed.
Two inputs that would write the same output name stop the batch before it starts (exit
2); symbolic links inside folders and globs are skipped with the reason.
Example: convcore filter photos/ --out edges/ --filter gaussian:1 --filter sobel`;

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
  queue: { type: 'string' },
  wait: { type: 'boolean' },
  attempts: { type: 'string' },
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
  const reporter = batchReporter(quiet, passedOver);
  const filterOptions: FilterImagesOptions = {
    border: values.border as FilterImagesOptions['border'], grayscale: values.grayscale, abs: values.abs,
    offset: number('offset', values.offset, false), format: values.format as FilterImagesOptions['format'],
    quality: number('quality', values.quality, true), maxPixels: number('max-pixels', values['max-pixels'], true),
    overwrite: values.overwrite,
  };
  if (values.queue !== undefined) return queueBatch(inputs, values.out, filters, defined(filterOptions), values, quiet);
  for (const name of ['wait', 'attempts'] as const) if (values[name] !== undefined) throw new UsageError(`--${name} needs --queue`);
  const summary = await filterImages(inputs, values.out, filters, defined({
    ...filterOptions, concurrency: number('concurrency', values.concurrency, true),
    maxMemory: bytesOption('max-memory', values['max-memory']), onProgress: reporter.onProgress,
  }));
  reporter.finish(summary, localCores());
  return summary.failed > 0 ? 1 : 0;
}

/** The options without the keys left undefined (the API checks what is present). */
function defined<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as T;
}

/** filter --queue: the batch as jobs for `convcore worker`s; with --wait, its progress and summary as a local run's. */
async function queueBatch(inputs: string[], out: string, filters: FilterSpec[], options: FilterImagesOptions,
  values: { queue?: string; wait?: boolean; attempts?: string; concurrency?: string; 'max-memory'?: string }, quiet: boolean): Promise<number> {
  for (const name of ['concurrency', 'max-memory'] as const) {
    if (values[name] !== undefined) throw new UsageError(`--${name} is set on each worker (convcore worker --${name}), not with --queue`);
  }
  const queue = values.queue!;
  const attempts = number('attempts', values.attempts, true);
  const batch = await enqueueFilterImages(inputs, out, filters, { ...options, queue, ...(attempts !== undefined && { attempts }) });
  // The id goes to stdout alone when not waiting, for scripts: id=$(convcore filter … --queue …).
  if (!values.wait) {
    console.log(batch.batchId);
    if (!quiet) process.stderr.write(`enqueued ${batch.images} images as batch ${batch.batchId}; follow it with: convcore status --queue ${queue} ${batch.batchId}\n`);
    return 0;
  }
  if (!quiet) process.stderr.write(`batch ${batch.batchId}: ${batch.images} images enqueued; waiting for the workers\n`);
  const reporter = batchReporter(quiet, []);
  const summary = await waitForBatch(batch.batchId, { queue, onProgress: reporter.onProgress });
  reporter.finish(summary, `batch ${batch.batchId}`);
  return summary.failed > 0 ? 1 : 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'filter') return await filterCommand(rest);
    if (command === 'worker') return await workerCommand(rest);
    if (command === 'status') return await statusCommand(rest);
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      console.log(HELP);
      return command === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown command '${command}' (the commands are: convcore filter, worker, status)`);
  } catch (error) {
    // Usage mistakes and bad options (named convcore errors) get one line, not a stack.
    const known = error instanceof UsageError || (error instanceof Error && 'code' in error && String(error.code).startsWith('CONVCORE_')) ||
      (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'));
    if (!known) throw error;
    const helpOf = ['filter', 'worker', 'status'].includes(command) ? command : 'filter';
    process.stderr.write(`convcore: ${(error as Error).message}\nTry 'convcore ${helpOf} --help'.\n`);
    return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
