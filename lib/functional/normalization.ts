/**
 * Normalisation with PyTorch's semantics and defaults: batchNorm (F.batch_norm),
 * layerNorm (F.layer_norm), groupNorm (F.group_norm). All three are made of the same
 * three per-channel kernels (lib/reference/channel-norm.ts): moments over a layout, an
 * affine map with a centred term, and the two sums a normalisation's backward needs, so
 * each pass reads the data once. Validation lives here.
 */
import { allocFloats, allocGradient, allocResult } from '../alloc';
import { record } from '../autograd';
import { backend } from '../backend';
import { ArgumentTypeError, ShapeError } from '../errors';
import type { ChannelLayout } from '../reference/channel-norm';
import { Tensor, assertTensor } from '../tensor';
import { booleanOption, checkOptions, describe, formatShape, is, message, nonNegativeNumber, typeError } from '../validate';

export interface BatchNormOptions {
  /** Normalise by the batch's statistics and update the running ones (default false, as F.batch_norm). */
  training?: boolean;
  /** Weight of the batch in the running statistics' update (default 0.1). */
  momentum?: number;
  /** Added to the variance (default 1e-5). */
  eps?: number;
}

export interface NormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
}

const DEFAULT_EPS = 1e-5;

/** A (C) tensor or null/undefined (absent). */
function channelTensor(fn: string, name: string, value: unknown, channels: number): Tensor | null {
  if (value === undefined || value === null) return null;
  assertTensor(fn, name, value);
  if (value.shape.length !== 1 || value.shape[0] !== channels) {
    throw new ShapeError(message(fn, `${name}.shape`, `[${channels}] (one per channel)`, formatShape(value.shape)));
  }
  return value;
}

// Per-channel coefficients are computed in plain loops, each at its call site: one helper
// taking a closure per coefficient went megamorphic and boxed every value the closure
// returned (a third of a ResNet step's JavaScript allocation, each scavenge of it time
// the step waits).
const filled = (length: number, value: number) => allocFloats(length).fill(value);
function invStd(variance: Float32Array, eps: number): Float32Array {
  const out = allocFloats(variance.length);
  for (let c = 0; c < variance.length; c++) out[c] = 1 / Math.sqrt(variance[c] + eps);
  return out;
}

/** a[c]·b[c] per channel. */
function product(a: Float32Array, b: Float32Array): Float32Array {
  const out = allocFloats(a.length);
  for (let c = 0; c < a.length; c++) out[c] = a[c] * b[c];
  return out;
}

/**
 * Batch normalisation over (N, C, …): each channel normalised by the batch's mean and
 * biased variance (training) or by runningMean and runningVar (evaluation), then scaled
 * by weight and shifted by bias. In training the running statistics, where given, are
 * updated in place by PyTorch's rule: r ← (1 − momentum)·r + momentum·batch, with the
 * unbiased variance going into runningVar.
 */
export function batchNorm(
  input: Tensor, runningMean: Tensor | null, runningVar: Tensor | null,
  weight?: Tensor | null, bias?: Tensor | null, options?: BatchNormOptions,
): Tensor {
  const fn = 'batchNorm';
  assertTensor(fn, 'input', input);
  if (input.shape.length < 2) {
    throw new ShapeError(message(fn, 'input.shape', '(N, C, …) with at least 2 dimensions', formatShape(input.shape)));
  }
  const o = checkOptions(fn, options, ['training', 'momentum', 'eps']);
  const training = booleanOption(fn, 'options.training', o.training, false);
  const momentum = o.momentum ?? 0.1;
  if (!is.finite(momentum)) throw typeError(fn, 'options.momentum', 'a finite number', momentum);
  const eps = nonNegativeNumber(fn, 'options.eps', o.eps ?? DEFAULT_EPS);
  const [N, C] = input.shape;
  const rm = channelTensor(fn, 'runningMean', runningMean, C);
  const rv = channelTensor(fn, 'runningVar', runningVar, C);
  const w = channelTensor(fn, 'weight', weight, C);
  const b = channelTensor(fn, 'bias', bias, C);
  if (!training && (rm === null || rv === null)) {
    throw new ArgumentTypeError(message(fn, 'runningMean and runningVar', 'Tensors in evaluation mode (training: false)',
      `${describe(runningMean)} and ${describe(runningVar)}`));
  }
  const layout: ChannelLayout = { outer: N, channels: C, inner: C === 0 ? 0 : input.size / (N * C) };
  const count = layout.outer * layout.inner;
  if (training && count <= 1) {
    throw new ShapeError(message(fn, 'input.shape', 'more than 1 value per channel in training',
      `${formatShape(input.shape)} (${count} per channel)`));
  }

  let mean: Float32Array, variance: Float32Array;
  if (training) {
    mean = allocFloats(C);
    variance = allocFloats(C);
    backend().channelMoments(layout, input.data, mean, variance);
    const unbiased = count / (count - 1);
    if (rm !== null) for (let c = 0; c < C; c++) rm.data[c] = (1 - momentum) * rm.data[c] + momentum * mean[c];
    if (rv !== null) for (let c = 0; c < C; c++) rv.data[c] = (1 - momentum) * rv.data[c] + momentum * variance[c] * unbiased;
  } else {
    mean = rm!.data.slice(); // the statistics as they are now, for the backward pass
    variance = rv!.data;
  }
  const invstd = invStd(variance, eps);
  const scale = w === null ? invstd : product(invstd, w.data);
  const shift = b === null ? filled(C, 0) : b.data;
  const out = allocResult(input.size);
  backend().channelAffine(layout, { v: input.data, b: scale, m: mean, d: shift }, out);

  const x = input.data;
  const parents = [input, ...(w ? [w] : []), ...(b ? [b] : [])];
  return record(Tensor._wrap(out, [...input.shape]), fn, parents, (g) => {
    const wantWeightOrBias = (w?.requiresGrad ?? false) || (b?.requiresGrad ?? false);
    let sumG: Float32Array | null = null, sumGX: Float32Array | null = null;
    if (training || wantWeightOrBias) {
      sumG = allocFloats(C);
      sumGX = allocFloats(C);
      backend().channelGradSums(layout, g, x, mean, sumG, sumGX);
    }
    let gx: Float32Array | null = null;
    if (input.requiresGrad) {
      gx = allocGradient(input.size);
      if (training) {
        // dx = k·(g − Σg/M − x̂·Σ(g·x̂)/M), k = weight·invstd, x̂ = (x − mean)·invstd.
        const k = scale;
        const b2 = allocFloats(C), d = allocFloats(C);
        for (let c = 0; c < C; c++) {
          b2[c] = (-k[c] * invstd[c] * invstd[c] * sumGX![c]) / count;
          d[c] = (-k[c] * sumG![c]) / count;
        }
        backend().channelAffine(layout, { u: g, a: k, v: x, b: b2, m: mean, d }, gx);
      } else {
        backend().channelAffine(layout, { u: g, a: scale, d: filled(C, 0) }, gx);
      }
    }
    const grads: Array<Float32Array | null> = [gx];
    if (w) grads.push(w.requiresGrad ? product(sumGX!, invstd) : null);
    if (b) grads.push(b.requiresGrad ? sumG : null);
    return grads;
  });
}

/**
 * Normalises each of `rows` groups of `inner` consecutive elements (rowLayout: [1, rows,
 * inner]) by its own mean and biased variance, then applies weight and bias per channel
 * of perChannel (a [outer, channels, inner] view of the same data); layerNorm and
 * groupNorm are this with different groupings.
 */
function normalizeGroups(
  fn: string, input: Tensor, rowLayout: ChannelLayout, perChannel: ChannelLayout,
  w: Tensor | null, b: Tensor | null, eps: number,
): Tensor {
  const rows = rowLayout.channels, C = perChannel.channels;
  const mean = allocFloats(rows), variance = allocFloats(rows);
  backend().channelMoments(rowLayout, input.data, mean, variance);
  const invstd = invStd(variance, eps);
  const affine = w !== null || b !== null;
  const normalized = allocResult(input.size); // x̂, kept for the weight's gradient
  backend().channelAffine(rowLayout, { v: input.data, b: invstd, m: mean, d: filled(rows, 0) }, normalized);
  let out = normalized;
  if (affine) {
    out = allocResult(input.size);
    backend().channelAffine(perChannel, { u: normalized, a: w?.data ?? filled(C, 1), d: b?.data ?? filled(C, 0) }, out);
  }

  const x = input.data;
  const parents = [input, ...(w ? [w] : []), ...(b ? [b] : [])];
  return record(Tensor._wrap(out, [...input.shape]), fn, parents, (g) => {
    let gw: Float32Array | null = null, gb: Float32Array | null = null;
    if (w?.requiresGrad || b?.requiresGrad) {
      gb = allocFloats(C);
      gw = allocFloats(C);
      backend().channelGradSums(perChannel, g, normalized, filled(C, 0), gb, gw);
    }
    let gx: Float32Array | null = null;
    if (input.requiresGrad) {
      // ĝ = g·weight; dx = invstd·(ĝ − Σĝ/n − x̂·Σ(ĝ·x̂)/n) per row of n.
      let gHat = g;
      if (w !== null) {
        gHat = allocGradient(input.size);
        backend().channelAffine(perChannel, { u: g, a: w.data, d: filled(C, 0) }, gHat);
      }
      const sumG = allocFloats(rows), sumGX = allocFloats(rows);
      backend().channelGradSums(rowLayout, gHat, x, mean, sumG, sumGX);
      const n = rowLayout.inner;
      const b2 = allocFloats(rows), d = allocFloats(rows);
      for (let r = 0; r < rows; r++) {
        const s = invstd[r];
        b2[r] = (-s * s * s * sumGX[r]) / n;
        d[r] = (-s * sumG[r]) / n;
      }
      gx = allocGradient(input.size);
      backend().channelAffine(rowLayout, { u: gHat, a: invstd, v: x, b: b2, m: mean, d }, gx);
    }
    const grads: Array<Float32Array | null> = [gx];
    if (w) grads.push(w.requiresGrad ? gw : null);
    if (b) grads.push(b.requiresGrad ? gb : null);
    return grads;
  });
}

/** layerNorm's normalizedShape as an array, checked (LayerNorm checks it when built). */
export function checkNormalizedShape(fn: string, normalizedShape: unknown): number[] {
  const shape = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every(is.positiveInteger)) {
    throw typeError(fn, 'normalizedShape', 'a positive integer or a non-empty array of them', normalizedShape);
  }
  return shape.slice();
}

/**
 * Layer normalisation: each sample normalised over its last dimensions
 * (normalizedShape), then scaled and shifted element-wise by weight and bias of that
 * shape.
 */
export function layerNorm(
  input: Tensor, normalizedShape: number | readonly number[], weight?: Tensor | null, bias?: Tensor | null,
  options?: NormOptions,
): Tensor {
  const fn = 'layerNorm';
  assertTensor(fn, 'input', input);
  const shape = checkNormalizedShape(fn, normalizedShape);
  const trailing = input.shape.slice(input.shape.length - shape.length);
  if (shape.length > input.shape.length || shape.some((d, i) => d !== trailing[i])) {
    throw new ShapeError(message(fn, 'input.shape', `to end with normalizedShape ${formatShape(shape)}`, formatShape(input.shape)));
  }
  const eps = nonNegativeNumber(fn, 'options.eps', checkOptions(fn, options, ['eps']).eps ?? DEFAULT_EPS);
  const features = shape.reduce((a, d) => a * d, 1);
  const elementwise = (name: string, value: unknown) => {
    if (value === undefined || value === null) return null;
    assertTensor(fn, name, value);
    if (value.shape.length !== shape.length || value.shape.some((d, i) => d !== shape[i])) {
      throw new ShapeError(message(fn, `${name}.shape`, formatShape(shape), formatShape(value.shape)));
    }
    return value;
  };
  const w = elementwise('weight', weight), b = elementwise('bias', bias);
  const rows = input.size / features;
  return normalizeGroups(fn, input, { outer: 1, channels: rows, inner: features },
    { outer: rows, channels: features, inner: 1 }, w, b, eps);
}

/**
 * Group normalisation over (N, C, …): the C channels of each sample split into numGroups
 * groups, each normalised over its channels and positions, then scaled and shifted per
 * channel by weight and bias (C).
 */
export function groupNorm(input: Tensor, numGroups: number, weight?: Tensor | null, bias?: Tensor | null, options?: NormOptions): Tensor {
  const fn = 'groupNorm';
  assertTensor(fn, 'input', input);
  if (input.shape.length < 2) {
    throw new ShapeError(message(fn, 'input.shape', '(N, C, …) with at least 2 dimensions', formatShape(input.shape)));
  }
  if (!is.positiveInteger(numGroups)) throw typeError(fn, 'numGroups', 'a positive integer', numGroups);
  const [N, C] = input.shape;
  if (C % numGroups !== 0) {
    throw new ShapeError(message(fn, 'input.shape[1]', `a multiple of numGroups (${numGroups})`, String(C)));
  }
  const eps = nonNegativeNumber(fn, 'options.eps', checkOptions(fn, options, ['eps']).eps ?? DEFAULT_EPS);
  const w = channelTensor(fn, 'weight', weight, C), b = channelTensor(fn, 'bias', bias, C);
  const inner = N * C === 0 ? 0 : input.size / (N * C);
  return normalizeGroups(fn, input, { outer: 1, channels: N * numGroups, inner: (C / numGroups) * inner },
    { outer: N, channels: C, inner }, w, b, eps);
}
