/**
 * filterImage and filterImages: decode → filters → encode, over many files with a
 * bounded number in flight, so that decoding and encoding (sharp, on libuv's threads)
 * overlap with the convolutions (convcore's pool). Nothing is lost: the outputs are
 * planned before any image is decoded (output-plan.ts: a folder that works, one output
 * per input, no output that is an input under another name); a file that fails is
 * reported with its path and reason and the batch goes on; outputs are written to a
 * temporary name and renamed; existing outputs are kept unless `overwrite`; images in
 * flight stay within a memory budget (memory-budget.ts).
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import { bytePool, floatPool } from '../alloc';
import { ArgumentRangeError, ResourceLimitError } from '../errors';
import { mapLimited } from '../concurrency';
import { writeFileAtomically } from '../io/atomic-write';
import {
  booleanOption, checkOptions, formatBytes, is, message, oneOf, optionalFunction, positiveInteger, rangeError, typeError,
} from '../validate';
import { backend } from '../backend';
import { type ImageFormat, OUTPUT_FORMATS, type RawImage, decodeSource, encodePixels, extract, planesToPixels, readMapping } from './codec';
import { borderMap } from '../border-map';
import { BORDER_MODES, type BorderMode, type FilterThread, applyFilters, elementColumnMap } from './filter-engine';
import { type Filter, type FilterSpec, parseFilter } from './filters';
import { ByteBudget, defaultMemoryBudget, imageBytes } from './memory-budget';
import { planOutputs } from './output-plan';
import { loadSharp } from './sharp';
import { type ImageSource, maxPixelsOption, openImage } from './source';

export interface FilterOptions {
  /** How the image continues past its edges (default 'reflect', PyTorch's = OpenCV's BORDER_REFLECT_101). */
  border?: BorderMode;
  /** Convert to grey first (default false). */
  grayscale?: boolean;
  /** |v| before rounding (signed filters such as edges). */
  abs?: boolean;
  /** Added before rounding (e.g. 128). */
  offset?: number;
  /** Round to nearest (default true) or truncate. */
  round?: boolean;
  /** Output format (default: the input's). */
  format?: ImageFormat;
  /** JPEG/WebP quality 1..100. */
  quality?: number;
  /** Refuse images of more pixels than this, from the header, before decoding (default 268,402,689: sharp's). */
  maxPixels?: number;
}

export interface FilterImagesOptions extends FilterOptions {
  /** Images in flight at once (default: the number of cores). */
  concurrency?: number;
  /**
   * Bytes the images in flight may take together, estimated from each header (default:
   * half of the machine's or container's memory). An image that alone needs more fails
   * with the reason; the others wait for room.
   */
  maxMemory?: number;
  /** Replace existing output files (default false). */
  overwrite?: boolean;
  /** Called after each image (done, total, the image's result). */
  onProgress?: (done: number, total: number, result: ImageResult) => void;
}

export interface ImageResult {
  input: string;
  output: string | null;
  status: 'written' | 'skipped' | 'failed';
  /** Why it failed or was skipped. */
  reason?: string;
  megapixels: number;
}

export interface FilterSummary {
  images: number;
  written: number;
  skipped: number;
  failed: number;
  megapixels: number;
  seconds: number;
  results: ImageResult[];
}

export const FILTER_OPTIONS = ['border', 'grayscale', 'abs', 'offset', 'round', 'format', 'quality', 'maxPixels'] as const;

export interface Plan {
  filters: Filter[];
  border: BorderMode;
  grayscale: boolean;
  mapping: ReturnType<typeof readMapping>;
  format: ImageFormat | undefined;
  quality: number | undefined;
  maxPixels: number;
}

/** The filters and options of a filterImage(s) call, checked. */
export function planFilters(fn: string, filters: unknown, o: Record<string, unknown>): Plan {
  // One kernel is itself an array (of rows of numbers): tell it from a list of specs.
  const oneKernel = Array.isArray(filters) && Array.isArray(filters[0]) && typeof filters[0][0] === 'number';
  const list = Array.isArray(filters) && !oneKernel ? filters : [filters];
  if (list.length === 0) throw rangeError(fn, 'filters', 'at least one filter', filters);
  return {
    filters: list.map((f) => parseFilter(f as FilterSpec)),
    border: oneOf(fn, 'options.border', o.border ?? 'reflect', BORDER_MODES),
    grayscale: booleanOption(fn, 'options.grayscale', o.grayscale, false),
    mapping: { ...readMapping(fn, o), clamp: true },
    format: o.format === undefined ? undefined : oneOf(fn, 'options.format', o.format, OUTPUT_FORMATS),
    quality: o.quality as number | undefined,
    maxPixels: maxPixelsOption(fn, o),
  };
}

function outputFormat(p: Plan, inputFormat: string): ImageFormat {
  if (p.format !== undefined) return p.format;
  if ((OUTPUT_FORMATS as readonly string[]).includes(inputFormat)) return inputFormat as ImageFormat;
  throw new ArgumentRangeError(message('filterImage', 'options.format (the input is ' + inputFormat + ')',
    `one of ${OUTPUT_FORMATS.join(', ')}`, 'undefined'));
}

async function run(fn: string, source: ImageSource, p: Plan,
  thread: FilterThread): Promise<{ bytes: Buffer; format: ImageFormat; megapixels: number }> {
  const raw = await decodeSource(fn, source, p.grayscale, p.maxPixels);
  const format = outputFormat(p, raw.format);
  const out = await filterDecoded(raw, p, thread);
  try {
    // JPEG has no alpha channel: it is dropped there (not flattened), kept everywhere else.
    const hasAlpha = raw.channels === 2 || raw.channels === 4;
    const bytes = await encodePixels(out, raw.width, raw.height, raw.channels, format, p.quality, format === 'jpeg' && hasAlpha);
    return { bytes, format, megapixels: (raw.width * raw.height) / 1e6 };
  } finally {
    bytePool.give(out);
  }
}

/**
 * The plan's filters over a decoded image: new bytes in the same interleaved layout (from
 * bytePool), every channel filtered and the alpha channel, if any, put back untouched.
 * One small kernel goes straight from bytes to bytes; anything else through float.
 */
export async function filterDecoded(raw: RawImage, p: Plan, thread: FilterThread): Promise<Uint8Array> {
  const fused = fusedFilter(raw, p);
  if (fused !== null) return fused;
  const { width, height, channels } = raw;
  const count = raw.bytes.length;
  const floats = floatPool.take(count);
  extract(raw.bytes, count, 1, 1, floats, null, -1);
  const filtered = await applyFilters({ data: floats, height, width, channels }, p.filters, p.border, thread);
  floatPool.give(floats);
  const out = planesToPixels('filterImage', filtered, 1, count, null, p.mapping);
  floatPool.give(filtered);
  if (channels === 2 || channels === 4) restoreAlpha(raw.bytes, out, width * height, channels);
  return out;
}

/**
 * One kernel filter straight from bytes to bytes (native/kernels/filter8.h), when that is
 * what the plan asks for: a single kernel of up to 7 × 7 taps, rounding to nearest, the
 * native backend. Null otherwise (the float pipeline handles the rest).
 */
function fusedFilter(raw: RawImage, p: Plan): Uint8Array | null {
  const f = p.filters[0];
  if (!usesFusedFilter(p) || f.kind !== 'kernel') return null;
  const { width: W, height: H, channels: C } = raw;
  const padTop = (f.height - 1) >> 1, padLeftPixels = (f.width - 1) >> 1;
  const rows = borderMap(H, padTop, f.height - 1 - padTop, p.border);
  const cols = elementColumnMap(W, C, f.width, padLeftPixels, p.border);
  const out = bytePool.take(raw.bytes.length);
  backend().filter8({
    height: H, rowElements: W * C, channels: C, kernelHeight: f.height, kernelWidth: f.width, padTop, padLeftPixels,
    abs: p.mapping.abs, offset: p.mapping.offset,
  }, f.weights, rows, cols, raw.bytes, out);
  if (C === 2 || C === 4) restoreAlpha(raw.bytes, out, W * H, C);
  return out;
}

/** Whether the plan runs as one kernel from bytes to bytes (no float images). */
function usesFusedFilter(p: Plan): boolean {
  const f = p.filters[0];
  // Up to 7 × 7 taps in one pass beats a separable kernel's two float passes.
  return p.filters.length === 1 && f.kind === 'kernel' && f.height * f.width <= 49 && p.mapping.round && backend().name === 'native';
}

/** dst's last channel = src's (the alpha channel, after a filter ran over all channels). */
function restoreAlpha(src: Uint8Array, dst: Uint8Array, pixels: number, channels: number): void {
  backend().restoreAlpha({ pixels, channels }, src, dst);
}

/** One image (a path or its bytes) through the filters; resolves to the encoded output. */
export async function filterImage(input: string | Buffer, filters: FilterSpec | readonly FilterSpec[], options?: FilterOptions): Promise<Buffer> {
  const fn = 'filterImage';
  if (typeof input !== 'string' && !Buffer.isBuffer(input)) throw typeError(fn, 'input', 'a file path or a Buffer', input);
  const p = planFilters(fn, filters, checkOptions(fn, options, FILTER_OPTIONS));
  return (await run(fn, await openImage(fn, input, p.maxPixels), p, 'async')).bytes;
}

/** Images in flight at once (default: the cores) and the byte budget they share (maxMemory). */
export function batchCapacity(fn: string, o: Record<string, unknown>): { concurrency: number; budget: ByteBudget } {
  const concurrency = o.concurrency ?? os.availableParallelism();
  if (!is.positiveInteger(concurrency)) throw rangeError(fn, 'options.concurrency', 'a positive integer', concurrency);
  const budget = new ByteBudget(o.maxMemory === undefined ? defaultMemoryBudget() : positiveInteger(fn, 'options.maxMemory', o.maxMemory));
  return { concurrency, budget };
}

export const listedTwice = (input: string, first: string, output: string): ImageResult =>
  ({ input, output, status: 'skipped', reason: `the same file as '${first}' (listed twice): written once`, megapixels: 0 });
export const outputExists = (input: string, output: string): ImageResult =>
  ({ input, output, status: 'skipped', reason: 'the output exists (use overwrite to replace it)', megapixels: 0 });
export const failedResult = (input: string, reason: string): ImageResult =>
  ({ input, output: null, status: 'failed', reason, megapixels: 0 });
export const wouldOverwrite = (input: string, overwritten: string): ImageResult =>
  failedResult(input, `the output would overwrite an input ('${overwritten}')`);
export const exists = (file: string): Promise<boolean> => fs.lstat(file).then(() => true, () => false);

/**
 * One image through the plan into `output` (written atomically), within the budget;
 * never throws: a failure is the result, with its reason. The callers decide first
 * whether the output may be written at all; `beforeWrite` runs (and may fail the image)
 * after the filters, before the output is written.
 */
export async function filterToFile(fn: string, input: string, output: string, p: Plan, budget: ByteBudget,
  beforeWrite?: () => Promise<void>): Promise<ImageResult> {
  try {
    const source = await openImage(fn, input, p.maxPixels);
    const need = imageBytes(source, p.grayscale, usesFusedFilter(p) ? 0 : 3);
    if (need > budget.limit) {
      throw new ResourceLimitError(message(fn, `'${input}'`, `an image that can be filtered in ${formatBytes(budget.limit)} (maxMemory)`,
        `${source.width} × ${source.height} pixels, which need about ${formatBytes(need)}`));
    }
    await budget.take(need);
    try {
      // The batch's convolutions run on this thread with convcore's pool: it would only
      // wait otherwise, while libuv's threads decode and encode the other images.
      const { bytes, megapixels } = await run(fn, source, p, 'sync');
      await beforeWrite?.();
      await writeFileAtomically(output, bytes);
      return { input, output, status: 'written', megapixels };
    } finally {
      budget.give(need);
    }
  } catch (error) {
    return failedResult(input, error instanceof Error ? error.message : String(error));
  }
}

/**
 * Every input file through the filters into outDir (created if needed), at most
 * `concurrency` at a time and within `maxMemory`; never throws for one bad file: each
 * result says what happened. Throws (an OutputPathError) before any image is decoded
 * when outDir cannot be used or two inputs would write one output.
 */
export async function filterImages(inputs: readonly string[], outDir: string, filters: FilterSpec | readonly FilterSpec[],
  options?: FilterImagesOptions): Promise<FilterSummary> {
  const fn = 'filterImages';
  if (!Array.isArray(inputs) || !inputs.every((i) => typeof i === 'string')) throw typeError(fn, 'inputs', 'an array of file paths', inputs);
  if (typeof outDir !== 'string' || outDir === '') throw typeError(fn, 'outDir', 'a directory path', outDir);
  const o = checkOptions(fn, options, [...FILTER_OPTIONS, 'concurrency', 'maxMemory', 'overwrite', 'onProgress']);
  const p = planFilters(fn, filters, o);
  const { concurrency, budget } = batchCapacity(fn, o);
  const overwrite = booleanOption(fn, 'options.overwrite', o.overwrite, false);
  const onProgress = optionalFunction<FilterImagesOptions['onProgress']>(fn, 'options.onProgress', o.onProgress);
  loadSharp();  // a missing codec fails the batch at once, with how to add it (not once per file)
  const plan = await planOutputs(fn, inputs, outDir, p.format);

  const start = performance.now();
  let done = 0;
  const one = async (index: number): Promise<ImageResult> => {
    const input = inputs[index], output = plan.outputs[index];
    // The output name follows from the input's name alone, so existing outputs and
    // inputs are checked before any work.
    const first = plan.firstListing[index];
    if (first >= 0) return listedTwice(input, inputs[first], plan.outputs[first]);
    const overwritten = await plan.inputAt(output);
    if (overwritten !== null) return wouldOverwrite(input, overwritten);
    if (!overwrite && await exists(output)) return outputExists(input, output);
    return filterToFile(fn, input, output, p, budget);
  };
  const results = await mapLimited(inputs.map((_, index) => index), concurrency, async (index) => {
    const result = await one(index);
    onProgress?.(++done, inputs.length, result);
    return result;
  });
  const count = (status: ImageResult['status']) => results.filter((r) => r.status === status).length;
  return {
    images: inputs.length, written: count('written'), skipped: count('skipped'), failed: count('failed'),
    megapixels: results.reduce((m, r) => m + r.megapixels, 0), seconds: (performance.now() - start) / 1000, results,
  };
}
