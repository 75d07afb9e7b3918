/**
 * filterImage and filterImages: decode → filters → encode, over many files with a
 * bounded number in flight, so that decoding and encoding (sharp, on libuv's threads)
 * overlap with the convolutions (convcore's pool). Nothing is lost: a file that fails
 * is reported with its path and reason and the batch goes on; outputs are written to a
 * temporary name and renamed; existing outputs are kept unless `overwrite`; an input is
 * never overwritten.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bytePool, floatPool } from '../alloc';
import { ArgumentRangeError } from '../errors';
import { writeFileAtomically } from '../io/atomic-write';
import { booleanOption, checkOptions, is, message, oneOf, rangeError, typeError } from '../validate';
import { backend } from '../backend';
import { nativeAddon } from '../binding';
import { EXTENSION_OF_FORMAT, FORMAT_OF_EXTENSION, type ImageFormat, OUTPUT_FORMATS, type RawImage, decodeRaw, encodePixels, extract, planesToPixels, readMapping } from './codec';
import { BORDER_MODES, type BorderMode, type FilterThread, applyFilters, borderMap, elementColumnMap } from './filter-engine';
import { type Filter, type FilterSpec, parseFilter } from './filters';
import { loadSharp } from './sharp';

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
}

export interface FilterImagesOptions extends FilterOptions {
  /** Images in flight at once (default: the number of cores). */
  concurrency?: number;
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

const FILTER_OPTIONS = ['border', 'grayscale', 'abs', 'offset', 'round', 'format', 'quality'] as const;

export interface Plan {
  filters: Filter[];
  border: BorderMode;
  grayscale: boolean;
  mapping: ReturnType<typeof readMapping>;
  format: ImageFormat | undefined;
  quality: number | undefined;
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
  };
}

function outputFormat(p: Plan, inputFormat: string): ImageFormat {
  if (p.format !== undefined) return p.format;
  if ((OUTPUT_FORMATS as readonly string[]).includes(inputFormat)) return inputFormat as ImageFormat;
  throw new ArgumentRangeError(message('filterImage', 'options.format (the input is ' + inputFormat + ')',
    `one of ${OUTPUT_FORMATS.join(', ')}`, 'undefined'));
}

async function run(fn: string, input: string | Buffer, p: Plan, thread: FilterThread): Promise<{ bytes: Buffer; format: ImageFormat; megapixels: number }> {
  const raw = await decodeRaw(fn, input, p.grayscale);
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
  // Up to 7 × 7 taps in one pass beats a separable kernel's two float passes.
  if (p.filters.length !== 1 || f.kind !== 'kernel' || f.height * f.width > 49 || !p.mapping.round ||
    backend().name !== 'native') return null;
  const { width: W, height: H, channels: C } = raw;
  const padTop = (f.height - 1) >> 1, padLeftPixels = (f.width - 1) >> 1;
  const rows = borderMap(H, padTop, f.height - 1 - padTop, p.border);
  const cols = elementColumnMap(W, C, f.width, padLeftPixels, p.border);
  const out = bytePool.take(raw.bytes.length);
  nativeAddon().filter8(Float64Array.of(H, W * C, C, f.height, f.width, padTop, padLeftPixels, +p.mapping.abs, p.mapping.offset),
    f.weights, rows, cols, raw.bytes, out);
  if (C === 2 || C === 4) restoreAlpha(raw.bytes, out, W * H, C);
  return out;
}

/** dst's last channel = src's (the alpha channel, after a filter ran over all channels). */
function restoreAlpha(src: Uint8Array, dst: Uint8Array, pixels: number, channels: number): void {
  if (backend().name === 'native') nativeAddon().restoreAlpha(Float64Array.of(pixels, channels), src, dst);
  else for (let i = 0; i < pixels; i++) dst[i * channels + channels - 1] = src[i * channels + channels - 1];
}

/** One image (a path or its bytes) through the filters; resolves to the encoded output. */
export async function filterImage(input: string | Buffer, filters: FilterSpec | readonly FilterSpec[], options?: FilterOptions): Promise<Buffer> {
  const fn = 'filterImage';
  if (typeof input !== 'string' && !Buffer.isBuffer(input)) throw typeError(fn, 'input', 'a file path or a Buffer', input);
  return (await run(fn, input, planFilters(fn, filters, checkOptions(fn, options, FILTER_OPTIONS)), 'async')).bytes;
}

/** The output path: the input's name in outDir; a requested format changes the extension. */
function outputPath(input: string, outDir: string, format: ImageFormat | undefined): string {
  const parsed = path.parse(input);
  const keep = format === undefined || FORMAT_OF_EXTENSION[parsed.ext.toLowerCase()] === format;
  return path.join(outDir, parsed.name + (keep ? parsed.ext : EXTENSION_OF_FORMAT[format]));
}

async function exists(file: string): Promise<boolean> {
  return fs.stat(file).then(() => true, () => false);
}

/**
 * Every input file through the filters into outDir (created if needed), at most
 * `concurrency` at a time; never throws for one bad file: each result says what happened.
 */
export async function filterImages(inputs: readonly string[], outDir: string, filters: FilterSpec | readonly FilterSpec[],
  options?: FilterImagesOptions): Promise<FilterSummary> {
  const fn = 'filterImages';
  if (!Array.isArray(inputs) || !inputs.every((i) => typeof i === 'string')) throw typeError(fn, 'inputs', 'an array of file paths', inputs);
  if (typeof outDir !== 'string' || outDir === '') throw typeError(fn, 'outDir', 'a directory path', outDir);
  const o = checkOptions(fn, options, [...FILTER_OPTIONS, 'concurrency', 'overwrite', 'onProgress']);
  const p = planFilters(fn, filters, o);
  const concurrency = o.concurrency ?? os.availableParallelism();
  if (!is.positiveInteger(concurrency)) throw rangeError(fn, 'options.concurrency', 'a positive integer', concurrency);
  const overwrite = booleanOption(fn, 'options.overwrite', o.overwrite, false);
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw typeError(fn, 'options.onProgress', 'a function', o.onProgress);
  const onProgress = o.onProgress as FilterImagesOptions['onProgress'];
  loadSharp();  // a missing codec fails the batch at once, with how to add it (not once per file)
  await fs.mkdir(outDir, { recursive: true });
  const inputSet = new Set(inputs.map((i) => path.resolve(i)));

  const start = performance.now();
  const results: ImageResult[] = new Array(inputs.length);
  let next = 0, done = 0;
  const one = async (input: string): Promise<ImageResult> => {
    // The output name follows from the input's name alone, so existing outputs and
    // inputs are checked before any work.
    const output = outputPath(input, outDir, p.format);
    if (inputSet.has(path.resolve(output))) {
      return { input, output, status: 'failed', reason: 'the output would overwrite an input', megapixels: 0 };
    }
    if (!overwrite && await exists(output)) {
      return { input, output, status: 'skipped', reason: 'the output exists (use overwrite to replace it)', megapixels: 0 };
    }
    try {
      // The batch's convolutions run on this thread with convcore's pool: it would only
      // wait otherwise, while libuv's threads decode and encode the other images.
      const { bytes, megapixels } = await run(fn, input, p, 'sync');
      await writeFileAtomically(output, bytes);
      return { input, output, status: 'written', megapixels };
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n').join('; ') : String(error);
      return { input, output: null, status: 'failed', reason, megapixels: 0 };
    }
  };
  const worker = async () => {
    while (next < inputs.length) {
      const index = next++;
      results[index] = await one(inputs[index]);
      onProgress?.(++done, inputs.length, results[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, inputs.length) }, worker));
  const count = (status: ImageResult['status']) => results.filter((r) => r.status === status).length;
  return {
    images: inputs.length, written: count('written'), skipped: count('skipped'), failed: count('failed'),
    megapixels: results.reduce((m, r) => m + r.megapixels, 0), seconds: (performance.now() - start) / 1000, results,
  };
}
