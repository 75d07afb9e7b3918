/**
 * sharp (libvips), the ecosystem's image codec, loaded on first use: users of the
 * tensor and training API never need it. Where it is missing, the error says how to
 * add it.
 */
import { NativeBindingError } from '../errors';

/** The part of sharp's API convcore uses. */
export interface SharpInstance {
  rotate(): SharpInstance;
  grayscale(): SharpInstance;
  toColourspace(space: string): SharpInstance;
  removeAlpha(): SharpInstance;
  raw(): SharpInstance;
  toFormat(format: string, options?: Record<string, unknown>): SharpInstance;
  toBuffer(options: { resolveWithObject: true }): Promise<{ data: Buffer; info: { width: number; height: number; channels: number } }>;
  toBuffer(): Promise<Buffer>;
  metadata(): Promise<{ format?: string; width?: number; height?: number; pages?: number; channels?: number }>;
}

export type SharpModule = ((input?: string | Buffer, options?: Record<string, unknown>) => SharpInstance) & {
  concurrency(n?: number): number;
  versions: Record<string, string>;
};

let sharp: SharpModule | null = null;

export function loadSharp(): SharpModule {
  if (sharp !== null) return sharp;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    sharp = require('sharp') as SharpModule;
    return sharp;
  } catch (cause) {
    throw new NativeBindingError(
      [
        'convcore image I/O needs the package sharp, which could not be loaded.',
        `Cause: ${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}`,
        'Add it with: npm install sharp (it downloads a prebuilt libvips from the npm registry; no compiler needed).',
      ].join('\n'),
      { cause },
    );
  }
}
