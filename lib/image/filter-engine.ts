/**
 * Filters on interleaved float images (H, W, C), output the input's size. With the
 * channels interleaved, a per-channel filter is one single-channel convolution of an
 * H × (W·C) image whose kernel taps are C elements apart horizontally (dilation C):
 * the engine's direct path, one pass over memory for all channels, zero padding. For
 * the other border modes, only the pixels whose window leaves the image are then
 * recomputed through the mode's index maps (the interior does not depend on the
 * border). Large separable kernels run as a row pass then a column pass.
 */
import { floatPool } from '../alloc';
import { type BorderMode, borderMap } from '../border-map';
import { backend } from '../backend';
import type { ConvGeometry } from '../geometry';
import { type Filter, type KernelFilter } from './filters';

export type { BorderMode };
export const BORDER_MODES: readonly BorderMode[] = ['zeros', 'reflect', 'replicate', 'circular'];

/** An image as interleaved floats: pixel (h, w) channel c at (h·width + w)·channels + c. */
export interface FloatImage {
  data: Float32Array;
  height: number;
  width: number;
  channels: number;
}

/**
 * Where the convolutions run: 'async' off the JS thread (libuv's pool, then convcore's),
 * 'sync' on the calling thread with convcore's pool (a batch, whose JS thread would
 * otherwise only wait, and whose libuv threads are busy decoding and encoding).
 */
export type FilterThread = 'async' | 'sync';

/** The kernel (kh × kw) on every channel, into a buffer from floatPool. */
async function correlate(x: FloatImage, weights: Float32Array, kh: number, kw: number, border: BorderMode,
  thread: FilterThread): Promise<Float32Array> {
  const { height: H, width: W, channels: C } = x;
  const rowElements = W * C;
  // 'same' output: PyTorch's split of an even kernel's padding (the smaller half first).
  const padTop = (kh - 1) >> 1, padLeftPixels = (kw - 1) >> 1;
  const geometry: ConvGeometry = {
    batch: 1, inChannels: 1, outChannels: 1, groups: 1,
    inDepth: 1, inHeight: H, inWidth: rowElements, kernelDepth: 1, kernelHeight: kh, kernelWidth: kw,
    outDepth: 1, outHeight: H, outWidth: rowElements, strideD: 1, strideH: 1, strideW: 1,
    padFront: 0, padTop, padLeft: padLeftPixels * C, dilationD: 1, dilationH: 1, dilationW: C,
  };
  // From the pool: a fresh multi-megabyte buffer would cost more than the filter.
  const out = floatPool.take(H * rowElements);
  if (thread === 'sync') backend().forward(geometry, x.data, weights, null, out);
  else await backend().forwardAsync(geometry, x.data, weights, null, out);
  if (border !== 'zeros' && (kh > 1 || kw > 1)) fixBorder(x, weights, kh, kw, padTop, padLeftPixels, border, out);
  return out;
}

/**
 * borderMap over a row's elements: padded element q (pixel ⌊q / C⌋ of the padded row,
 * channel q mod C) → the source element, or −1. W·C + (kw − 1)·C entries.
 */
export function elementColumnMap(W: number, C: number, kw: number, padLeftPixels: number, border: BorderMode): Int32Array {
  const pixels = borderMap(W, padLeftPixels, kw - 1 - padLeftPixels, border);
  const cols = new Int32Array(W * C + (kw - 1) * C);
  for (let q = 0; q < cols.length; q++) {
    const p = Math.floor(q / C), c = q - p * C;
    cols[q] = pixels[p] < 0 ? -1 : pixels[p] * C + c;
  }
  return cols;
}

/**
 * Recomputes the pixels whose window leaves the image, reading through the border
 * maps. The kernel is spread to its dilated width (zeros between taps) and the column
 * map works on elements (pixel map × C + channel).
 */
function fixBorder(x: FloatImage, weights: Float32Array, kh: number, kw: number, padTop: number, padLeftPixels: number,
  border: BorderMode, out: Float32Array): void {
  const { height: H, width: W, channels: C } = x;
  const spread = (kw - 1) * C + 1;
  const dense = new Float32Array(kh * spread);
  for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) dense[i * spread + j * C] = weights[i * kw + j];
  const rows = borderMap(H, padTop, kh - 1 - padTop, border);
  const cols = elementColumnMap(W, C, kw, padLeftPixels, border);
  const padLeft = padLeftPixels * C;
  backend().filterBorder({ planes: 1, height: H, width: W * C, kernelHeight: kh, kernelWidth: spread, padTop, padLeft },
    dense, rows, cols, x.data, out);
}

/**
 * Whether to run a separable kernel as two 1-D passes: each pass streams the image
 * through memory once, so it pays only when the taps saved outweigh the second pass.
 */
export const useSeparable = (f: KernelFilter) => f.separable !== null && f.height * f.width >= 25;

async function applyKernel(x: FloatImage, f: KernelFilter, border: BorderMode, thread: FilterThread): Promise<Float32Array> {
  if (!useSeparable(f)) return correlate(x, f.weights, f.height, f.width, border, thread);
  const [column, row] = f.separable!;
  const across = await correlate(x, row, 1, row.length, border, thread);
  const result = await correlate({ ...x, data: across }, column, column.length, 1, border, thread);
  floatPool.give(across);
  return result;
}

async function applyOne(x: FloatImage, f: Filter, border: BorderMode, thread: FilterThread): Promise<Float32Array> {
  if (f.kind === 'kernel') return applyKernel(x, f, border, thread);
  const gx = await applyKernel(x, f.x, border, thread);
  const gy = await applyKernel(x, f.y, border, thread);
  backend().magnitude(gx, gy, gx);
  floatPool.give(gy);
  return gx;
}

/**
 * The filters in order on every channel, off the JS thread; the result is float (no
 * rounding between filters), interleaved like the input, in a buffer from floatPool
 * (the caller may give it back). The input is left as it is.
 */
export async function applyFilters(x: FloatImage, filters: readonly Filter[], border: BorderMode,
  thread: FilterThread = 'async'): Promise<Float32Array> {
  let data = x.data;
  for (const f of filters) {
    const next = await applyOne({ ...x, data }, f, border, thread);
    if (data !== x.data) floatPool.give(data);  // an intermediate of this loop
    data = next;
  }
  return data;
}
