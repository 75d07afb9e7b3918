/**
 * Element-wise activations with their gradients, on the active backend. NaN propagates
 * (relu(NaN) = NaN, as in PyTorch); each backward reads the saved output, not the input.
 */
import { allocGradient, allocResult } from '../alloc';
import { record } from '../autograd';
import { backend } from '../backend';
import type { ActivationKind } from '../reference/pointwise';
import { Tensor, assertTensor } from '../tensor';
import { unaryOp } from '../tensor-ops';
import { checkOptions, is, oneOf, typeError } from '../validate';
import { logSoftmax } from './softmax';

function activation(kind: ActivationKind, input: Tensor, overwrite = false): Tensor {
  assertTensor(kind, 'input', input);
  // Every element written (test/uninitialised-results.test.ts); element by element, so
  // the input's own storage may take the result.
  const y = overwrite ? input.data : allocResult(input.size);
  backend().activation(kind, input.data, y);
  return record(Tensor._wrap(y, input.shape), kind, [input], (g) => {
    const dx = allocGradient(g.length);
    backend().activationBackward(kind, g, y, dx);
    return [dx];
  });
}

/** max(x, 0). */
export function relu(input: Tensor): Tensor {
  return activation('relu', input);
}

/**
 * relu written over `input`'s storage, as torchvision's ReLU(inplace=True) does, for the
 * models' own forward (not exported): only on a result its caller has just made, that
 * nothing else holds and whose op's backward does not read its output (a BatchNorm's, a
 * sum's). A training step then allocates, and the garbage collector tracks, one result
 * fewer per ReLU.
 */
export function reluOverwriting(input: Tensor): Tensor {
  return activation('relu', input, true);
}

/** 1 / (1 + e^−x). */
export function sigmoid(input: Tensor): Tensor {
  return activation('sigmoid', input);
}

/** The hyperbolic tangent. */
export function tanh(input: Tensor): Tensor {
  return activation('tanh', input);
}

/** leakyRelu's slope, checked (LeakyReLU checks it when built). */
export function checkNegativeSlope(fn: string, negativeSlope: unknown): number {
  if (!is.finite(negativeSlope)) throw typeError(fn, 'negativeSlope', 'a finite number', negativeSlope);
  return negativeSlope;
}

/** x for x > 0, negativeSlope·x otherwise (default slope 0.01). */
export function leakyRelu(input: Tensor, negativeSlope = 0.01): Tensor {
  return unaryOp('leakyRelu', input, Math.fround(checkNegativeSlope('leakyRelu', negativeSlope)));
}

/** x limited to [min, max]; the gradient passes strictly inside (PyTorch's hardtanh). */
export function hardtanh(input: Tensor, min = -1, max = 1): Tensor {
  const fn = 'hardtanh';
  if (!is.finite(min) || !is.finite(max) || min > max) {
    throw typeError(fn, 'min and max', 'finite numbers with min ≤ max', [min, max]);
  }
  return unaryOp(fn, input, Math.fround(min), Math.fround(max));
}

/** min(max(x, 0), 6) (hardtanh(x, 0, 6)). */
export function relu6(input: Tensor): Tensor {
  return hardtanh(input, 0, 6);
}

/** x · sigmoid(x) (also called swish). */
export function silu(input: Tensor): Tensor {
  return unaryOp('silu', input);
}

/** gelu's options, checked (GELU checks them when built): the approximation. */
export function geluApproximation(fn: string, options: unknown): 'none' | 'tanh' {
  const { approximate = 'none' } = checkOptions(fn, options, ['approximate']);
  return oneOf(fn, 'options.approximate', approximate, ['none', 'tanh']);
}

/** x · Φ(x) (Φ the normal CDF), or its tanh approximation with approximate: 'tanh'. */
export function gelu(input: Tensor, options?: { approximate?: 'none' | 'tanh' }): Tensor {
  return unaryOp(geluApproximation('gelu', options) === 'tanh' ? 'geluTanh' : 'gelu', input);
}

/** x · relu6(x + 3) / 6 (MobileNetV3's activation). */
export function hardswish(input: Tensor): Tensor {
  return unaryOp('hardswish', input);
}

/** e^x normalised to sum 1 along `dim` (default: the last). */
export function softmax(input: Tensor, dim = -1): Tensor {
  return logSoftmax(input, dim).exp();
}
