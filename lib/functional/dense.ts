/**
 * The fully-connected view of a convolution (the chapter's starting point): the dense
 * matrix W, of shape (output size, input size), with W · vec(x) = vec(conv2d(x, weight)).
 * Its sparsity is locality, its repeated values are weight sharing.
 */
import { Tensor, assertTensor } from '../tensor';
import { MAX_ELEMENTS, rangeError, typeError } from '../validate';
import { type Conv2dOptions } from './conv2d';
import { CONV_OPTIONS, normalizeConvOptions, planConv } from './conv-options';
import { padSpec } from './pad';

/**
 * The dense matrix of conv2d (no bias) with `weight` and `options` applied to inputs of
 * `inputShape` ((C, H, W) or (N, C, H, W)); every padding mode is supported.
 */
export function conv2dAsDense(weight: Tensor, inputShape: readonly number[], options?: Conv2dOptions): Tensor {
  const fn = 'conv2dAsDense';
  if (!Array.isArray(inputShape) || !inputShape.every((d) => Number.isSafeInteger(d) && d > 0)) {
    throw typeError(fn, 'inputShape', 'an array of positive integers', inputShape);
  }
  assertTensor(fn, 'weight', weight);
  const plan = planConv(fn, 2, Tensor.zeros(inputShape), weight, null,
    normalizeConvOptions(fn, 2, options, CONV_OPTIONS));
  const [N, C, H, W] = [plan.batch, plan.inChannels, ...plan.inSize];
  const [O, OH, OW] = [plan.outChannels, ...plan.outSize];
  const [KH, KW] = plan.kernel;
  const rows = N * O * OH * OW, cols = N * C * H * W;
  if (rows * cols > MAX_ELEMENTS) {
    throw rangeError(fn, 'the dense matrix', `at most ${MAX_ELEMENTS} elements`, rows * cols);
  }
  // Where each padded position reads from (reflect, replicate and circular fold back in).
  const spec = padSpec([N, C, H, W], plan.before, plan.after, plan.paddingMode);
  const [, rowMap, colMap] = spec.maps;
  const G = plan.groups, Cg = C / G, Og = O / G;
  const dense = new Float32Array(rows * cols);
  for (let n = 0; n < N; n++)
    for (let o = 0; o < O; o++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          const row = ((n * O + o) * OH + oh) * OW + ow;
          for (let c = 0; c < Cg; c++) {
            const channel = Math.floor(o / Og) * Cg + c;
            for (let kh = 0; kh < KH; kh++) {
              const sy = rowMap[oh * plan.stride[0] + kh * plan.dilation[0]];
              if (sy < 0) continue;
              for (let kw = 0; kw < KW; kw++) {
                const sx = colMap[ow * plan.stride[1] + kw * plan.dilation[1]];
                if (sx < 0) continue;
                const col = ((n * C + channel) * H + sy) * W + sx;
                dense[row * cols + col] += weight.data[((o * Cg + c) * KH + kh) * KW + kw];
              }
            }
          }
        }
  return new Tensor(dense, [rows, cols]);
}
