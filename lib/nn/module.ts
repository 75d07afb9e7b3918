/**
 * The base of every layer. Parameters are found, as in PyTorch, by walking the
 * module's own properties in definition order: tensors that require grad are
 * parameters, modules are children (their parameters get a "name." prefix).
 */
import { ShapeError } from '../errors';
import { Tensor } from '../tensor';
import { checkOptions, formatShape, is, message, typeError } from '../validate';

export abstract class Module {
  abstract forward(input: Tensor): Tensor;

  /** (name, parameter) pairs, e.g. ["weight", …], ["bias", …], ["conv1.weight", …]. */
  namedParameters(prefix = ''): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    for (const key of Object.keys(this)) {
      const value: unknown = (this as Record<string, unknown>)[key];
      if (value instanceof Tensor && value.requiresGrad) out.push([prefix + key, value]);
      else if (value instanceof Module) out.push(...value.namedParameters(`${prefix}${key}.`));
    }
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Forgets the gradients (sets them to null, as PyTorch's default set_to_none). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** The parameters by name, sharing their storage (copy with clone() to keep a snapshot). */
  stateDict(): Record<string, Tensor> {
    const state: Record<string, Tensor> = {};
    for (const [name, p] of this.namedParameters()) state[name] = p.detach();
    return state;
  }

  /**
   * Copies values into the parameters. With `strict` (default), the names must match
   * exactly; shapes must always match.
   */
  loadStateDict(state: Record<string, Tensor>, options?: { strict?: boolean }): void {
    const fn = 'loadStateDict';
    const { strict = true } = checkOptions(fn, options, ['strict']);
    if (typeof strict !== 'boolean') throw typeError(fn, 'options.strict', 'a boolean', strict);
    if (!is.plainObject(state)) throw typeError(fn, 'state', 'an object of Tensors by name', state);
    const own = new Map(this.namedParameters());
    const missing = [...own.keys()].filter((k) => !(k in state));
    const unexpected = Object.keys(state).filter((k) => !own.has(k));
    if (strict && (missing.length > 0 || unexpected.length > 0)) {
      throw new ShapeError(message(fn, 'the keys of state', `exactly ${[...own.keys()].join(', ')}`,
        `missing [${missing.join(', ')}], unexpected [${unexpected.join(', ')}]`));
    }
    for (const [name, target] of own) {
      const source = state[name];
      if (source === undefined) continue;
      if (!(source instanceof Tensor)) throw typeError(fn, `state['${name}']`, 'a Tensor', source);
      if (source.shape.length !== target.shape.length || source.shape.some((d, i) => d !== target.shape[i])) {
        throw new ShapeError(message(fn, `state['${name}'].shape`, formatShape(target.shape), formatShape(source.shape)));
      }
    }
    for (const [name, target] of own) {
      const source = state[name];
      if (source !== undefined) target.data.set(source.data);
    }
  }
}
