/** Stochastic gradient descent with PyTorch's exact update rule (torch.optim.SGD). */
import { backend } from '../backend';
import type { Tensor } from '../tensor';
import { booleanOption, nonNegativeNumber, rangeError } from '../validate';
import { Optimizer, readOptions } from './optimizer';

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

export class SGD extends Optimizer {
  /** Writable: OneCycleLR cycles it. */
  momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  readonly maximize: boolean;

  constructor(params: Iterable<Tensor>, options: SGDOptions) {
    const fn = 'SGD';
    const o = readOptions(fn, options, SGD_OPTIONS);
    super(fn, params, o.lr);
    this.momentum = nonNegativeNumber(fn, 'options.momentum', o.momentum ?? 0);
    this.dampening = nonNegativeNumber(fn, 'options.dampening', o.dampening ?? 0);
    this.weightDecay = nonNegativeNumber(fn, 'options.weightDecay', o.weightDecay ?? 0);
    this.nesterov = booleanOption(fn, 'options.nesterov', o.nesterov ?? false, false);
    this.maximize = booleanOption(fn, 'options.maximize', o.maximize ?? false, false);
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw rangeError(fn, 'options.momentum and options.dampening with nesterov',
        'momentum > 0 and dampening = 0', [this.momentum, this.dampening]);
    }
  }

  /**
   * One update of every parameter that has a gradient:
   * d = ±grad + weightDecay·p; buf = momentum·buf + (1 − dampening)·d (buf = d at first);
   * d = nesterov ? d + momentum·buf : buf; p −= lr·d.
   */
  step(): void {
    const { lr, momentum, dampening, weightDecay, nesterov, maximize } = this;
    const params = this.params;
    for (let k = 0; k < params.length; k++) {
      const p = params[k];
      const grad = p._gradData();
      if (grad === null) continue;
      const firstStep = momentum !== 0 && !this.hasBuffer('momentum', k);
      const buf = momentum !== 0 ? this.buffer('momentum', k) : null;
      backend().sgdStep({ lr, momentum, dampening, weightDecay, nesterov, maximize, firstStep }, p.data, grad, buf);
    }
    this.stepCount++;
  }
}
