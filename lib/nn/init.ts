/** Parameter initialisation shared by the layers. */
import { randomFor } from '../random';
import { Tensor } from '../tensor';

/**
 * A parameter drawn from U(-bound, bound), from the global generator (see manualSeed).
 * With bound = 1/√fanIn this is PyTorch's default for Linear and Conv weights
 * (kaiming_uniform with a = √5) and their biases.
 */
export function uniformParameter(shape: number[], bound: number): Tensor {
  const random = randomFor(undefined);
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = (random.uniform() * 2 - 1) * bound;
  return new Tensor(data, shape, { requiresGrad: true });
}
