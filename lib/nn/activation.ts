/** Activation layers: parameter-free wrappers of the element-wise functions. */
import {
  checkNegativeSlope, gelu, geluApproximation, hardswish, leakyRelu, relu, relu6, sigmoid, silu, softmax, tanh,
} from '../functional/activation';
import type { Tensor } from '../tensor';
import { is, typeError } from '../validate';
import { Module } from './module';

/** A layer that applies one parameter-free function. */
abstract class Pointwise extends Module {
  protected abstract readonly apply: (input: Tensor) => Tensor;

  override forward(input: Tensor): Tensor {
    return this.apply(input);
  }
}

export class ReLU extends Pointwise {
  protected readonly apply = relu;
}

export class Sigmoid extends Pointwise {
  protected readonly apply = sigmoid;
}

export class Tanh extends Pointwise {
  protected readonly apply = tanh;
}

export class ReLU6 extends Pointwise {
  protected readonly apply = relu6;
}

export class SiLU extends Pointwise {
  protected readonly apply = silu;
}

export class Hardswish extends Pointwise {
  protected readonly apply = hardswish;
}

export class LeakyReLU extends Module {
  readonly negativeSlope: number;

  constructor(negativeSlope = 0.01) {
    super();
    this.negativeSlope = checkNegativeSlope('LeakyReLU', negativeSlope);
  }

  override forward(input: Tensor): Tensor {
    return leakyRelu(input, this.negativeSlope);
  }

  override describe(): string {
    return `LeakyReLU(negativeSlope=${this.negativeSlope})`;
  }
}

export class GELU extends Module {
  readonly approximate: 'none' | 'tanh';

  constructor(options?: { approximate?: 'none' | 'tanh' }) {
    super();
    this.approximate = geluApproximation('GELU', options);
  }

  override forward(input: Tensor): Tensor {
    return gelu(input, { approximate: this.approximate });
  }

  override describe(): string {
    return `GELU(approximate='${this.approximate}')`;
  }
}

export class Softmax extends Module {
  readonly dim: number;

  constructor(dim = -1) {
    super();
    if (!is.integer(dim)) throw typeError('Softmax', 'dim', 'an integer', dim);
    this.dim = dim;
  }

  override forward(input: Tensor): Tensor {
    return softmax(input, this.dim);
  }

  override describe(): string {
    return `Softmax(dim=${this.dim})`;
  }
}

/** Returns its input (a placeholder, as nn.Identity). */
export class Identity extends Module {
  override forward(input: Tensor): Tensor {
    return input;
  }
}
