/**
 * Custom differentiable ops (PyTorch's torch.autograd.Function): a forward computed from
 * the inputs' values and a backward that maps the output's gradient to one gradient per
 * input. Both run without recording a graph; the op joins the graph like a built-in one.
 */
import { keepGradient } from './alloc';
import { noGrad, record } from './autograd';
import { AutogradError, ShapeError } from './errors';
import { Tensor, assertTensor } from './tensor';
import { formatShape, message, typeError } from './validate';

/** What forward leaves for backward: tensors by saveForBackward, anything else as properties. */
export class FunctionContext {
  savedTensors: readonly Tensor[] = [];
  [key: string]: unknown;

  saveForBackward(...tensors: Tensor[]): void {
    tensors.forEach((t, i) => assertTensor('saveForBackward', `tensors[${i}]`, t));
    this.savedTensors = tensors;
  }
}

export interface FunctionDefinition {
  /** Names the op in errors and in the graph. */
  name: string;
  /** The output from the inputs (their values: no graph is recorded here). */
  forward(ctx: FunctionContext, ...inputs: Tensor[]): Tensor;
  /** One gradient per input (null: none), each of its input's shape. */
  backward(ctx: FunctionContext, gradOutput: Tensor): ReadonlyArray<Tensor | null>;
}

/** The op as a function of tensors. */
export function defineFunction(definition: FunctionDefinition): (...inputs: Tensor[]) => Tensor {
  const fn = 'defineFunction';
  if (definition === null || typeof definition !== 'object') throw typeError(fn, 'definition', 'an object with name, forward and backward', definition);
  const { name, forward, backward } = definition;
  if (typeof name !== 'string' || typeof forward !== 'function' || typeof backward !== 'function') {
    throw typeError(fn, 'definition', 'an object with a name (string), forward and backward (functions)', definition);
  }
  return (...inputs: Tensor[]) => {
    inputs.forEach((t, i) => assertTensor(name, `inputs[${i}]`, t));
    const ctx = new FunctionContext();
    const output = noGrad(() => forward.call(definition, ctx, ...inputs.map((t) => t.detach())));
    if (!(output instanceof Tensor)) throw typeError(`${name}.forward`, 'its result', 'a Tensor', output);
    const result = Tensor._wrap(output.data, [...output.shape]);
    return record(result, name, inputs, (g) => {
      keepGradient(g); // the backward may keep gradOutput: its storage must never be reused
      const grads = noGrad(() => backward.call(definition, ctx, Tensor._wrap(g, result.shape)));
      if (!Array.isArray(grads) || grads.length !== inputs.length) {
        throw new AutogradError(message(`${name}.backward`, 'its result', `an array of ${inputs.length} gradients (one per input, or null)`,
          Array.isArray(grads) ? `${grads.length}` : typeof grads));
      }
      return grads.map((grad, i) => {
        if (grad === null || grad === undefined) return null;
        if (!(grad instanceof Tensor) || grad.shape.length !== inputs[i].shape.length || grad.shape.some((d, k) => d !== inputs[i].shape[k])) {
          throw new ShapeError(message(`${name}.backward`, `gradient ${i}`, `a Tensor of shape ${formatShape(inputs[i].shape)}`,
            grad instanceof Tensor ? formatShape(grad.shape) : typeof grad));
        }
        return grad.data;
      });
    });
  };
}
