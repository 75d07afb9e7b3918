/**
 * Learning-rate schedules (torch.optim.lr_scheduler): call step() once per epoch,
 * after the optimiser's steps; each writes optimizer.lr from the epoch count.
 */
import { checkOptions, nonNegativeNumber, positiveInteger, typeError } from '../validate';
import { Optimizer } from './optimizer';

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
