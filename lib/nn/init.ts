/**
 * Parameter initialisation: the layers' default (uniformParameter), and PyTorch's
 * torch.nn.init functions, which fill a tensor in place from the global generator
 * (manualSeed) and return it (exported as `init`).
 */
import { ShapeError } from '../errors';
import { randomFor } from '../random';
import { Tensor, assertTensor } from '../tensor';
import { MAX_ELEMENTS, checkOptions, formatShape, is, message, oneOf, rangeError, typeError } from '../validate';

/**
 * A parameter drawn from U(-bound, bound), from the global generator (see manualSeed).
 * With bound = 1/√fanIn this is PyTorch's default for Linear and Conv weights
 * (kaiming_uniform with a = √5) and their biases.
 */
export function uniformParameter(fn: string, name: string, shape: number[], bound: number): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  if (size > MAX_ELEMENTS) throw rangeError(fn, `the size of ${name} [${shape.join(', ')}]`, `at most ${MAX_ELEMENTS} elements`, size);
  const random = randomFor(undefined);
  const data = new Float32Array(size);
  for (let i = 0; i < data.length; i++) data[i] = (random.uniform() * 2 - 1) * bound;
  return new Tensor(data, shape, { requiresGrad: true });
}

// ---- torch.nn.init: in-place initialisers (exported as `init`) ------------------------------

export type Nonlinearity = 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu' | 'selu';
const NONLINEARITIES: readonly Nonlinearity[] = ['linear', 'conv1d', 'conv2d', 'conv3d', 'sigmoid', 'tanh', 'relu', 'leakyRelu', 'selu'];

/** PyTorch's calculate_gain: the recommended scale of weights before `nonlinearity`. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (oneOf('calculateGain', 'nonlinearity', nonlinearity, NONLINEARITIES)) {
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'leakyRelu': {
      const slope = param ?? 0.01;
      if (!is.finite(slope)) throw typeError('calculateGain', 'param', 'a finite negative slope', param);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu': return 3 / 4;
    default: return 1;
  }
}

/** Fan-in and fan-out as PyTorch computes them: dims 1 and 0 times the receptive field. */
function fans(fn: string, t: Tensor): { fanIn: number; fanOut: number } {
  if (t.shape.length < 2) {
    throw new ShapeError(message(fn, 'tensor.shape', 'at least 2 dimensions (fan-in and fan-out)', formatShape(t.shape)));
  }
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: t.shape[1] * receptive, fanOut: t.shape[0] * receptive };
}

function fill(fn: string, t: Tensor, draw: () => number): Tensor {
  assertTensor(fn, 'tensor', t);
  for (let i = 0; i < t.data.length; i++) t.data[i] = draw();
  return t;
}

interface KaimingOptions {
  /** The negative slope of the leaky ReLU after this layer (default 0). */
  a?: number;
  /** Preserve the variance of the forward ('fanIn', default) or backward ('fanOut') pass. */
  mode?: 'fanIn' | 'fanOut';
  /** Default 'leakyRelu' (with a = 0: ReLU's gain). */
  nonlinearity?: Nonlinearity;
}

function kaimingStd(fn: string, t: Tensor, options: KaimingOptions | undefined): number {
  const o = checkOptions(fn, options, ['a', 'mode', 'nonlinearity']);
  const mode = oneOf(fn, 'options.mode', o.mode ?? 'fanIn', ['fanIn', 'fanOut'] as const);
  const { fanIn, fanOut } = fans(fn, t);
  return calculateGain((o.nonlinearity ?? 'leakyRelu') as Nonlinearity, (o.a as number | undefined) ?? 0) / Math.sqrt(mode === 'fanIn' ? fanIn : fanOut);
}

/** In place: U(−b, b) with b = gain·√(3 / fan) (He et al.). Returns the tensor. */
export function kaimingUniform(t: Tensor, options?: KaimingOptions): Tensor {
  const bound = Math.sqrt(3) * kaimingStd('kaimingUniform', t, options);
  const random = randomFor(undefined);
  return fill('kaimingUniform', t, () => (random.uniform() * 2 - 1) * bound);
}

/** In place: N(0, std²) with std = gain / √fan (He et al.). */
export function kaimingNormal(t: Tensor, options?: KaimingOptions): Tensor {
  const std = kaimingStd('kaimingNormal', t, options);
  const random = randomFor(undefined);
  return fill('kaimingNormal', t, () => random.normal() * std);
}

function xavierStd(fn: string, t: Tensor, gain: number): number {
  if (!is.finite(gain)) throw typeError(fn, 'gain', 'a finite number', gain);
  const { fanIn, fanOut } = fans(fn, t);
  return gain * Math.sqrt(2 / (fanIn + fanOut));
}

/** In place: U(−b, b) with b = gain·√(6 / (fanIn + fanOut)) (Glorot and Bengio). */
export function xavierUniform(t: Tensor, gain = 1): Tensor {
  const bound = Math.sqrt(3) * xavierStd('xavierUniform', t, gain);
  const random = randomFor(undefined);
  return fill('xavierUniform', t, () => (random.uniform() * 2 - 1) * bound);
}

/** In place: N(0, std²) with std = gain·√(2 / (fanIn + fanOut)). */
export function xavierNormal(t: Tensor, gain = 1): Tensor {
  const std = xavierStd('xavierNormal', t, gain);
  const random = randomFor(undefined);
  return fill('xavierNormal', t, () => random.normal() * std);
}

/** In place: U(low, high). */
export function uniform(t: Tensor, low = 0, high = 1): Tensor {
  if (!(is.finite(low) && is.finite(high) && low <= high)) throw rangeError('uniform', 'low and high', 'finite numbers with low ≤ high', [low, high]);
  const random = randomFor(undefined);
  return fill('uniform', t, () => low + random.uniform() * (high - low));
}

/** In place: N(mean, std²). */
export function normal(t: Tensor, mean = 0, std = 1): Tensor {
  if (!(is.finite(mean) && is.finite(std) && std >= 0)) throw rangeError('normal', 'mean and std', 'finite numbers with std ≥ 0', [mean, std]);
  const random = randomFor(undefined);
  return fill('normal', t, () => mean + random.normal() * std);
}

/** In place: every element = value. */
export function constant(t: Tensor, value: number): Tensor {
  if (typeof value !== 'number') throw typeError('constant', 'value', 'a number', value);
  return fill('constant', t, () => value);
}

export const zeros = (t: Tensor): Tensor => constant(t, 0);
export const ones = (t: Tensor): Tensor => constant(t, 1);
