import { packParams } from './param-blocks';

/**
 * The geometry the kernels see: sizes after any explicit (non-zero) padding, with the
 * remaining zero padding given by its front, top and left amounts. conv1d and conv2d
 * have depth 1 (and conv1d height 1).
 */
export interface ConvGeometry {
  batch: number;
  inChannels: number;
  inDepth: number;
  inHeight: number;
  inWidth: number;
  outChannels: number;
  kernelDepth: number;
  kernelHeight: number;
  kernelWidth: number;
  outDepth: number;
  outHeight: number;
  outWidth: number;
  strideD: number;
  strideH: number;
  strideW: number;
  padFront: number;
  padTop: number;
  padLeft: number;
  dilationD: number;
  dilationH: number;
  dilationW: number;
  groups: number;
  /** packGeometry's result, kept with the geometry so that a reused plan packs once. */
  packed?: Float64Array;
}

export function inputSize(g: ConvGeometry): number {
  return g.batch * g.inChannels * g.inDepth * g.inHeight * g.inWidth;
}

export function outputSize(g: ConvGeometry): number {
  return g.batch * g.outChannels * g.outDepth * g.outHeight * g.outWidth;
}

export function weightSize(g: ConvGeometry): number {
  return g.outChannels * (g.inChannels / g.groups) * g.kernelDepth * g.kernelHeight * g.kernelWidth;
}

/** The geometry as the addon's conv block (packed by name: param-blocks.ts). */
export function packGeometry(g: ConvGeometry): Float64Array {
  return (g.packed ??= packParams('conv', g));
}
