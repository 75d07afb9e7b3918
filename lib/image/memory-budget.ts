/**
 * The memory a batch's images may hold at once. An image's need is estimated from its
 * header before it is decoded (a 250 KB PNG can decode to 16000 × 16000 pixels); an
 * image that alone needs more than the budget fails with the reason, and the others
 * wait, first come first served, until the images in flight leave room. So concurrency
 * never takes the process past its budget, and no image is an out-of-memory kill.
 */
import * as os from 'node:os';
import type { ImageSource } from './source';

/** Half of the machine's memory, or of the container's limit where that is lower. */
export function defaultMemoryBudget(): number {
  const total = os.totalmem();
  const constrained = process.constrainedMemory?.() ?? 0;
  // Without a limit, cgroups report a huge number (2^64).
  return Math.floor((constrained > 0 && constrained < total ? constrained : total) / 2);
}

/**
 * Bytes an image takes while it is filtered, at the peak: its file, sharp's sRGB(A)
 * pixels, the grey copies, `floatBuffers` float32 images (input, output and an
 * intermediate: 0 on the one-pass 8-bit path) and the bytes handed to the encoder.
 * Measured against the peak RSS of 64 and 256 megapixel images it errs high by 15-40%.
 */
export function imageBytes(source: ImageSource, grayscale: boolean, floatBuffers: number): number {
  const pixels = source.width * source.height;
  const alpha = source.channels === 2 || source.channels === 4;
  const grey = grayscale || source.channels <= 2;
  const channels = grey ? (alpha ? 2 : 1) : source.channels;
  const decoded = pixels * Math.max(3, source.channels);
  const greyCopies = grey ? pixels * (1 + channels) : 0;
  return source.bytes.length + decoded + greyCopies + pixels * channels * (4 * floatBuffers + 2);
}

/** A byte budget shared by concurrent tasks: take() waits (in order) until it fits. */
export class ByteBudget {
  private used = 0;
  private readonly waiting: Array<{ bytes: number; resolve: () => void }> = [];

  constructor(readonly limit: number) {}

  /** Resolves once `bytes` (at most the limit) are reserved; give them back with give(). */
  take(bytes: number): Promise<void> {
    if (this.waiting.length === 0 && this.used + bytes <= this.limit) {
      this.used += bytes;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiting.push({ bytes, resolve });
      this.admit();
    });
  }

  give(bytes: number): void {
    this.used -= bytes;
    this.admit();
  }

  private admit(): void {
    // The first in line goes first; an empty budget always admits it (it fits the limit).
    while (this.waiting.length > 0 && (this.used === 0 || this.used + this.waiting[0].bytes <= this.limit)) {
      const next = this.waiting.shift()!;
      this.used += next.bytes;
      next.resolve();
    }
  }
}
