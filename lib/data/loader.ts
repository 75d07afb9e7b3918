/**
 * Mini-batches over a dataset held in memory, like PyTorch's DataLoader over a
 * TensorDataset: a batch size, an optional seeded shuffle (a new order each epoch,
 * fixed by the seed and the epoch number, so a run resumed at epoch e sees the same
 * batches as an uninterrupted one), and dropLast.
 */
import { ShapeError } from '../errors';
import { Random, randomFor } from '../random';
import { Tensor, assertTensor } from '../tensor';
import type { Transform } from './transforms';
import { booleanOption, checkOptions, formatShape, is, message, optionalFunction, positiveInteger, rangeError, typeError } from '../validate';

export interface DataLoaderOptions {
  /** Samples per batch (default 1). */
  batchSize?: number;
  /** A new random order every epoch (default false). */
  shuffle?: boolean;
  /** Seed of the shuffle (default: drawn from the global generator, see manualSeed). */
  seed?: number;
  /** Skip the last batch when it is smaller than batchSize (default false). */
  dropLast?: boolean;
  /** Applied to each batch's inputs (data augmentation: lib/data/transforms.ts), with a generator seeded by (seed, epoch, batch). */
  transform?: Transform;
}

export interface Batch {
  /** (batch, …sample shape) */
  inputs: Tensor;
  /** One integer label per sample. */
  labels: Int32Array;
}

export class DataLoader implements Iterable<Batch> {
  readonly inputs: Tensor;
  readonly labels: Int32Array;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly transform: Transform | null;
  private readonly seed: number;
  /** The epoch the next iteration (for … of loader) will produce. */
  epoch = 0;

  /** `inputs` (N, …) and `labels` (N integers; an Int32Array, array or Tensor). */
  constructor(inputs: Tensor, labels: ArrayLike<number> | Tensor, options?: DataLoaderOptions) {
    const fn = 'DataLoader';
    assertTensor(fn, 'inputs', inputs);
    if (inputs.shape.length < 1) throw new ShapeError(message(fn, 'inputs.shape', 'at least 1-D (samples first)', formatShape(inputs.shape)));
    const values = labels instanceof Tensor ? labels.data : labels;
    if (values === null || typeof values !== 'object' || typeof (values as ArrayLike<number>).length !== 'number') {
      throw typeError(fn, 'labels', 'an Int32Array, an array of integers or a Tensor', labels);
    }
    if (values.length !== inputs.shape[0]) {
      throw new ShapeError(message(fn, 'labels.length', `${inputs.shape[0]} (inputs.shape[0])`, String(values.length)));
    }
    this.labels = Int32Array.from(values as ArrayLike<number>);
    this.labels.forEach((v, i) => {
      if (v !== (values as ArrayLike<number>)[i]) throw rangeError(fn, `labels[${i}]`, 'an integer', (values as ArrayLike<number>)[i]);
    });
    const o = checkOptions(fn, options, ['batchSize', 'shuffle', 'seed', 'dropLast', 'transform']);
    this.transform = optionalFunction<Transform>(fn, 'options.transform', o.transform) ?? null;
    this.batchSize = positiveInteger(fn, 'options.batchSize', o.batchSize ?? 1);
    this.shuffle = booleanOption(fn, 'options.shuffle', o.shuffle, false);
    this.dropLast = booleanOption(fn, 'options.dropLast', o.dropLast, false);
    if (o.seed !== undefined && !is.nonNegativeInteger(o.seed)) throw rangeError(fn, 'options.seed', 'a non-negative integer', o.seed);
    this.seed = (o.seed as number | undefined) ?? randomFor(undefined).nextUint32();
    this.inputs = inputs;
  }

  /** Batches per epoch. */
  get length(): number {
    const n = this.inputs.shape[0];
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The sample order of epoch `epoch`. */
  order(epoch: number): Int32Array {
    const n = this.inputs.shape[0];
    const order = Int32Array.from({ length: n }, (_, i) => i);
    if (!this.shuffle) return order;
    // One generator per (seed, epoch): epochs can be replayed in any order.
    const random = new Random((this.seed + Math.imul(epoch + 1, 0x9e3779b9)) >>> 0);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random.uniform() * (i + 1));
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  /** The batches of epoch `epoch` (does not change `this.epoch`). */
  *batches(epoch: number): IterableIterator<Batch> {
    if (!is.nonNegativeInteger(epoch)) throw rangeError('DataLoader.batches', 'epoch', 'a non-negative integer', epoch);
    const order = this.order(epoch);
    const sampleShape = this.inputs.shape.slice(1);
    const sampleSize = sampleShape.reduce((a, b) => a * b, 1);
    const source = this.inputs.data;
    for (let b = 0; b < this.length; b++) {
      const first = b * this.batchSize;
      const count = Math.min(this.batchSize, order.length - first);
      const data = new Float32Array(count * sampleSize);
      const labels = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const s = order[first + i];
        data.set(source.subarray(s * sampleSize, (s + 1) * sampleSize), i * sampleSize);
        labels[i] = this.labels[s];
      }
      const inputs = new Tensor(data, [count, ...sampleShape]);
      if (this.transform === null) yield { inputs, labels };
      else {
        const random = new Random((this.seed ^ Math.imul(epoch + 1, 0x85ebca6b) ^ Math.imul(b + 1, 0xc2b2ae35)) >>> 0);
        yield { inputs: this.transform(inputs, random), labels };
      }
    }
  }

  /** One epoch's batches; each for … of moves on to the next epoch. */
  [Symbol.iterator](): IterableIterator<Batch> {
    return this.batches(this.epoch++);
  }
}
