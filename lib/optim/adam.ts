/** Adam and AdamW with PyTorch's update rules (torch.optim.Adam / AdamW, amsgrad off). */
import { backend } from '../backend';
import type { Tensor } from '../tensor';
import { booleanOption, checkOptions, is, nonNegativeNumber, rangeError, typeError } from '../validate';
import { Optimizer } from './optimizer';

export interface AdamOptions {
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** Decay rates of the first and second moment estimates (default [0.9, 0.999]). */
  betas?: readonly [number, number];
  /** Added to the denominator for stability (default 1e-8). */
  eps?: number;
  /** Adam: L2 penalty added to the gradient (default 0). AdamW: decoupled decay (default 1e-2). */
  weightDecay?: number;
  /** Maximise the objective instead (default false). */
  maximize?: boolean;
}

const ADAM_OPTIONS = ['lr', 'betas', 'eps', 'weightDecay', 'maximize'] as const;

export class Adam extends Optimizer {
  /** Writable: OneCycleLR cycles it. */
  beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly maximize: boolean;
  /** AdamW decays the weights directly instead of adding the decay to the gradient. */
  protected readonly decoupled: boolean = false;

  constructor(params: Iterable<Tensor>, options: AdamOptions = {}, defaultWeightDecay = 0) {
    const fn = new.target.name;
    const o = checkOptions(fn, options, ADAM_OPTIONS);
    super(fn, params, o.lr ?? 1e-3);
    const betas = o.betas ?? [0.9, 0.999];
    if (!Array.isArray(betas) || betas.length !== 2) throw typeError(fn, 'options.betas', 'two numbers in [0, 1)', betas);
    if (!betas.every((b) => is.finite(b) && b >= 0 && b < 1)) throw rangeError(fn, 'options.betas', 'two numbers in [0, 1)', betas);
    [this.beta1, this.beta2] = betas as [number, number];
    this.eps = nonNegativeNumber(fn, 'options.eps', o.eps ?? 1e-8);
    this.weightDecay = nonNegativeNumber(fn, 'options.weightDecay', o.weightDecay ?? defaultWeightDecay);
    this.maximize = booleanOption(fn, 'options.maximize', o.maximize ?? false, false);
  }

  /**
   * t += 1; g = ±grad (+ weightDecay·p for Adam; p ·= 1 − lr·weightDecay for AdamW);
   * m = β1·m + (1 − β1)·g; v = β2·v + (1 − β2)·g²;
   * p −= lr / (1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + eps).
   */
  step(): void {
    const { lr, beta1, beta2, eps, weightDecay, maximize, decoupled } = this;
    const t = this.stepCount + 1;
    const stepSize = lr / (1 - beta1 ** t);
    const correction2 = Math.sqrt(1 - beta2 ** t);
    this.params.forEach((p, k) => {
      const grad = p._gradData();
      if (grad === null) return;
      backend().adamStep({ lr, beta1, beta2, eps, weightDecay, decoupled, maximize, stepSize, correction2 },
        p.data, grad, this.buffer('exp_avg', k), this.buffer('exp_avg_sq', k));
    });
    this.stepCount = t;
  }
}

export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  constructor(params: Iterable<Tensor>, options: AdamOptions = {}) {
    super(params, options, 1e-2);
  }
}
