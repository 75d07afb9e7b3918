/**
 * The pure-TypeScript reference of every convolution kernel: plain loops, each output
 * element gathered in float64. It is the oracle for the parity tests and a fallback
 * backend (`setBackend('reference')`). Written as gathers, unlike the native row
 * updates, so that the two formulations check each other.
 */
import type { ConvGeometry } from '../geometry';

export function conv2dForwardReference(
  g: ConvGeometry, input: Float32Array, weight: Float32Array,
  bias: Float32Array | null, output: Float32Array,
): void {
  const { batch: N, inChannels: C, inHeight: H, inWidth: W, outChannels: O } = g;
  const { kernelHeight: KH, kernelWidth: KW, outHeight: OH, outWidth: OW } = g;
  const Cg = C / g.groups, Og = O / g.groups;
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      const group = Math.floor(o / Og);
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let acc = bias === null ? 0 : bias[o];
          for (let c = 0; c < Cg; c++) {
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * g.strideH - g.padTop + kh * g.dilationH;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * g.strideW - g.padLeft + kw * g.dilationW;
                // A padded tap reads a real zero: 0 · ±∞ is NaN, as in PyTorch.
                const x = ih < 0 || ih >= H || iw < 0 || iw >= W ? 0 : input[((n * C + group * Cg + c) * H + ih) * W + iw];
                acc += x * weight[((o * Cg + c) * KH + kh) * KW + kw];
              }
            }
          }
          output[((n * O + o) * OH + oh) * OW + ow] = acc;
        }
      }
    }
  }
}

export function conv2dBackwardDataReference(
  g: ConvGeometry, gradOutput: Float32Array, weight: Float32Array, gradInput: Float32Array,
): void {
  const { batch: N, inChannels: C, inHeight: H, inWidth: W, outChannels: O } = g;
  const { kernelHeight: KH, kernelWidth: KW, outHeight: OH, outWidth: OW } = g;
  const Cg = C / g.groups, Og = O / g.groups;
  for (let n = 0; n < N; n++) {
    for (let channel = 0; channel < C; channel++) {
      const group = Math.floor(channel / Cg), c = channel % Cg;
      for (let ih = 0; ih < H; ih++) {
        for (let iw = 0; iw < W; iw++) {
          let acc = 0;
          for (let o = group * Og; o < (group + 1) * Og; o++) {
            for (let kh = 0; kh < KH; kh++) {
              const th = ih + g.padTop - kh * g.dilationH;
              if (th < 0 || th % g.strideH !== 0 || th / g.strideH >= OH) continue;
              const oh = th / g.strideH;
              for (let kw = 0; kw < KW; kw++) {
                const tw = iw + g.padLeft - kw * g.dilationW;
                if (tw < 0 || tw % g.strideW !== 0 || tw / g.strideW >= OW) continue;
                const ow = tw / g.strideW;
                acc +=
                  gradOutput[((n * O + o) * OH + oh) * OW + ow] *
                  weight[((o * Cg + c) * KH + kh) * KW + kw];
              }
            }
          }
          gradInput[((n * C + channel) * H + ih) * W + iw] = acc;
        }
      }
    }
  }
}

export function conv2dBackwardWeightReference(
  g: ConvGeometry, input: Float32Array, gradOutput: Float32Array, gradWeight: Float32Array,
): void {
  const { batch: N, inChannels: C, inHeight: H, inWidth: W, outChannels: O } = g;
  const { kernelHeight: KH, kernelWidth: KW, outHeight: OH, outWidth: OW } = g;
  const Cg = C / g.groups, Og = O / g.groups;
  for (let o = 0; o < O; o++) {
    const group = Math.floor(o / Og);
    for (let c = 0; c < Cg; c++) {
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) {
          let acc = 0;
          for (let n = 0; n < N; n++) {
            for (let oh = 0; oh < OH; oh++) {
              const ih = oh * g.strideH - g.padTop + kh * g.dilationH;
              for (let ow = 0; ow < OW; ow++) {
                const iw = ow * g.strideW - g.padLeft + kw * g.dilationW;
                // The forward's padded zeros are real zeros here too (0 · ±∞ = NaN).
                const x = ih < 0 || ih >= H || iw < 0 || iw >= W ? 0 : input[((n * C + group * Cg + c) * H + ih) * W + iw];
                acc += gradOutput[((n * O + o) * OH + oh) * OW + ow] * x;
              }
            }
          }
          gradWeight[((o * Cg + c) * KH + kh) * KW + kw] = acc;
        }
      }
    }
  }
}

export function conv2dBackwardBiasReference(
  g: ConvGeometry, gradOutput: Float32Array, gradBias: Float32Array,
): void {
  const plane = g.outHeight * g.outWidth;
  for (let o = 0; o < g.outChannels; o++) {
    let acc = 0;
    for (let n = 0; n < g.batch; n++) {
      const start = (n * g.outChannels + o) * plane;
      for (let i = 0; i < plane; i++) acc += gradOutput[start + i];
    }
    gradBias[o] = acc;
  }
}
