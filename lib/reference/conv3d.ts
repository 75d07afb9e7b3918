/**
 * The pure-TypeScript reference of the 3-D kernels (conv3d; conv1d and conv2d use
 * reference/conv2d.ts): plain gathers with float64 accumulation, as there.
 */
import type { ConvGeometry } from '../geometry';

/**
 * Visits every (output position, tap) pair; `inp` is −1 where the tap reads padding (a
 * real zero: the forward and weight gradient multiply it, the data gradient has no
 * element to send to).
 */
function forEachTap(
  g: ConvGeometry,
  visit: (n: number, o: number, c: number, out: number, inp: number, w: number) => void,
): void {
  const { batch: N, inChannels: C, outChannels: O, groups: G } = g;
  const Cg = C / G, Og = O / G;
  const [ID, IH, IW] = [g.inDepth, g.inHeight, g.inWidth];
  const [OD, OH, OW] = [g.outDepth, g.outHeight, g.outWidth];
  const [KD, KH, KW] = [g.kernelDepth, g.kernelHeight, g.kernelWidth];
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++) {
      const group = Math.floor(o / Og);
      for (let od = 0; od < OD; od++)
        for (let oh = 0; oh < OH; oh++)
          for (let ow = 0; ow < OW; ow++) {
            const out = (((n * O + o) * OD + od) * OH + oh) * OW + ow;
            for (let c = 0; c < Cg; c++)
              for (let kd = 0; kd < KD; kd++) {
                const id = od * g.strideD - g.padFront + kd * g.dilationD;
                for (let kh = 0; kh < KH; kh++) {
                  const ih = oh * g.strideH - g.padTop + kh * g.dilationH;
                  for (let kw = 0; kw < KW; kw++) {
                    const iw = ow * g.strideW - g.padLeft + kw * g.dilationW;
                    const channel = group * Cg + c;
                    const inside = id >= 0 && id < ID && ih >= 0 && ih < IH && iw >= 0 && iw < IW;
                    visit(n, o, channel, out, inside ? (((n * C + channel) * ID + id) * IH + ih) * IW + iw : -1,
                      (((o * Cg + c) * KD + kd) * KH + kh) * KW + kw);
                  }
                }
              }
          }
    }
}

export function conv3dForwardReference(
  g: ConvGeometry, input: Float32Array, weight: Float32Array, bias: Float32Array | null, output: Float32Array,
): void {
  const acc = new Float64Array(output.length);
  const plane = g.outDepth * g.outHeight * g.outWidth;
  if (bias) for (let i = 0; i < acc.length; i++) acc[i] = bias[Math.floor(i / plane) % g.outChannels];
  forEachTap(g, (_n, _o, _c, out, inp, w) => { acc[out] += (inp < 0 ? 0 : input[inp]) * weight[w]; });
  output.set(acc);
}

export function conv3dBackwardDataReference(
  g: ConvGeometry, gradOutput: Float32Array, weight: Float32Array, gradInput: Float32Array,
): void {
  const acc = new Float64Array(gradInput.length);
  forEachTap(g, (_n, _o, _c, out, inp, w) => { if (inp >= 0) acc[inp] += gradOutput[out] * weight[w]; });
  gradInput.set(acc);
}

export function conv3dBackwardWeightReference(
  g: ConvGeometry, input: Float32Array, gradOutput: Float32Array, gradWeight: Float32Array,
): void {
  const acc = new Float64Array(gradWeight.length);
  forEachTap(g, (_n, _o, _c, out, inp, w) => { acc[w] += gradOutput[out] * (inp < 0 ? 0 : input[inp]); });
  gradWeight.set(acc);
}

export function conv3dBackwardBiasReference(g: ConvGeometry, gradOutput: Float32Array, gradBias: Float32Array): void {
  const plane = g.outDepth * g.outHeight * g.outWidth;
  const acc = new Float64Array(g.outChannels);
  for (let i = 0; i < gradOutput.length; i++) acc[Math.floor(i / plane) % g.outChannels] += gradOutput[i];
  gradBias.set(acc);
}
