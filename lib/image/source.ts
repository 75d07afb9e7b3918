/**
 * An image before it is decoded: its bytes, read from a regular file (never a FIFO or a
 * device, which could block forever) or given as a Buffer, and what its header says
 * (format, size, stored channels). The size is checked against a pixel limit here, so
 * that a small file that decodes to gigabytes is refused before any pixel is decoded.
 */
import { promises as fs } from 'node:fs';
import { ImageDecodeError, ResourceLimitError } from '../errors';
import { message, positiveInteger } from '../validate';
import { readHeader } from './header';
import { loadSharp } from './sharp';

/** sharp's own default pixel limit (0x3FFF²): the default of `maxPixels`. */
export const DEFAULT_MAX_PIXELS = 268_402_689;

export interface ImageSource {
  /** The path or the Buffer given (error messages name it: sourceName). */
  input: string | Buffer;
  bytes: Buffer;
  format: string;
  /** Channels as stored: 1 or 2 (grey, + alpha), 3 or 4 (colour, + alpha). */
  channels: number;
  width: number;
  height: number;
}

/** How error messages name an input. */
export const sourceName = (input: string | Buffer) => (typeof input === 'string' ? `'${input}'` : 'the image bytes');

/** options.maxPixels, checked (DEFAULT_MAX_PIXELS when absent). */
export function maxPixelsOption(fn: string, o: Record<string, unknown>): number {
  return o.maxPixels === undefined ? DEFAULT_MAX_PIXELS : positiveInteger(fn, 'options.maxPixels', o.maxPixels);
}

async function readRegularFile(fn: string, file: string): Promise<Buffer> {
  const stat = await fs.stat(file);
  if (!stat.isFile()) {
    const kind = stat.isDirectory() ? 'a directory' : stat.isFIFO() ? 'a FIFO' : stat.isSocket() ? 'a socket' : 'a device';
    throw new ImageDecodeError(message(fn, `'${file}'`, 'an image file', `${kind}, not a regular file`));
  }
  return fs.readFile(file);
}

/**
 * Reads an image's bytes and header. Throws an ImageDecodeError for an empty or
 * unreadable header, and a ResourceLimitError for more than `maxPixels` pixels.
 */
export async function openImage(fn: string, input: string | Buffer, maxPixels = DEFAULT_MAX_PIXELS): Promise<ImageSource> {
  const name = sourceName(input);
  const bytes = typeof input === 'string' ? await readRegularFile(fn, input) : input;
  if (bytes.length === 0) {
    throw new ImageDecodeError(message(fn, name, 'a complete image in a format sharp reads', typeof input === 'string' ? 'an empty file (0 bytes)' : 'an empty Buffer (0 bytes)'));
  }
  const header = readHeader(bytes) ?? await sharpHeader(fn, input, bytes);
  if (header.width * header.height > maxPixels) {
    throw new ResourceLimitError(message(fn, name, `an image of at most ${maxPixels} pixels (maxPixels)`,
      `${header.width} × ${header.height} = ${header.width * header.height} pixels`));
  }
  return { input, bytes, ...header };
}

/** The header as sharp reads it (formats other than JPEG and PNG). */
async function sharpHeader(fn: string, input: string | Buffer, bytes: Buffer) {
  const sharp = loadSharp();
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
  try {
    meta = await sharp(bytes, { failOn: 'warning' }).metadata();
  } catch (error) {
    throw decodeError(fn, input, error);
  }
  const { format = 'unknown', channels = 3, width, height } = meta;
  if (!(width! > 0 && height! > 0)) throw decodeError(fn, input, new Error('no image size in the header'));
  return { format, channels, width: width!, height: height! };
}

/**
 * sharp's rejection as an ImageDecodeError. With failOn 'warning' a decoder warning
 * (truncated or corrupt data) fails the decode, but libvips keeps warnings in one queue
 * for the whole process: under concurrent decodes another call may take this one's
 * warning, leaving only sharp's generic line. That line still means bad data, so it is
 * said as such, with the decoder's own words where they arrived.
 */
export function decodeError(fn: string, input: string | Buffer, error: unknown): ImageDecodeError {
  const lines = (error instanceof Error ? error.message : String(error)).split('\n').map((l) => l.trim()).filter(Boolean);
  const generic = lines[0]?.startsWith('Warning treated as error');
  const details = (generic ? lines.slice(1) : lines).join('; ');
  const actual = generic
    ? `truncated or corrupt data${details ? ` (the decoder warned: ${details})` : ''}`
    : `data the decoder rejected (${details || 'no reason given'})`;
  return new ImageDecodeError(`${fn}: expected ${sourceName(input)} to be a complete image in a format sharp reads, but got ${actual}`, { cause: error });
}
