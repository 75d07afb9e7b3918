/**
 * Data augmentation for DataLoader (torchvision.transforms' batch-wise counterparts):
 * functions of an (N, C, H, W) batch and a seeded generator, returning a new batch (the
 * input is not changed). DataLoader seeds each batch's generator from its seed, the
 * epoch and the batch index, so augmented runs replay exactly.
 */
import { ShapeError } from '../errors';
import { Tensor, assertTensor } from '../tensor';
import { formatShape, is, message, rangeError, typeError } from '../validate';

/** A batch transform; `random.uniform()` draws from [0, 1). */
export type Transform = (batch: Tensor, random: { uniform(): number }) => Tensor;

function planes(fn: string, batch: Tensor): [number, number, number, number] {
  assertTensor(fn, 'batch', batch);
  if (batch.shape.length !== 4) throw new ShapeError(message(fn, 'batch.shape', '4-D (N, C, H, W)', formatShape(batch.shape)));
  return batch.shape as unknown as [number, number, number, number];
}

/**
 * A random size × size (or [h, w]) crop of each sample, after zero padding of `padding`
 * on every side (the classic CIFAR/MNIST augmentation: randomCrop(28, { padding: 4 })).
 */
export function randomCrop(size: number | readonly [number, number], options?: { padding?: number }): Transform {
  const fn = 'randomCrop';
  const [h, w] = typeof size === 'number' ? [size, size] : size;
  if (!is.positiveInteger(h) || !is.positiveInteger(w)) throw typeError(fn, 'size', 'a positive integer or a pair of them', size);
  const padding = options?.padding ?? 0;
  if (!is.nonNegativeInteger(padding)) throw rangeError(fn, 'options.padding', 'a non-negative integer', padding);
  return (batch, random) => {
    const [N, C, H, W] = planes(fn, batch);
    const paddedH = H + 2 * padding, paddedW = W + 2 * padding;
    if (h > paddedH || w > paddedW) {
      throw new ShapeError(message(fn, 'size', `at most the padded sample ${paddedH} × ${paddedW}`, `${h} × ${w}`));
    }
    const out = new Float32Array(N * C * h * w);
    for (let n = 0; n < N; n++) {
      // The crop's corner in padded coordinates.
      const top = Math.floor(random.uniform() * (paddedH - h + 1)) - padding;
      const left = Math.floor(random.uniform() * (paddedW - w + 1)) - padding;
      for (let c = 0; c < C; c++) {
        const src = (n * C + c) * H * W, dst = (n * C + c) * h * w;
        for (let y = 0; y < h; y++) {
          const sy = top + y;
          if (sy < 0 || sy >= H) continue;
          const x0 = Math.max(0, -left), x1 = Math.min(w, W - left);
          if (x1 > x0) out.set(batch.data.subarray(src + sy * W + left + x0, src + sy * W + left + x1), dst + y * w + x0);
        }
      }
    }
    return new Tensor(out, [N, C, h, w]);
  };
}

/** Each sample mirrored left-right with probability p (default 0.5). */
export function randomHorizontalFlip(p = 0.5): Transform {
  const fn = 'randomHorizontalFlip';
  if (!(is.finite(p) && p >= 0 && p <= 1)) throw rangeError(fn, 'p', 'a probability in [0, 1]', p);
  return (batch, random) => {
    const [N, C, H, W] = planes(fn, batch);
    const out = batch.data.slice();
    for (let n = 0; n < N; n++) {
      if (!(random.uniform() < p)) continue;
      for (let row = n * C * H; row < (n + 1) * C * H; row++) out.subarray(row * W, (row + 1) * W).reverse();
    }
    return new Tensor(out, [N, C, H, W]);
  };
}

/** (x − mean[c]) / std[c] per channel. */
export function normalize(mean: readonly number[], std: readonly number[]): Transform {
  const fn = 'normalize';
  if (!Array.isArray(mean) || !mean.every(is.finite)) throw typeError(fn, 'mean', 'an array of numbers (one per channel)', mean);
  if (!Array.isArray(std) || std.length !== mean.length || !std.every((s) => is.finite(s) && s > 0)) {
    throw typeError(fn, 'std', `an array of ${mean.length} positive numbers`, std);
  }
  return (batch) => {
    const [N, C, H, W] = planes(fn, batch);
    if (C !== mean.length) throw new ShapeError(message(fn, 'batch.shape[1]', `${mean.length} channels (mean and std)`, String(C)));
    const out = new Float32Array(batch.size);
    const plane = H * W;
    for (let i = 0; i < N * C; i++) {
      const c = i % C;
      for (let k = i * plane; k < (i + 1) * plane; k++) out[k] = (batch.data[k] - mean[c]) / std[c];
    }
    return new Tensor(out, [N, C, H, W]);
  };
}

/** The transforms applied in order. */
export function compose(...transforms: Transform[]): Transform {
  transforms.forEach((t, i) => {
    if (typeof t !== 'function') throw typeError('compose', `transforms[${i}]`, 'a transform (a function)', t);
  });
  return (batch, random) => transforms.reduce((b, t) => t(b, random), batch);
}
