/**
 * The book's single-channel cross-correlations (valid mode) in one, two and three
 * dimensions, and true 2-D convolution, which is cross-correlation with the kernel
 * rotated by 180°. All differentiable in both arguments.
 */
import { record } from '../autograd';
import { ShapeError } from '../errors';
import { Tensor, assertTensor } from '../tensor';
import { formatShape, message } from '../validate';
import { conv1d } from './conv1d';
import { conv2d } from './conv2d';
import { conv3d } from './conv3d';

const AXES: Record<number, string> = { 1: '1-D (length)', 2: '2-D (height, width)', 3: '3-D (depth, height, width)' };

function expectRank(fn: string, name: string, value: unknown, rank: number): Tensor {
  assertTensor(fn, name, value);
  if (value.shape.length !== rank || value.size === 0) {
    throw new ShapeError(message(fn, name, `a non-empty ${AXES[rank]} tensor`, `shape ${formatShape(value.shape)}`));
  }
  return value;
}

function correlate(fn: string, rank: 1 | 2 | 3, X: Tensor, K: Tensor): Tensor {
  const names = rank === 1 ? ['x', 'k'] : ['X', 'K'];
  expectRank(fn, names[0], X, rank);
  expectRank(fn, names[1], K, rank);
  if (K.shape.some((k, i) => k > X.shape[i])) {
    throw new ShapeError(message(fn, names[1], `no larger than ${names[0]} (${X.shape.join(' × ')})`, `shape ${formatShape(K.shape)}`));
  }
  const conv = rank === 1 ? conv1d : rank === 2 ? conv2d : conv3d;
  const out = conv(X.reshape([1, 1, ...X.shape]), K.reshape([1, 1, ...K.shape]));
  return out.reshape(X.shape.map((x, i) => x - K.shape[i] + 1));
}

/** y[i] = Σ_a x[i + a] · k[a]. */
export function corr1d(x: Tensor, k: Tensor): Tensor {
  return correlate('corr1d', 1, x, k);
}

/** Y[i, j] = Σ_a Σ_b X[i + a, j + b] · K[a, b]. */
export function corr2d(X: Tensor, K: Tensor): Tensor {
  return correlate('corr2d', 2, X, K);
}

/** Y[i, j, l] = Σ_a Σ_b Σ_c X[i + a, j + b, l + c] · K[a, b, c]. */
export function corr3d(X: Tensor, K: Tensor): Tensor {
  return correlate('corr3d', 3, X, K);
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
  expectRank('convolve2d', 'X', X, 2);
  expectRank('convolve2d', 'K', K, 2);
  return corr2d(X, flip2d(K));
}
