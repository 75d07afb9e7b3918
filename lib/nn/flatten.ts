/** Flattens dimensions startDim..endDim into one (default: all but the batch), as nn.Flatten. */
import { ShapeError } from '../errors';
import type { Tensor } from '../tensor';
import { formatShape, is, message, rangeError } from '../validate';
import { Module } from './module';

export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;

  constructor(startDim = 1, endDim = -1) {
    super();
    if (!is.integer(startDim)) throw rangeError('Flatten', 'startDim', 'an integer', startDim);
    if (!is.integer(endDim)) throw rangeError('Flatten', 'endDim', 'an integer', endDim);
    this.startDim = startDim;
    this.endDim = endDim;
  }

  override forward(input: Tensor): Tensor {
    const rank = input.shape.length;
    const start = this.startDim < 0 ? this.startDim + rank : this.startDim;
    const end = this.endDim < 0 ? this.endDim + rank : this.endDim;
    if (start < 0 || end >= rank || start > end) {
      throw new ShapeError(message('Flatten.forward', 'input.shape', `a shape with dimensions ${this.startDim}..${this.endDim}`,
        formatShape(input.shape)));
    }
    const merged = input.shape.slice(start, end + 1).reduce((a, b) => a * b, 1);
    return input.reshape([...input.shape.slice(0, start), merged, ...input.shape.slice(end + 1)]);
  }

  override describe(): string {
    return `Flatten(startDim=${this.startDim}, endDim=${this.endDim})`;
  }
}
