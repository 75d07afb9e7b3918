/**
 * Explicit padding of (N, C, …spatial) tensors (1 to 3 spatial dimensions) for the
 * non-zero padding modes, with its adjoint. As in PyTorch, a convolution with
 * paddingMode 'reflect' | 'replicate' | 'circular' is this padding followed by an
 * unpadded convolution.
 */
import { allocFloats } from '../alloc';
import { borderMap } from '../border-map';
import { record } from '../autograd';
import { Tensor } from '../tensor';
import type { PaddingMode } from './conv-options';

/** Padding of `dims` = [N, C, …spatial], seen as three spatial maps (depth, rows, columns). */
export interface PadSpec {
  planes: number; // N·C
  size: [number, number, number]; // unpadded D, H, W (1 where the rank is lower)
  maps: [Int32Array, Int32Array, Int32Array];
}

export function padSpec(dims: readonly number[], before: readonly number[], after: readonly number[], mode: PaddingMode): PadSpec {
  const lead = 3 - (dims.length - 2);
  const size = [1, 1, 1] as [number, number, number];
  const maps: Int32Array[] = [];
  for (let axis = 0; axis < 3; axis++) {
    const k = axis - lead;
    size[axis] = k >= 0 ? dims[2 + k] : 1;
    maps.push(k >= 0 ? borderMap(size[axis], before[k], after[k], mode) : Int32Array.of(0));
  }
  return { planes: dims[0] * dims[1], size, maps: maps as PadSpec['maps'] };
}

/** The padded tensor's shape. */
export function paddedShape(dims: readonly number[], spec: PadSpec): number[] {
  const rank = dims.length - 2;
  return [dims[0], dims[1], ...spec.maps.slice(3 - rank).map((m) => m.length)];
}

/** Visits (padded index, source index) for every padded element that copies one. */
function forEachCopy(spec: PadSpec, visit: (padded: number, source: number) => void): void {
  const [D, H, W] = spec.size;
  const [md, mh, mw] = spec.maps;
  const PD = md.length, PH = mh.length, PW = mw.length;
  for (let plane = 0; plane < spec.planes; plane++) {
    for (let z = 0; z < PD; z++) {
      const sz = md[z];
      if (sz < 0) continue;
      for (let y = 0; y < PH; y++) {
        const sy = mh[y];
        if (sy < 0) continue;
        const src = ((plane * D + sz) * H + sy) * W;
        const dst = ((plane * PD + z) * PH + y) * PW;
        for (let x = 0; x < PW; x++) {
          const sx = mw[x];
          if (sx >= 0) visit(dst + x, src + sx);
        }
      }
    }
  }
}

function paddedSize(spec: PadSpec): number {
  return spec.planes * spec.maps[0].length * spec.maps[1].length * spec.maps[2].length;
}

/** The padded data (no autograd). */
export function padData(x: Float32Array, spec: PadSpec): Float32Array {
  const out = allocFloats(paddedSize(spec));
  forEachCopy(spec, (padded, source) => { out[padded] = x[source]; });
  return out;
}

/** The adjoint: every padded element's gradient is added to the element it copied. */
export function padBackward(g: Float32Array, spec: PadSpec): Float32Array {
  const gx = allocFloats(spec.planes * spec.size[0] * spec.size[1] * spec.size[2]);
  forEachCopy(spec, (padded, source) => { gx[source] += g[padded]; });
  return gx;
}

/** Pads `x` (laid out as `dims`); differentiable. */
export function pad(x: Tensor, dims: readonly number[], before: readonly number[], after: readonly number[], mode: PaddingMode): Tensor {
  const spec = padSpec(dims, before, after, mode);
  const out = Tensor._wrap(padData(x.data, spec), paddedShape(dims, spec));
  return record(out, 'pad', [x], (g) => [padBackward(g, spec)]);
}
