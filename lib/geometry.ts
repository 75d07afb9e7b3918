/**
 * The geometry the kernels see: sizes after any explicit (non-zero) padding, with the
 * remaining zero padding given by its top and left amounts.
 */
export interface ConvGeometry {
  batch: number;
  inChannels: number;
  inHeight: number;
  inWidth: number;
  outChannels: number;
  kernelHeight: number;
  kernelWidth: number;
  outHeight: number;
  outWidth: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
  dilationH: number;
  dilationW: number;
  groups: number;
  /** packGeometry's result, kept with the geometry so that a reused plan packs once. */
  packed?: Float64Array;
}

export function inputSize(g: ConvGeometry): number {
  return g.batch * g.inChannels * g.inHeight * g.inWidth;
}

export function outputSize(g: ConvGeometry): number {
  return g.batch * g.outChannels * g.outHeight * g.outWidth;
}

export function weightSize(g: ConvGeometry): number {
  return g.outChannels * (g.inChannels / g.groups) * g.kernelHeight * g.kernelWidth;
}

/** The geometry packed in native/kernels/conv_params.h field order. */
export function packGeometry(g: ConvGeometry): Float64Array {
  return (g.packed ??= Float64Array.of(
    g.batch, g.inChannels, g.inHeight, g.inWidth, g.outChannels, g.kernelHeight,
    g.kernelWidth, g.outHeight, g.outWidth, g.strideH, g.strideW, g.padTop, g.padLeft,
    g.dilationH, g.dilationW, g.groups,
  ));
}
