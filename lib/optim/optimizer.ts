/**
 * What every optimiser shares: its parameters, a learning rate that schedulers may
 * change, zeroGrad, and per-parameter state buffers that a checkpoint can save and
 * restore (so that a resumed run takes exactly the steps an uninterrupted one would).
 */
import { ShapeError } from '../errors';
import { Tensor, assertTensor } from '../tensor';
import { checkOptions, formatShape, is, message, nonNegativeNumber, typeError } from '../validate';

/** Reads the options object (rejecting unknown keys) and requires `lr`. */
export function readOptions(fn: string, options: unknown, known: readonly string[]): Record<string, unknown> {
  const o = checkOptions(fn, options, known);
  if (o.lr === undefined) throw typeError(fn, 'options.lr', 'a non-negative finite number', undefined);
  return o;
}

export abstract class Optimizer {
  readonly params: Tensor[];
  /** The learning rate of the next step (schedulers write it). */
  lr: number;
  /** Steps taken so far. */
  stepCount = 0;
  /** Named per-parameter buffers ("momentum" → one per parameter), created lazily. */
  protected readonly state = new Map<string, Array<Float32Array | null>>();

  protected constructor(fn: string, params: Iterable<Tensor>, lr: unknown) {
    if (params === null || typeof (params as Iterable<Tensor>)?.[Symbol.iterator] !== 'function') {
      throw typeError(fn, 'params', 'an iterable of Tensors', params);
    }
    this.params = [...params];
    this.params.forEach((p, i) => {
      assertTensor(fn, `params[${i}]`, p);
    });
    this.lr = nonNegativeNumber(fn, 'options.lr', lr);
  }

  /** Updates every parameter that has a gradient. */
  abstract step(): void;

  /**
   * Forgets the gradients of every parameter (sets them to null). A gradient that no one
   * read (through `.grad`) since backward() made it lends its storage to the next
   * backward() (see Tensor.grad), so a training loop allocates no new gradient memory per
   * step.
   */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  /** The buffer `name` of parameter k, zero-filled at first use. */
  protected buffer(name: string, k: number): Float32Array {
    let buffers = this.state.get(name);
    if (buffers === undefined) {
      buffers = this.params.map(() => null);
      this.state.set(name, buffers);
    }
    return (buffers[k] ??= new Float32Array(this.params[k].size));
  }

  protected hasBuffer(name: string, k: number): boolean {
    return (this.state.get(name)?.[k] ?? null) !== null;
  }

  /**
   * The optimiser's state as tensors ("momentum.0", "exp_avg.3", … and "step" holding
   * the step count and learning rate), ready for saveSafetensors.
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = { step: new Tensor(Float32Array.of(this.stepCount, this.lr), [2]) };
    for (const [name, buffers] of this.state) {
      buffers.forEach((b, k) => {
        if (b !== null) out[`${name}.${k}`] = new Tensor(b.slice(), this.params[k].shape);
      });
    }
    return out;
  }

  /** Restores what stateDict returned (shapes must match the parameters). */
  loadStateDict(state: Record<string, Tensor>): void {
    const fn = `${this.constructor.name}.loadStateDict`;
    if (!is.plainObject(state)) throw typeError(fn, 'state', 'an object of Tensors by name', state);
    const step = state.step;
    if (!(step instanceof Tensor) || step.size !== 2) throw typeError(fn, "state['step']", 'a Tensor of 2 elements (step, lr)', step);
    const buffers = new Map<string, Array<Float32Array | null>>();
    for (const [key, value] of Object.entries(state)) {
      if (key === 'step') continue;
      const match = /^(\w+)\.(\d+)$/.exec(key);
      const k = match ? Number(match[2]) : -1;
      if (match === null || k >= this.params.length) {
        throw new ShapeError(message(fn, 'the keys of state', `'step' and '<buffer>.<k>' with k < ${this.params.length}`, `'${key}'`));
      }
      assertTensor(fn, `state['${key}']`, value);
      if (value.size !== this.params[k].size) {
        throw new ShapeError(message(fn, `state['${key}'].shape`, formatShape(this.params[k].shape), formatShape(value.shape)));
      }
      if (!buffers.has(match[1])) buffers.set(match[1], this.params.map(() => null));
      buffers.get(match[1])![k] = value.data.slice();
    }
    this.stepCount = step.data[0];
    this.lr = step.data[1];
    this.state.clear();
    for (const [name, list] of buffers) this.state.set(name, list);
  }
}
