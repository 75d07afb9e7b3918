/**
 * Learning-rate schedules (torch.optim.lr_scheduler): call step() once per epoch (or,
 * for OneCycleLR and warm-ups, once per batch), after the optimiser's step; each writes
 * optimizer.lr from the count of step() calls.
 */
import { checkOptions, is, nonNegativeNumber, oneOf, positiveInteger, rangeError, typeError } from '../validate';
import { Adam } from './adam';
import { Optimizer } from './optimizer';
import { SGD } from './sgd';

abstract class Scheduler {
  readonly optimizer: Optimizer;
  readonly baseLr: number;
  /** Epochs completed (step() calls). */
  epoch = 0;

  protected constructor(fn: string, optimizer: Optimizer) {
    if (!(optimizer instanceof Optimizer)) throw typeError(fn, 'optimizer', 'an Optimizer (SGD, Adam, AdamW)', optimizer);
    this.optimizer = optimizer;
    this.baseLr = optimizer.lr;
  }

  /** The learning rate for epoch `epoch`. */
  abstract lrAt(epoch: number): number;

  step(): void {
    this.epoch++;
    this.optimizer.lr = this.lrAt(this.epoch);
  }

  /** The current learning rate. */
  get lr(): number {
    return this.optimizer.lr;
  }
}

/** lr = baseLr · gamma^⌊epoch / stepSize⌋. */
export class StepLR extends Scheduler {
  readonly stepSize: number;
  readonly gamma: number;

  constructor(optimizer: Optimizer, options: { stepSize: number; gamma?: number }) {
    super('StepLR', optimizer);
    const o = checkOptions('StepLR', options, ['stepSize', 'gamma']);
    this.stepSize = positiveInteger('StepLR', 'options.stepSize', o.stepSize);
    this.gamma = nonNegativeNumber('StepLR', 'options.gamma', o.gamma ?? 0.1);
  }

  lrAt(epoch: number): number {
    return this.baseLr * this.gamma ** Math.floor(epoch / this.stepSize);
  }
}

/** lr = etaMin + (baseLr − etaMin) · (1 + cos(π · epoch / tMax)) / 2. */
export class CosineAnnealingLR extends Scheduler {
  readonly tMax: number;
  readonly etaMin: number;

  constructor(optimizer: Optimizer, options: { tMax: number; etaMin?: number }) {
    super('CosineAnnealingLR', optimizer);
    const o = checkOptions('CosineAnnealingLR', options, ['tMax', 'etaMin']);
    this.tMax = positiveInteger('CosineAnnealingLR', 'options.tMax', o.tMax);
    this.etaMin = nonNegativeNumber('CosineAnnealingLR', 'options.etaMin', o.etaMin ?? 0);
  }

  lrAt(epoch: number): number {
    return this.etaMin + ((this.baseLr - this.etaMin) * (1 + Math.cos((Math.PI * epoch) / this.tMax))) / 2;
  }
}

/** lr = baseLr · (startFactor + (endFactor − startFactor) · min(epoch, totalIters) / totalIters): a linear warm-up. */
export class LinearLR extends Scheduler {
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;

  constructor(optimizer: Optimizer, options?: { startFactor?: number; endFactor?: number; totalIters?: number }) {
    super('LinearLR', optimizer);
    const fn = 'LinearLR';
    const o = checkOptions(fn, options, ['startFactor', 'endFactor', 'totalIters']);
    const factor = (name: string, value: unknown) => {
      if (!(is.finite(value) && value > 0 && value <= 1)) throw rangeError(fn, name, 'a number in (0, 1]', value);
      return value;
    };
    this.startFactor = factor('options.startFactor', o.startFactor ?? 1 / 3);
    this.endFactor = factor('options.endFactor', o.endFactor ?? 1);
    this.totalIters = positiveInteger(fn, 'options.totalIters', o.totalIters ?? 5);
    optimizer.lr = this.lrAt(0);
  }

  lrAt(epoch: number): number {
    const progress = Math.min(epoch, this.totalIters) / this.totalIters;
    return this.baseLr * (this.startFactor + (this.endFactor - this.startFactor) * progress);
  }
}

/** lr = baseLr · lambda(epoch). */
export class LambdaLR extends Scheduler {
  readonly lambda: (epoch: number) => number;

  constructor(optimizer: Optimizer, lambda: (epoch: number) => number) {
    super('LambdaLR', optimizer);
    if (typeof lambda !== 'function') throw typeError('LambdaLR', 'lambda', 'a function of the epoch', lambda);
    this.lambda = lambda;
    optimizer.lr = this.lrAt(0);
  }

  lrAt(epoch: number): number {
    const factor = this.lambda(epoch);
    if (!is.finite(factor)) throw typeError('LambdaLR', `lambda(${epoch})`, 'a finite number', factor);
    return this.baseLr * factor;
  }
}

export interface OneCycleOptions {
  /** The peak learning rate. */
  maxLr: number;
  /** step() calls in the whole run (epochs × batches). */
  totalSteps: number;
  /** Share of the steps spent rising (default 0.3). */
  pctStart?: number;
  /** 'cos' (default) or 'linear'. */
  annealStrategy?: 'cos' | 'linear';
  /** Start at maxLr / divFactor (default 25). */
  divFactor?: number;
  /** End at maxLr / divFactor / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Cycle SGD's momentum or Adam's β1 inversely, between baseMomentum and maxMomentum (default true). */
  cycleMomentum?: boolean;
  baseMomentum?: number;
  maxMomentum?: number;
}

/**
 * The 1cycle policy (PyTorch's OneCycleLR, two phases): lr rises from maxLr/divFactor to
 * maxLr over the first pctStart of the steps and anneals to maxLr/(divFactor·finalDivFactor)
 * by the last; momentum moves the other way. Call step() after every batch.
 */
export class OneCycleLR extends Scheduler {
  readonly maxLr: number;
  readonly totalSteps: number;
  private readonly initialLr: number;
  private readonly minLr: number;
  private readonly peakStep: number;
  private readonly anneal: (start: number, end: number, pct: number) => number;
  private readonly momentum: { base: number; max: number; set: (m: number) => void } | null;

  constructor(optimizer: Optimizer, options: OneCycleOptions) {
    super('OneCycleLR', optimizer);
    const fn = 'OneCycleLR';
    const o = checkOptions(fn, options, ['maxLr', 'totalSteps', 'pctStart', 'annealStrategy', 'divFactor', 'finalDivFactor',
      'cycleMomentum', 'baseMomentum', 'maxMomentum']);
    if (!(is.finite(o.maxLr) && o.maxLr > 0)) throw rangeError(fn, 'options.maxLr', 'a positive number', o.maxLr);
    this.maxLr = o.maxLr;
    this.totalSteps = positiveInteger(fn, 'options.totalSteps', o.totalSteps);
    const pctStart = o.pctStart ?? 0.3;
    if (!(is.finite(pctStart) && pctStart > 0 && pctStart < 1)) throw rangeError(fn, 'options.pctStart', 'a number in (0, 1)', pctStart);
    const positive = (name: string, value: unknown) => {
      if (!(is.finite(value) && value > 0)) throw rangeError(fn, name, 'a positive number', value);
      return value;
    };
    this.initialLr = this.maxLr / positive('options.divFactor', o.divFactor ?? 25);
    this.minLr = this.initialLr / positive('options.finalDivFactor', o.finalDivFactor ?? 1e4);
    this.peakStep = pctStart * this.totalSteps - 1;
    const strategy = oneOf(fn, 'options.annealStrategy', o.annealStrategy ?? 'cos', ['cos', 'linear'] as const);
    this.anneal = strategy === 'cos'
      ? (start, end, pct) => end + ((start - end) / 2) * (1 + Math.cos(Math.PI * pct))
      : (start, end, pct) => start + (end - start) * pct;
    const cycle = o.cycleMomentum ?? true;
    if (typeof cycle !== 'boolean') throw typeError(fn, 'options.cycleMomentum', 'a boolean', cycle);
    const base = o.baseMomentum ?? 0.85, max = o.maxMomentum ?? 0.95;
    if (!(is.finite(base) && is.finite(max) && base >= 0 && base <= max && max < 1)) {
      throw rangeError(fn, 'options.baseMomentum and maxMomentum', 'numbers with 0 ≤ base ≤ max < 1', [base, max]);
    }
    // As PyTorch: SGD's momentum, Adam's β1 (an SGD created without momentum gets one).
    const set = optimizer instanceof SGD ? (m: number) => { optimizer.momentum = m; }
      : optimizer instanceof Adam ? (m: number) => { optimizer.beta1 = m; } : null;
    this.momentum = cycle && set ? { base, max, set } : null;
    this.apply(0);
  }

  private apply(step: number): void {
    this.optimizer.lr = this.lrAt(step);
    if (this.momentum) {
      const { base, max } = this.momentum;
      const rising = step <= this.peakStep;
      const pct = rising ? step / this.peakStep : (step - this.peakStep) / (this.totalSteps - 1 - this.peakStep);
      this.momentum.set(rising ? this.anneal(max, base, pct) : this.anneal(base, max, pct));
    }
  }

  override step(): void {
    this.epoch++;
    if (this.epoch > this.totalSteps) {
      throw rangeError('OneCycleLR.step', 'the number of step() calls', `at most totalSteps (${this.totalSteps})`, this.epoch);
    }
    this.apply(this.epoch);
  }

  lrAt(step: number): number {
    if (step <= this.peakStep) return this.anneal(this.initialLr, this.maxLr, step / this.peakStep);
    return this.anneal(this.maxLr, this.minLr, (step - this.peakStep) / (this.totalSteps - 1 - this.peakStep));
  }
}
