/**
 * The base of every layer. Parameters are found, as in PyTorch, by walking the
 * module's own properties in definition order: tensors that require grad are
 * parameters, modules are children (their parameters get a "name." prefix). Buffers
 * (state that is not learned, such as BatchNorm's running statistics) are registered by
 * name with registerBuffer and saved beside the parameters.
 */
import { ShapeError } from '../errors';
import { Tensor, assertTensor } from '../tensor';
import { checkOptions, formatShape, is, message, typeError } from '../validate';

export abstract class Module {
  /** Training mode (the default) or evaluation mode: Dropout acts only in training. */
  training = true;
  /** Buffers by their state-dict name, in registration order (null: registered, absent). */
  readonly #buffers = new Map<string, Tensor | null>();
  /** The buffers PyTorch keeps as integers (int64), saved as I64 by stateDictDtypes(). */
  readonly #integerBuffers = new Set<string>();

  abstract forward(input: Tensor): Tensor;

  /** (name, child) pairs of the modules held directly, in definition order. */
  namedChildren(): Array<[string, Module]> {
    const out: Array<[string, Module]> = [];
    for (const key of Object.keys(this)) {
      const value: unknown = (this as Record<string, unknown>)[key];
      if (value instanceof Module) out.push([key, value]);
    }
    return out;
  }

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

  /**
   * Registers (or replaces) a buffer: a tensor saved in stateDict() under `name` (PyTorch's
   * name, e.g. "running_mean") but not trained. null registers the name with no tensor
   * (as PyTorch's track_running_stats=False), which stateDict() leaves out.
   */
  protected registerBuffer(name: string, tensor: Tensor | null, options?: { integer?: boolean }): void {
    if (typeof name !== 'string' || name === '' || name.includes('.')) {
      throw typeError('registerBuffer', 'name', 'a non-empty string without dots', name);
    }
    if (tensor !== null) assertTensor('registerBuffer', 'tensor', tensor);
    this.#buffers.set(name, tensor);
    if (options?.integer === true) this.#integerBuffers.add(name);
  }

  /**
   * The dtypes PyTorch's state dict has where they are not float32 (BatchNorm's
   * num_batches_tracked: I64), for saveSafetensors(path, stateDict(), metadata, { dtypes }).
   */
  stateDictDtypes(prefix = ''): Record<string, 'I64'> {
    const out: Record<string, 'I64'> = {};
    for (const name of this.#integerBuffers) if (this.#buffers.get(name)) out[prefix + name] = 'I64';
    for (const [key, child] of this.namedChildren()) Object.assign(out, child.stateDictDtypes(`${prefix}${key}.`));
    return out;
  }

  /** The buffer registered as `name` (null where registered without a tensor). */
  protected buffer(name: string): Tensor | null {
    return this.#buffers.get(name) ?? null;
  }

  /** (name, buffer) pairs of this module and its children, e.g. ["bn1.running_mean", …]. */
  namedBuffers(prefix = ''): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    for (const [name, tensor] of this.#buffers) if (tensor !== null) out.push([prefix + name, tensor]);
    for (const [key, child] of this.namedChildren()) out.push(...child.namedBuffers(`${prefix}${key}.`));
    return out;
  }

  buffers(): Tensor[] {
    return this.namedBuffers().map(([, b]) => b);
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** The number of parameter elements (weights and biases) of this module and its children. */
  parameterCount(): number {
    return this.parameters().reduce((total, p) => total + p.size, 0);
  }

  /** Sets training mode on this module and every child; returns this. */
  train(mode = true): this {
    if (typeof mode !== 'boolean') throw typeError('train', 'mode', 'a boolean', mode);
    this.training = mode;
    for (const [, child] of this.namedChildren()) child.train(mode);
    return this;
  }

  /** Evaluation mode (train(false)); returns this. */
  eval(): this {
    return this.train(false);
  }

  /**
   * Forgets the gradients (sets them to null, as PyTorch's default set_to_none); storage
   * of gradients no one read goes back to the gradient pool, as Optimizer.zeroGrad.
   */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** Parameters and buffers by name, as PyTorch's state_dict. */
  private namedState(): Array<[string, Tensor]> {
    return [...this.namedParameters(), ...this.namedBuffers()];
  }

  /**
   * The parameters and buffers by name, sharing their storage (copy with clone() to keep
   * a snapshot).
   */
  stateDict(): Record<string, Tensor> {
    const state: Record<string, Tensor> = {};
    for (const [name, p] of this.namedState()) state[name] = p.detach();
    return state;
  }

  /**
   * Copies values into the parameters and buffers. With `strict` (default), the names
   * must match exactly; shapes must always match. Nothing is copied unless every entry
   * checks.
   */
  loadStateDict(state: Record<string, Tensor>, options?: { strict?: boolean }): void {
    const fn = 'loadStateDict';
    const { strict = true } = checkOptions(fn, options, ['strict']);
    if (typeof strict !== 'boolean') throw typeError(fn, 'options.strict', 'a boolean', strict);
    if (!is.plainObject(state)) throw typeError(fn, 'state', 'an object of Tensors by name', state);
    const own = new Map(this.namedState());
    const missing = [...own.keys()].filter((k) => !Object.hasOwn(state, k));
    const unexpected = Object.keys(state).filter((k) => !own.has(k));
    if (strict && (missing.length > 0 || unexpected.length > 0)) {
      throw new ShapeError(message(fn, 'the keys of state', `exactly ${[...own.keys()].join(', ')}`,
        `missing [${missing.join(', ')}], unexpected [${unexpected.join(', ')}]`));
    }
    for (const [name, target] of own) {
      const source = Object.hasOwn(state, name) ? state[name] : undefined;
      if (source === undefined) continue;
      assertTensor(fn, `state['${name}']`, source);
      if (source.shape.length !== target.shape.length || source.shape.some((d, i) => d !== target.shape[i])) {
        throw new ShapeError(message(fn, `state['${name}'].shape`, formatShape(target.shape), formatShape(source.shape)));
      }
    }
    for (const [name, target] of own) {
      const source = Object.hasOwn(state, name) ? state[name] : undefined;
      if (source !== undefined) target.data.set(source.data);
    }
  }

  /** One line describing this layer (its class and settings); containers override toString. */
  describe(): string {
    return `${this.constructor.name}()`;
  }

  /**
   * A readable summary: this layer, its children indented (each with its parameter
   * count), and the total, like printing a PyTorch module.
   */
  toString(): string {
    const children = this.namedChildren();
    if (children.length === 0) return this.describe();
    const lines = [`${this.constructor.name}(`];
    for (const [name, child] of children) {
      const count = child.parameterCount();
      const text = child.toString().split('\n').join('\n  ');
      lines.push(`  (${name}): ${text}${count > 0 ? `  # ${count.toLocaleString('en-US')} parameters` : ''}`);
    }
    lines.push(`)  # ${this.parameterCount().toLocaleString('en-US')} parameters in total`);
    return lines.join('\n');
  }
}
