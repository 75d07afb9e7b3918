/** Parameter initialisation shared by the layers. */
import { randomFor } from '../random';
import { Tensor } from '../tensor';
import { MAX_ELEMENTS, rangeError } from '../validate';

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
