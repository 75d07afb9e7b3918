/**
 * Layers applied in order. The layers are stored under the keys "0", "1", …, so their
 * parameters are named "0.weight", "3.bias", … exactly as in PyTorch's nn.Sequential
 * (and a state dict moves between the two unchanged).
 */
import type { Tensor } from '../tensor';
import { typeError } from '../validate';
import { Module } from './module';

export class Sequential extends Module {
  [index: number]: Module;
  readonly length: number;

  constructor(...layers: Module[]) {
    super();
    layers.forEach((layer, i) => {
      if (!(layer instanceof Module)) throw typeError('Sequential', `layers[${i}]`, 'a Module', layer);
      this[i] = layer;
    });
    this.length = layers.length;
  }

  override forward(input: Tensor): Tensor {
    let x = input;
    for (let i = 0; i < this.length; i++) x = this[i].forward(x);
    return x;
  }

  *[Symbol.iterator](): IterableIterator<Module> {
    for (let i = 0; i < this.length; i++) yield this[i];
  }
}
