/**
 * The book's two-dimensional cross-correlation of one image with one kernel (valid
 * mode), and true convolution, which is the same with the kernel rotated by 180°.
 */
import { record } from '../autograd';
import { ShapeError } from '../errors';
import { Tensor } from '../tensor';
import { formatShape, message, typeError } from '../validate';
import { conv2d } from './conv2d';

function expect2d(fn: string, name: string, value: unknown): Tensor {
  if (!(value instanceof Tensor)) throw typeError(fn, name, 'a Tensor', value);
  if (value.shape.length !== 2 || value.size === 0) {
    throw new ShapeError(message(fn, name, 'a non-empty 2-D (height, width) tensor', `shape ${formatShape(value.shape)}`));
  }
  return value;
}

/** Y[i, j] = Σ_a Σ_b X[i + a, j + b] · K[a, b]; differentiable in X and K. */
export function corr2d(X: Tensor, K: Tensor): Tensor {
  const fn = 'corr2d';
  expect2d(fn, 'X', X);
  expect2d(fn, 'K', K);
  const [H, W] = X.shape;
  const [kh, kw] = K.shape;
  if (kh > H || kw > W) {
    throw new ShapeError(message(fn, 'K', `no larger than X (${H} × ${W})`, `shape ${formatShape(K.shape)}`));
  }
  return conv2d(X.reshape([1, 1, H, W]), K.reshape([1, 1, kh, kw])).reshape([H - kh + 1, W - kw + 1]);
}

/** The kernel rotated by 180°; its gradient is rotated back. */
export function flip2d(K: Tensor): Tensor {
  const [kh, kw] = K.shape;
  const rotate = (src: Float32Array): Float32Array => {
    const out = new Float32Array(src.length);
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) out[i * kw + j] = src[(kh - 1 - i) * kw + (kw - 1 - j)];
    }
    return out;
  };
  return record(new Tensor(rotate(K.data), K.shape), 'flip2d', [K], (g) => [rotate(g)]);
}

/** True 2-D convolution (valid mode): corr2d with the kernel rotated by 180°. */
export function convolve2d(X: Tensor, K: Tensor): Tensor {
  expect2d('convolve2d', 'X', X);
  expect2d('convolve2d', 'K', K);
  return corr2d(X, flip2d(K));
}
