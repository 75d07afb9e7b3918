/** Stochastic gradient descent with PyTorch's exact update rule (torch.optim.SGD). */
import { Tensor } from '../tensor';
import { checkOptions, is, rangeError, typeError } from '../validate';

export interface SGDOptions {
  /** Learning rate (required, ≥ 0). */
  lr: number;
  /** Momentum factor (default 0). */
  momentum?: number;
  /** Dampening for momentum (default 0). */
  dampening?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** Nesterov momentum (default false; needs momentum > 0 and dampening 0). */
  nesterov?: boolean;
  /** Maximise the objective instead of minimising it (default false). */
  maximize?: boolean;
}

const SGD_OPTIONS = ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov', 'maximize'] as const;

function nonNegative(fn: string, name: string, value: unknown): number {
  if (typeof value !== 'number') throw typeError(fn, `options.${name}`, 'a non-negative finite number', value);
  if (!(is.finite(value) && value >= 0)) throw rangeError(fn, `options.${name}`, 'a non-negative finite number', value);
  return value;
}

function flag(fn: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw typeError(fn, `options.${name}`, 'a boolean', value);
  return value;
}

export class SGD {
  readonly params: Tensor[];
  lr: number;
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  readonly maximize: boolean;
  /** One momentum buffer per parameter, created at its first step. */
  private readonly buffers: Array<Float32Array | null>;

  constructor(params: Iterable<Tensor>, options: SGDOptions) {
    const fn = 'SGD';
    if (params === null || typeof (params as Iterable<Tensor>)?.[Symbol.iterator] !== 'function') {
      throw typeError(fn, 'params', 'an iterable of Tensors', params);
    }
    this.params = [...params];
    this.params.forEach((p, i) => {
      if (!(p instanceof Tensor)) throw typeError(fn, `params[${i}]`, 'a Tensor', p);
    });
    const o = checkOptions(fn, options, SGD_OPTIONS);
    if (o.lr === undefined) throw typeError(fn, 'options.lr', 'a non-negative finite number', undefined);
    this.lr = nonNegative(fn, 'lr', o.lr);
    this.momentum = nonNegative(fn, 'momentum', o.momentum ?? 0);
    this.dampening = nonNegative(fn, 'dampening', o.dampening ?? 0);
    this.weightDecay = nonNegative(fn, 'weightDecay', o.weightDecay ?? 0);
    this.nesterov = flag(fn, 'nesterov', o.nesterov ?? false);
    this.maximize = flag(fn, 'maximize', o.maximize ?? false);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw rangeError(fn, 'options.momentum and options.dampening with nesterov',
        'momentum > 0 and dampening = 0', [this.momentum, this.dampening]);
    }
    this.buffers = this.params.map(() => null);
  }

  /**
   * One update of every parameter that has a gradient:
   * d = ±grad + weightDecay·p; buf = momentum·buf + (1 − dampening)·d (buf = d at first);
   * d = nesterov ? d + momentum·buf : buf; p −= lr·d.
   */
  step(): void {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = this;
    this.params.forEach((p, k) => {
      if (p.grad === null) return;
      const w = p.data, g = p.grad.data;
      let buf = this.buffers[k];
      const first = buf === null;
      if (momentum !== 0 && buf === null) buf = this.buffers[k] = new Float32Array(w.length);
      for (let i = 0; i < w.length; i++) {
        let d = maximize ? -g[i] : g[i];
        if (weightDecay !== 0) d += weightDecay * w[i];
        if (buf !== null) {
          buf[i] = first ? d : momentum * buf[i] + (1 - dampening) * d;
          d = nesterov ? d + momentum * buf[i] : buf[i];
        }
        w[i] -= lr * d;
      }
    });
  }

  /** Forgets the gradients of every parameter (sets them to null). */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }
}
