/** Dropout as a layer: active in training mode only, with its own seedable generator. */
import { checkDropProbability, dropout } from '../functional/dropout';
import { type Random, randomFor } from '../random';
import type { Tensor } from '../tensor';
import { checkOptions, is, rangeError } from '../validate';
import { Module } from './module';

export interface DropoutOptions {
  /** Seed of this layer's generator (default: drawn from the global one, see manualSeed). */
  seed?: number;
}

export class Dropout extends Module {
  readonly p: number;
  private readonly random: Random;

  constructor(p = 0.5, options?: DropoutOptions) {
    super();
    this.p = checkDropProbability('Dropout', p);
    const o = checkOptions('Dropout', options, ['seed']);
    if (o.seed !== undefined && !is.nonNegativeInteger(o.seed)) {
      throw rangeError('Dropout', 'options.seed', 'a non-negative integer', o.seed);
    }
    this.random = randomFor(o.seed as number | undefined);
  }

  override forward(input: Tensor): Tensor {
    return dropout(input, this.p, this.training, this.random);
  }

  override describe(): string {
    return `Dropout(p=${this.p})`;
  }
}
