/**
 * The pure-TypeScript reference of the per-channel kernels (native/kernels/loops/
 * channel_norm.h) that normalisation layers are made of. A tensor is seen as
 * [outer, channels, inner]: (N, C, H·W) for a BatchNorm2d input, (1, rows, features)
 * for a LayerNorm. Written from the formulas in float64 (two passes for the variance),
 * each result rounded to float32 once.
 */

export interface ChannelLayout {
  readonly outer: number;
  readonly channels: number;
  readonly inner: number;
}

/** Calls visit(index) for every element of channel c, in memory order. */
function forChannel(l: ChannelLayout, c: number, visit: (i: number) => void): void {
  for (let o = 0; o < l.outer; o++) {
    const start = (o * l.channels + c) * l.inner;
    for (let s = 0; s < l.inner; s++) visit(start + s);
  }
}

/** mean[c] and the biased variance[c] of x over outer × inner. */
export function channelMomentsReference(l: ChannelLayout, x: Float32Array, mean: Float32Array, variance: Float32Array): void {
  const count = l.outer * l.inner;
  for (let c = 0; c < l.channels; c++) {
    let sum = 0;
    forChannel(l, c, (i) => { sum += x[i]; });
    const m = sum / count;
    let squares = 0;
    forChannel(l, c, (i) => { squares += (x[i] - m) ** 2; });
    mean[c] = m;
    variance[c] = squares / count;
  }
}

/** sumG[c] = Σ g, sumGX[c] = Σ g·(x − mean[c]) over outer × inner. */
export function channelGradSumsReference(l: ChannelLayout, g: Float32Array, x: Float32Array, mean: Float32Array,
  sumG: Float32Array, sumGX: Float32Array): void {
  for (let c = 0; c < l.channels; c++) {
    let sg = 0, sgx = 0;
    forChannel(l, c, (i) => {
      sg += g[i];
      sgx += g[i] * (x[i] - mean[c]);
    });
    sumG[c] = sg;
    sumGX[c] = sgx;
  }
}

/** The terms of out = a[c]·u + b[c]·(v − m[c]) + d[c]; u (with a) or v (with b, m) may be absent. */
export interface ChannelAffineTerms {
  readonly u?: Float32Array;
  readonly a?: Float32Array;
  readonly v?: Float32Array;
  readonly b?: Float32Array;
  readonly m?: Float32Array;
  readonly d: Float32Array;
}

export function channelAffineReference(l: ChannelLayout, t: ChannelAffineTerms, out: Float32Array): void {
  const { u, a, v, b, m, d } = t;
  for (let c = 0; c < l.channels; c++) {
    forChannel(l, c, (i) => {
      let value = d[c];
      if (u) value += a![c] * u[i];
      if (v) value += b![c] * (v[i] - m![c]);
      out[i] = value;
    });
  }
}
