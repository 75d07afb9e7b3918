/**
 * Explicit padding of (N, C, H, W) planes for the non-zero padding modes, with its
 * adjoint. As in PyTorch, conv2d with paddingMode 'reflect' | 'replicate' | 'circular'
 * is this padding followed by an unpadded convolution.
 */
import { record } from '../autograd';
import { Tensor } from '../tensor';
import type { Padding2d, PaddingMode } from './conv2d-options';

/** For each padded coordinate, the source coordinate it copies (or -1 for a zero). */
function sourceIndex(size: number, before: number, after: number, mode: PaddingMode): Int32Array {
  const map = new Int32Array(size + before + after);
  for (let i = 0; i < map.length; i++) {
    const j = i - before;
    if (j >= 0 && j < size) map[i] = j;
    else if (mode === 'zeros') map[i] = -1;
    else if (mode === 'reflect') map[i] = j < 0 ? -j : 2 * (size - 1) - j;
    else if (mode === 'replicate') map[i] = j < 0 ? 0 : size - 1;
    else map[i] = ((j % size) + size) % size;
  }
  return map;
}

interface PadMaps {
  rows: Int32Array;
  cols: Int32Array;
}

function padMaps(dims: readonly number[], p: Padding2d, mode: PaddingMode): PadMaps {
  return {
    rows: sourceIndex(dims[2], p.top, p.bottom, mode),
    cols: sourceIndex(dims[3], p.left, p.right, mode),
  };
}

function padForward(x: Float32Array, dims: readonly number[], maps: PadMaps): Float32Array {
  const [N, C, H, W] = dims;
  const PH = maps.rows.length, PW = maps.cols.length;
  const out = new Float32Array(N * C * PH * PW);
  for (let plane = 0; plane < N * C; plane++) {
    for (let y = 0; y < PH; y++) {
      const sy = maps.rows[y];
      if (sy < 0) continue;
      const src = (plane * H + sy) * W, dst = (plane * PH + y) * PW;
      for (let x2 = 0; x2 < PW; x2++) {
        const sx = maps.cols[x2];
        if (sx >= 0) out[dst + x2] = x[src + sx];
      }
    }
  }
  return out;
}

/** The adjoint: every padded element's gradient is added to the element it copied. */
function padBackward(g: Float32Array, dims: readonly number[], maps: PadMaps): Float32Array {
  const [N, C, H, W] = dims;
  const PH = maps.rows.length, PW = maps.cols.length;
  const gx = new Float32Array(N * C * H * W);
  for (let plane = 0; plane < N * C; plane++) {
    for (let y = 0; y < PH; y++) {
      const sy = maps.rows[y];
      if (sy < 0) continue;
      const dst = (plane * H + sy) * W, src = (plane * PH + y) * PW;
      for (let x2 = 0; x2 < PW; x2++) {
        const sx = maps.cols[x2];
        if (sx >= 0) gx[dst + sx] += g[src + x2];
      }
    }
  }
  return gx;
}

/** Pads `x` (whose data is laid out as `dims` = (N, C, H, W)); differentiable. */
export function pad2d(x: Tensor, dims: readonly number[], p: Padding2d, mode: PaddingMode): Tensor {
  const maps = padMaps(dims, p, mode);
  const out = new Tensor(padForward(x.data, dims, maps), [dims[0], dims[1], maps.rows.length, maps.cols.length]);
  return record(out, 'pad2d', [x], (g) => [padBackward(g, dims, maps)]);
}

/** The gradient with respect to the unpadded input, from the gradient of the padded one. */
export function pad2dBackward(g: Float32Array, dims: readonly number[], p: Padding2d, mode: PaddingMode): Float32Array {
  return padBackward(g, dims, padMaps(dims, p, mode));
}

/** Padding without autograd, for the functional backward. */
export function pad2dData(x: Float32Array, dims: readonly number[], p: Padding2d, mode: PaddingMode): Float32Array {
  return padForward(x, dims, padMaps(dims, p, mode));
}
