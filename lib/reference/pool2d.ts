/**
 * The pure-TypeScript reference of the pooling kernels: each output gathered from its
 * window; the backward passes as gathers over the windows that cover each input, unlike
 * the native scatters, so the two formulations check each other.
 */

/** One pooling over `planes` (N·C) planes; padding is −∞ for max, zeros for average. */
export interface PoolGeometry {
  planes: number;
  inHeight: number;
  inWidth: number;
  kernelHeight: number;
  kernelWidth: number;
  strideH: number;
  strideW: number;
  padTop: number;
  padLeft: number;
  outHeight: number;
  outWidth: number;
  /** Average: divide by the window clipped to the padded input (PyTorch's default). */
  countIncludePad: boolean;
  /** packPoolGeometry's result, kept so a reused plan packs once. */
  packed?: Float64Array;
}

/** First and one-past-last window row of output row `o` inside [0, size). */
function span(o: number, stride: number, pad: number, kernel: number, size: number): [number, number] {
  const start = o * stride - pad;
  return [Math.max(start, 0), Math.min(start + kernel, size)];
}

export function maxPool2dReference(g: PoolGeometry, input: Float32Array, output: Float32Array, indices: Int32Array): void {
  const { inHeight: H, inWidth: W, outHeight: OH, outWidth: OW } = g;
  for (let plane = 0; plane < g.planes; plane++) {
    for (let oh = 0; oh < OH; oh++) {
      const [h0, h1] = span(oh, g.strideH, g.padTop, g.kernelHeight, H);
      for (let ow = 0; ow < OW; ow++) {
        const [w0, w1] = span(ow, g.strideW, g.padLeft, g.kernelWidth, W);
        let best = -Infinity;
        let at = h0 * W + w0;
        for (let h = h0; h < h1; h++) {
          for (let w = w0; w < w1; w++) {
            const v = input[plane * H * W + h * W + w];
            if (v > best || (Number.isNaN(v) && !Number.isNaN(best))) {
              best = v;
              at = h * W + w;
            }
          }
        }
        output[(plane * OH + oh) * OW + ow] = best;
        indices[(plane * OH + oh) * OW + ow] = at;
      }
    }
  }
}

/**
 * The backward passes as gathers: gradInput at (plane, h, w) is the sum, over the outputs
 * whose window covers (h, w), of `share(o, oh, ow, h, w)` (o: the output's flat index).
 */
function gatherBackward(g: PoolGeometry, gradInput: Float32Array, share: (o: number, oh: number, ow: number, h: number, w: number) => number): void {
  const { inHeight: H, inWidth: W, outHeight: OH, outWidth: OW } = g;
  for (let plane = 0; plane < g.planes; plane++) {
    for (let h = 0; h < H; h++) {
      for (let w = 0; w < W; w++) {
        let acc = 0;
        for (const oh of covering(h, g.strideH, g.padTop, g.kernelHeight, OH)) {
          for (const ow of covering(w, g.strideW, g.padLeft, g.kernelWidth, OW)) acc += share((plane * OH + oh) * OW + ow, oh, ow, h, w);
        }
        gradInput[plane * H * W + h * W + w] = acc;
      }
    }
  }
}

/** Each input's gradient: the sum of the outputs whose recorded index is that input. */
export function maxPool2dBackwardReference(g: PoolGeometry, gradOutput: Float32Array, indices: Int32Array, gradInput: Float32Array): void {
  gatherBackward(g, gradInput, (o, _oh, _ow, h, w) => (indices[o] === h * g.inWidth + w ? gradOutput[o] : 0));
}

function divisor(g: PoolGeometry, oh: number, ow: number): number {
  const [h0, h1] = span(oh, g.strideH, g.padTop, g.kernelHeight, g.inHeight);
  const [w0, w1] = span(ow, g.strideW, g.padLeft, g.kernelWidth, g.inWidth);
  if (!g.countIncludePad) return (h1 - h0) * (w1 - w0);
  const hs = oh * g.strideH - g.padTop, ws = ow * g.strideW - g.padLeft;
  return (Math.min(hs + g.kernelHeight, g.inHeight + g.padTop) - hs) * (Math.min(ws + g.kernelWidth, g.inWidth + g.padLeft) - ws);
}

export function avgPool2dReference(g: PoolGeometry, input: Float32Array, output: Float32Array): void {
  const { inHeight: H, inWidth: W, outHeight: OH, outWidth: OW } = g;
  for (let plane = 0; plane < g.planes; plane++) {
    for (let oh = 0; oh < OH; oh++) {
      const [h0, h1] = span(oh, g.strideH, g.padTop, g.kernelHeight, H);
      for (let ow = 0; ow < OW; ow++) {
        const [w0, w1] = span(ow, g.strideW, g.padLeft, g.kernelWidth, W);
        let acc = 0;
        for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) acc += input[plane * H * W + h * W + w];
        output[(plane * OH + oh) * OW + ow] = acc / divisor(g, oh, ow);
      }
    }
  }
}

export function avgPool2dBackwardReference(g: PoolGeometry, gradOutput: Float32Array, gradInput: Float32Array): void {
  gatherBackward(g, gradInput, (o, oh, ow) => gradOutput[o] / divisor(g, oh, ow));
}

/** The outputs o in [0, count) whose window (o·stride − pad, + kernel) covers position x. */
function covering(x: number, stride: number, pad: number, kernel: number, count: number): number[] {
  const out: number[] = [];
  for (let o = 0; o < count; o++) {
    const start = o * stride - pad;
    if (x >= start && x < start + kernel) out.push(o);
  }
  return out;
}
