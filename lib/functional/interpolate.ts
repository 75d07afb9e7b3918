/**
 * Resizing of (N, C, H, W) or (C, H, W) images (PyTorch's F.interpolate for 2-D input):
 * 'nearest' and 'bilinear' (alignCorners false or true), to a size or by a scale factor,
 * differentiable. Each output row and column reads at most two input rows and columns,
 * with weights computed once per axis (PyTorch's source-index rules); the work runs here,
 * in TypeScript.
 */
import { allocGradient, allocResult } from '../alloc';
import { record } from '../autograd';
import { ShapeError } from '../errors';
import { Tensor, assertTensor } from '../tensor';
import { MAX_ELEMENTS, booleanOption, checkOptions, formatShape, is, message, oneOf, rangeError, typeError } from '../validate';

export interface InterpolateOptions {
  /** The output's H and W (one number: both); give this or scaleFactor. */
  size?: number | readonly [number, number];
  /** H and W multiplied by this (floored), one number or a pair; give this or size. */
  scaleFactor?: number | readonly [number, number];
  /** Default 'nearest'. */
  mode?: 'nearest' | 'bilinear';
  /** bilinear only: corner pixels' centres align (default false). */
  alignCorners?: boolean;
}

export type InterpolateMode = 'nearest' | 'bilinear';

/** For each output index along one axis: two source indices and the second one's weight. */
interface AxisMap {
  lo: Int32Array;
  hi: Int32Array;
  weight: Float64Array;
}

function axisMap(mode: InterpolateMode, inSize: number, outSize: number, scaleFactor: number | null, alignCorners: boolean): AxisMap {
  const lo = new Int32Array(outSize), hi = new Int32Array(outSize), weight = new Float64Array(outSize);
  // PyTorch: the scale is 1/scaleFactor where one was given, else in/out.
  const scale = scaleFactor !== null ? 1 / scaleFactor : inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    if (mode === 'nearest') {
      lo[o] = hi[o] = Math.min(Math.floor(o * scale), inSize - 1);
      continue;
    }
    let src: number;
    if (alignCorners) src = outSize > 1 ? (o * (inSize - 1)) / (outSize - 1) : 0;
    else src = Math.max((o + 0.5) * scale - 0.5, 0);
    const i0 = Math.min(Math.floor(src), inSize - 1);
    lo[o] = i0;
    hi[o] = Math.min(i0 + 1, inSize - 1);
    weight[o] = src - i0;
  }
  return { lo, hi, weight };
}

function pair(fn: string, name: string, value: unknown, ok: (v: unknown) => boolean, what: string): [number, number] {
  const two = typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(two) || two.length !== 2 || !two.every(ok)) throw typeError(fn, name, `${what} or a pair of them`, value);
  return [two[0], two[1]];
}

/** The input resized (see InterpolateOptions). */
export function interpolate(input: Tensor, options: InterpolateOptions): Tensor {
  const fn = 'interpolate';
  assertTensor(fn, 'input', input);
  const rank = input.shape.length;
  if (rank !== 3 && rank !== 4) {
    throw new ShapeError(message(fn, 'input.shape', '4-D (N, C, H, W) or 3-D (C, H, W)', formatShape(input.shape)));
  }
  const o = checkOptions(fn, options, ['size', 'scaleFactor', 'mode', 'alignCorners']);
  const mode = oneOf(fn, 'options.mode', o.mode ?? 'nearest', ['nearest', 'bilinear'] as const);
  if (mode === 'nearest' && o.alignCorners !== undefined) {
    throw rangeError(fn, 'options.alignCorners', "undefined with mode 'nearest' (it applies to bilinear only)", o.alignCorners);
  }
  const alignCorners = booleanOption(fn, 'options.alignCorners', o.alignCorners, false);
  if ((o.size === undefined) === (o.scaleFactor === undefined)) {
    throw typeError(fn, 'options', 'an object with exactly one of size and scaleFactor', options);
  }
  const [H, W] = input.shape.slice(-2);
  let outH: number, outW: number, factors: [number | null, number | null] = [null, null];
  if (o.size !== undefined) {
    [outH, outW] = pair(fn, 'options.size', o.size, is.positiveInteger, 'a positive integer');
  } else {
    const f = pair(fn, 'options.scaleFactor', o.scaleFactor, (v) => is.finite(v) && (v as number) > 0, 'a positive number');
    [outH, outW] = [Math.floor(H * f[0]), Math.floor(W * f[1])];
    if (outH < 1 || outW < 1) throw rangeError(fn, 'options.scaleFactor', `a factor giving at least 1 × 1 from ${H} × ${W}`, o.scaleFactor);
    factors = f;
  }
  const planes = input.size / (H * W || 1);
  const outputShape = [...input.shape.slice(0, -2), outH, outW];
  if (planes * outH * outW > MAX_ELEMENTS) throw rangeError(fn, 'the output size', `at most ${MAX_ELEMENTS} elements`, planes * outH * outW);
  if (input.size === 0) return Tensor._wrap(allocResult(0), outputShape);
  const rows = axisMap(mode, H, outH, factors[0], alignCorners), cols = axisMap(mode, W, outW, factors[1], alignCorners);

  const x = input.data;
  const out = allocResult(planes * outH * outW);
  for (let p = 0; p < planes; p++) {
    const src = p * H * W, dst = p * outH * outW;
    for (let r = 0; r < outH; r++) {
      const top = src + rows.lo[r] * W, bottom = src + rows.hi[r] * W, wr = rows.weight[r];
      for (let c = 0; c < outW; c++) {
        const l = cols.lo[c], h = cols.hi[c], wc = cols.weight[c];
        const upper = x[top + l] + (x[top + h] - x[top + l]) * wc;
        const lower = x[bottom + l] + (x[bottom + h] - x[bottom + l]) * wc;
        out[dst + r * outW + c] = upper + (lower - upper) * wr;
      }
    }
  }
  return record(Tensor._wrap(out, outputShape), fn, [input], (g) => {
    const dx = allocGradient(input.size).fill(0);
    for (let p = 0; p < planes; p++) {
      const src = p * H * W, dst = p * outH * outW;
      for (let r = 0; r < outH; r++) {
        const top = src + rows.lo[r] * W, bottom = src + rows.hi[r] * W, wr = rows.weight[r];
        for (let c = 0; c < outW; c++) {
          const l = cols.lo[c], h = cols.hi[c], wc = cols.weight[c];
          const v = g[dst + r * outW + c];
          dx[top + l] += v * (1 - wr) * (1 - wc);
          dx[top + h] += v * (1 - wr) * wc;
          dx[bottom + l] += v * wr * (1 - wc);
          dx[bottom + h] += v * wr * wc;
        }
      }
    }
    return [dx];
  });
}
