/**
 * Filters on (C, H, W) float planes with a border mode, output the input's size. Each
 * kernel runs depthwise through conv2d with zero padding ('same'), on the engine's
 * direct path; for the other border modes only the pixels whose window leaves the
 * image are then recomputed through the mode's index maps (the interior does not
 * depend on the border). Separable kernels run as a row pass then a column pass.
 */
import { backend } from '../backend';
import { nativeAddon } from '../binding';
import { conv2dAsync } from '../functional/conv2d';
import { Tensor } from '../tensor';
import { type Filter, type KernelFilter } from './filters';

export type BorderMode = 'zeros' | 'reflect' | 'replicate' | 'circular';
export const BORDER_MODES: readonly BorderMode[] = ['zeros', 'reflect', 'replicate', 'circular'];

/**
 * For each of the size + kernel − 1 padded coordinates, its source in [0, size) or −1
 * (zeros). reflect is PyTorch's 'reflect' (OpenCV's BORDER_REFLECT_101), folded again
 * as often as needed, so any kernel fits any image.
 */
export function borderMap(size: number, before: number, after: number, mode: BorderMode): Int32Array {
  const map = new Int32Array(size + before + after);
  for (let i = 0; i < map.length; i++) {
    let j = i - before;
    if (j >= 0 && j < size) map[i] = j;
    else if (mode === 'zeros') map[i] = -1;
    else if (mode === 'replicate') map[i] = j < 0 ? 0 : size - 1;
    else if (mode === 'circular') map[i] = ((j % size) + size) % size;
    else if (size === 1) map[i] = 0;
    else {
      const period = 2 * (size - 1);
      j = ((j % period) + period) % period;
      map[i] = j < size ? j : period - j;
    }
  }
  return map;
}

export interface Planes {
  data: Float32Array;
  channels: number;
  height: number;
  width: number;
}

/** One kernel (height × width weights) on every plane, off the JS thread. */
async function correlate(x: Planes, weights: Float32Array, kh: number, kw: number, border: BorderMode): Promise<Float32Array> {
  const { channels: C, height: H, width: W } = x;
  const weight = new Float32Array(C * kh * kw);
  for (let c = 0; c < C; c++) weight.set(weights, c * kh * kw);
  const input = new Tensor(x.data, [1, C, H, W]);
  const w = new Tensor(weight, [C, 1, kh, kw]);
  const options = { padding: 'same', groups: C } as const;
  const out = (await conv2dAsync(input, w, null, options)).data;
  const padTop = (kh - 1) >> 1, padLeft = (kw - 1) >> 1;
  if (border !== 'zeros' && (kh > 1 || kw > 1)) {
    const rows = borderMap(H, padTop, kh - 1 - padTop, border), cols = borderMap(W, padLeft, kw - 1 - padLeft, border);
    const params = Float64Array.of(C, H, W, kh, kw, padTop, padLeft);
    if (backend().name === 'native') nativeAddon().filterBorder(params, weight, rows, cols, x.data, out);
    else filterBorderReference(C, H, W, kh, kw, weight, rows, cols, x.data, out);
  }
  return out;
}

/** The reference of the native border pass: every pixel recomputed through the maps. */
function filterBorderReference(C: number, H: number, W: number, kh: number, kw: number, weight: Float32Array,
  rows: Int32Array, cols: Int32Array, x: Float32Array, out: Float32Array): void {
  for (let c = 0; c < C; c++) {
    for (let oh = 0; oh < H; oh++) {
      for (let ow = 0; ow < W; ow++) {
        let acc = 0;
        for (let i = 0; i < kh; i++) {
          const sh = rows[oh + i];
          if (sh < 0) continue;
          for (let j = 0; j < kw; j++) {
            const sw = cols[ow + j];
            if (sw >= 0) acc += weight[(c * kh + i) * kw + j] * x[(c * H + sh) * W + sw];
          }
        }
        out[(c * H + oh) * W + ow] = acc;
      }
    }
  }
}

async function applyKernel(x: Planes, f: KernelFilter, border: BorderMode): Promise<Float32Array> {
  if (f.separable === null) return correlate(x, f.weights, f.height, f.width, border);
  const [column, row] = f.separable;
  const across = await correlate(x, row, 1, row.length, border);
  return correlate({ ...x, data: across }, column, column.length, 1, border);
}

async function applyOne(x: Planes, f: Filter, border: BorderMode): Promise<Float32Array> {
  if (f.kind === 'kernel') return applyKernel(x, f, border);
  const gx = await applyKernel(x, f.x, border);
  const gy = await applyKernel(x, f.y, border);
  if (backend().name === 'native') nativeAddon().magnitude(gx, gy, gx);
  else for (let i = 0; i < gx.length; i++) gx[i] = Math.sqrt(gx[i] * gx[i] + gy[i] * gy[i]);
  return gx;
}

/**
 * The filters in order on (C, H, W) planes, off the JS thread; the result is float (no
 * rounding between filters).
 */
export async function applyFilters(x: Planes, filters: readonly Filter[], border: BorderMode): Promise<Float32Array> {
  let data = x.data;
  for (const f of filters) data = await applyOne({ ...x, data }, f, border);
  return data;
}

