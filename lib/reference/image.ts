/**
 * Pure-TS references of the image kernels (native/kernels/image.cc, loops/filter8.h):
 * interleaved pixels to colour planes and back, the fused 8-bit filter, the alpha
 * channel's restore, the border pass of the float filters and the gradient magnitude.
 */

/** planesFromPixels: the first `colour` channels as planes, channel `alphaChannel` (if ≥ 0) as bytes. */
export interface PlanesFromPixelsCall { pixels: number; channels: number; colour: number; alphaChannel: number }
/** pixelsFromPlanes: |v| first where `abs`, then + offset, rounded (half to even) or truncated, clamped to [0, 255]. */
export interface PixelsFromPlanesCall { pixels: number; colour: number; abs: boolean; offset: number; round: boolean }
/** filter8: a kh × kw kernel over rows of `rowElements` bytes, taps `channels` elements apart. */
export interface Filter8Call {
  height: number; rowElements: number; channels: number; kernelHeight: number; kernelWidth: number;
  padTop: number; padLeftPixels: number; abs: boolean; offset: number;
}
export interface RestoreAlphaCall { pixels: number; channels: number }
/** filterBorder: the outputs whose window leaves the planes, through the border maps. */
export interface FilterBorderCall { planes: number; height: number; width: number; kernelHeight: number; kernelWidth: number; padTop: number; padLeft: number }

/** Round to nearest, ties to even (the kernels' rounding mode). */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function planesFromPixelsReference(c: PlanesFromPixelsCall, src: Uint8Array, planes: Float32Array | null, alpha: Uint8Array | null): void {
  const { pixels, channels, colour, alphaChannel } = c;
  for (let i = 0; i < pixels; i++) {
    if (planes) for (let k = 0; k < colour; k++) planes[k * pixels + i] = src[i * channels + k];
    if (alpha) alpha[i] = src[i * channels + alphaChannel];
  }
}

export function pixelsFromPlanesReference(c: PixelsFromPlanesCall, planes: Float32Array, alpha: Uint8Array | null, out: Uint8Array): void {
  const { pixels, colour } = c;
  const channels = colour + (alpha ? 1 : 0);
  for (let i = 0; i < pixels; i++) {
    for (let k = 0; k < colour; k++) {
      const v = Math.fround(Math.fround(c.abs ? Math.abs(planes[k * pixels + i]) : planes[k * pixels + i]) + Math.fround(c.offset));
      out[i * channels + k] = !(v > 0) ? 0 : v >= 255 ? 255 : c.round ? roundHalfEven(v) : Math.trunc(v);
    }
    if (alpha) out[i * channels + colour] = alpha[i];
  }
}

export function filter8Reference(c: Filter8Call, weights: Float32Array, rowMap: Int32Array, colMap: Int32Array, src: Uint8Array, dst: Uint8Array): void {
  const { height: H, rowElements: L, channels: C, kernelHeight: KH, kernelWidth: KW } = c;
  for (let oh = 0; oh < H; oh++) {
    for (let ow = 0; ow < L; ow++) {
      // One float32 rounding per tap, as a fused multiply-add (weight × byte is exact in a double).
      let acc = 0;
      for (let i = 0; i < KH; i++) {
        const sh = rowMap[oh + i];
        if (sh < 0) continue;
        for (let j = 0; j < KW; j++) {
          const se = colMap[ow + j * C];
          if (se >= 0) acc = Math.fround(acc + weights[i * KW + j] * src[sh * L + se]);
        }
      }
      const v = Math.fround((c.abs ? Math.abs(acc) : acc) + Math.fround(c.offset));
      dst[oh * L + ow] = !(v > 0) ? 0 : v >= 255 ? 255 : roundHalfEven(v);
    }
  }
}

export function restoreAlphaReference(c: RestoreAlphaCall, src: Uint8Array, dst: Uint8Array): void {
  for (let i = 0; i < c.pixels; i++) dst[i * c.channels + c.channels - 1] = src[i * c.channels + c.channels - 1];
}

export function filterBorderReference(c: FilterBorderCall, weight: Float32Array, rows: Int32Array, cols: Int32Array, x: Float32Array, out: Float32Array): void {
  const { planes, height: H, width: W, kernelHeight: kh, kernelWidth: kw, padTop, padLeft } = c;
  const inside = (oh: number, ow: number) => oh >= padTop && oh < H - (kh - 1 - padTop) && ow >= padLeft && ow < W - (kw - 1 - padLeft);
  for (let plane = 0; plane < planes; plane++) {
    const base = plane * H * W, taps = weight.subarray(plane * kh * kw, (plane + 1) * kh * kw);
    for (let oh = 0; oh < H; oh++) {
      for (let ow = 0; ow < W; ow++) {
        if (inside(oh, ow)) continue;
        let acc = 0;
        for (let i = 0; i < kh; i++) {
          const sh = rows[oh + i];
          if (sh < 0) continue;
          for (let j = 0; j < kw; j++) {
            const sw = cols[ow + j];
            if (sw >= 0) acc += taps[i * kw + j] * x[base + sh * W + sw];
          }
        }
        out[base + oh * W + ow] = acc;
      }
    }
  }
}

export function magnitudeReference(gx: Float32Array, gy: Float32Array, out: Float32Array): void {
  for (let i = 0; i < gx.length; i++) out[i] = Math.sqrt(gx[i] * gx[i] + gy[i] * gy[i]);
}
