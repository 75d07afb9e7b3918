/** Activation layers: parameter-free wrappers of the element-wise functions. */
import { relu, sigmoid, tanh } from '../functional/activation';
import type { Tensor } from '../tensor';
import { Module } from './module';

export class ReLU extends Module {
  override forward(input: Tensor): Tensor {
    return relu(input);
  }
}

export class Sigmoid extends Module {
  override forward(input: Tensor): Tensor {
    return sigmoid(input);
  }
}

export class Tanh extends Module {
  override forward(input: Tensor): Tensor {
    return tanh(input);
  }
}
