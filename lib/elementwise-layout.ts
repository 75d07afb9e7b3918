/**
 * How an element-wise op or a reduction is described to the kernels (native and
 * reference alike): the shapes reduced to as few dimensions as the memory layout allows,
 * so that the innermost loop runs as long as it can (native/kernels/elementwise.h).
 */

/** out (contiguous, `sizes`) = x op y, x and y read through their strides (0: broadcast); where's condition through cStrides. */
export interface BroadcastLayout {
  sizes: number[];
  xStrides: number[];
  yStrides: number[];
  cStrides?: number[];
}

/** A reduction of a contiguous input of `sizes` over the dimensions flagged in `reduced`. */
export interface ReduceLayout {
  sizes: number[];
  reduced: boolean[];
}

/** Elements of a strided operand read, the furthest plus one (0 for an empty layout). */
export function stridedExtent(sizes: readonly number[], strides: readonly number[]): number {
  let last = 0;
  for (let d = 0; d < sizes.length; d++) {
    if (sizes[d] === 0) return 0;
    last += (sizes[d] - 1) * strides[d];
  }
  return last + 1;
}

/** Strides of `shape` read as `outShape` (aligned on the right, 0 where it broadcasts). */
function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const rank = outShape.length, strides = new Array<number>(rank).fill(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const axis = rank - shape.length + i;
    strides[axis] = shape[i] === 1 && outShape[axis] !== 1 ? 0 : stride;
    stride *= shape[i];
  }
  return strides;
}

/**
 * The layout of x op y broadcast to outShape (and of where's condition, given its
 * shape), dimensions of size 1 dropped and runs merged.
 */
export function broadcastLayout(
  xShape: readonly number[], yShape: readonly number[], outShape: readonly number[], cShape?: readonly number[],
): BroadcastLayout {
  const all = [xShape, yShape, ...(cShape ? [cShape] : [])].map((shape) => broadcastStrides(shape, outShape));
  const sizes: number[] = [], strides: number[][] = all.map(() => []);
  for (let d = 0; d < outShape.length; d++) {
    if (outShape[d] === 1) continue;
    const last = sizes.length - 1;
    // Dimension d continues the previous one in every operand: merge them.
    if (last >= 0 && all.every((s, k) => strides[k][last] === s[d] * outShape[d])) {
      sizes[last] *= outShape[d];
      all.forEach((s, k) => { strides[k][last] = s[d]; });
      continue;
    }
    sizes.push(outShape[d]);
    all.forEach((s, k) => strides[k].push(s[d]));
  }
  if (sizes.length === 0) {
    sizes.push(1);
    strides.forEach((s) => s.push(0));
  }
  return { sizes, xStrides: strides[0], yStrides: strides[1], ...(cShape ? { cStrides: strides[2] } : {}) };
}

/** The layout of a reduction of `shape` over `dims`: size-1 dimensions dropped, runs of one kind merged. */
export function reduceLayout(shape: readonly number[], dims: ReadonlySet<number>): ReduceLayout {
  const sizes: number[] = [], reduced: boolean[] = [];
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const isReduced = dims.has(d), last = sizes.length - 1;
    if (last >= 0 && reduced[last] === isReduced) sizes[last] *= shape[d];
    else {
      sizes.push(shape[d]);
      reduced.push(isReduced);
    }
  }
  if (sizes.length === 0) return { sizes: [1], reduced: [true] };
  return { sizes, reduced };
}

/** The dimensions of outShape along which `shape` was broadcast (its gradient sums over them). */
export function broadcastDims(shape: readonly number[], outShape: readonly number[]): Set<number> {
  const dims = new Set<number>();
  for (let axis = 0; axis < outShape.length; axis++) {
    const i = axis - (outShape.length - shape.length);
    if ((i < 0 || shape[i] === 1) && outShape[axis] !== 1) dims.add(axis);
  }
  return dims;
}
