/**
 * Element-wise activations with their gradients, on the active backend. NaN propagates
 * (relu(NaN) = NaN, as in PyTorch); each backward reads the saved output, not the input.
 */
import { allocFloats, allocGradient } from '../alloc';
import { record } from '../autograd';
import { backend } from '../backend';
import type { ActivationKind } from '../reference/pointwise';
import { Tensor, assertTensor } from '../tensor';

function activation(kind: ActivationKind, input: Tensor): Tensor {
  assertTensor(kind, 'input', input);
  const y = allocFloats(input.size);
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

/** 1 / (1 + e^−x). */
export function sigmoid(input: Tensor): Tensor {
  return activation('sigmoid', input);
}

/** The hyperbolic tangent. */
export function tanh(input: Tensor): Tensor {
  return activation('tanh', input);
}
