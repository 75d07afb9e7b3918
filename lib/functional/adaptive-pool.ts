/**
 * Adaptive pooling (PyTorch's adaptive_avg_pool2d and adaptive_max_pool2d): the output
 * size is given, and output cell i covers input rows [⌊i·H/oh⌋, ⌈(i+1)·H/oh⌉) (and the
 * same for columns). Where the size divides the input evenly those windows are a plain
 * pooling (kernel = stride = H/oh), which runs on the native pooling kernels; other
 * sizes run here, in TypeScript.
 */
import { allocFloats, allocGradient } from '../alloc';
import { record } from '../autograd';
import { ShapeError } from '../errors';
import { Tensor, assertTensor } from '../tensor';
import { formatShape, is, message, typeError } from '../validate';
import { avgPool2d, maxPool2d } from './pool';

interface AdaptivePlan {
  planes: number;
  H: number;
  W: number;
  oh: number;
  ow: number;
  outputShape: number[];
}

function planAdaptive(fn: string, input: unknown, outputSize: unknown): AdaptivePlan {
  assertTensor(fn, 'input', input);
  const rank = input.shape.length;
  if (rank !== 3 && rank !== 4) {
    throw new ShapeError(message(fn, 'input.shape', '4-D (N, C, H, W) or 3-D (C, H, W)', formatShape(input.shape)));
  }
  const [H, W] = input.shape.slice(-2);
  const pair = checkOutputSize(fn, outputSize);
  if (H < 1 || W < 1) throw new ShapeError(message(fn, 'input.shape', 'a non-empty H × W plane', formatShape(input.shape)));
  const oh = (pair[0] as number | null) ?? H, ow = (pair[1] as number | null) ?? W;
  return { planes: input.size / (H * W), H, W, oh, ow, outputShape: [...input.shape.slice(0, -2), oh, ow] };
}

/** outputSize as a pair (null: that input size); layers call it when built. */
export function checkOutputSize(fn: string, outputSize: unknown): Array<number | null> {
  const pair = typeof outputSize === 'number' ? [outputSize, outputSize] : outputSize;
  if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((v) => v === null || is.positiveInteger(v))) {
    throw typeError(fn, 'outputSize', 'a positive integer or a pair of them (null keeps that input size)', outputSize);
  }
  return pair as Array<number | null>;
}

const windowStart = (i: number, size: number, out: number) => Math.floor((i * size) / out);
const windowEnd = (i: number, size: number, out: number) => Math.ceil(((i + 1) * size) / out);

/**
 * Calls visit(outIndex, inIndex) for every input element of every output cell's window,
 * plane by plane; startCell(outIndex, count) before each cell.
 */
function forWindows(p: AdaptivePlan, startCell: (o: number, count: number) => void, visit: (o: number, i: number) => void): void {
  for (let plane = 0; plane < p.planes; plane++) {
    for (let y = 0; y < p.oh; y++) {
      const h0 = windowStart(y, p.H, p.oh), h1 = windowEnd(y, p.H, p.oh);
      for (let x = 0; x < p.ow; x++) {
        const w0 = windowStart(x, p.W, p.ow), w1 = windowEnd(x, p.W, p.ow);
        const o = (plane * p.oh + y) * p.ow + x;
        startCell(o, (h1 - h0) * (w1 - w0));
        for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) visit(o, (plane * p.H + h) * p.W + w);
      }
    }
  }
}

const divides = (p: AdaptivePlan) => p.H % p.oh === 0 && p.W % p.ow === 0;

/** The mean of each adaptive window. */
export function adaptiveAvgPool2d(input: Tensor, outputSize: number | readonly [number | null, number | null]): Tensor {
  const fn = 'adaptiveAvgPool2d';
  const p = planAdaptive(fn, input, outputSize);
  if (divides(p)) return avgPool2d(input, [p.H / p.oh, p.W / p.ow]);
  const out = allocFloats(p.planes * p.oh * p.ow);
  const counts = new Float64Array(out.length);
  const sums = new Float64Array(out.length);
  forWindows(p, (o, count) => { counts[o] = count; }, (o, i) => { sums[o] += input.data[i]; });
  for (let o = 0; o < out.length; o++) out[o] = sums[o] / counts[o];
  return record(Tensor._wrap(out, p.outputShape), fn, [input], (g) => {
    const dx = allocGradient(input.size).fill(0);
    forWindows(p, () => {}, (o, i) => { dx[i] += g[o] / counts[o]; });
    return [dx];
  });
}

/** The maximum of each adaptive window (NaN wins, as in maxPool2d). */
export function adaptiveMaxPool2d(input: Tensor, outputSize: number | readonly [number | null, number | null]): Tensor {
  const fn = 'adaptiveMaxPool2d';
  const p = planAdaptive(fn, input, outputSize);
  if (divides(p)) return maxPool2d(input, [p.H / p.oh, p.W / p.ow]);
  const out = allocFloats(p.planes * p.oh * p.ow);
  const at = new Int32Array(out.length).fill(-1);
  forWindows(p, (o) => { out[o] = -Infinity; }, (o, i) => {
    const v = input.data[i];
    if (at[o] < 0 || v > out[o] || (v !== v && out[o] === out[o])) {
      out[o] = v;
      at[o] = i;
    }
  });
  return record(Tensor._wrap(out, p.outputShape), fn, [input], (g) => {
    const dx = allocGradient(input.size).fill(0);
    for (let o = 0; o < at.length; o++) dx[at[o]] += g[o];
    return [dx];
  });
}
