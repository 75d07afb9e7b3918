/**
 * Image files to tensors and back, through sharp: decoding gives (C, H, W) float32
 * planes in [0, 255] (C = 1 grey or 3 RGB) with the alpha channel kept aside, untouched;
 * encoding maps floats back to 8 bits (optionally |v| or + offset, then rounding and
 * clamping) and re-attaches the alpha.
 */
import { bytePool } from '../alloc';
import { backend } from '../backend';
import { ArgumentRangeError, ShapeError } from '../errors';
import { Tensor, assertTensor } from '../tensor';
import { booleanOption, checkOptions, formatShape, message, oneOf, typeError } from '../validate';
import { loadSharp } from './sharp';
import { DEFAULT_MAX_PIXELS, type ImageSource, decodeError, maxPixelsOption, openImage } from './source';

export const OUTPUT_FORMATS = ['png', 'jpeg', 'webp', 'tiff', 'gif'] as const;
export type ImageFormat = (typeof OUTPUT_FORMATS)[number];

/** File extensions: the one written for each format, and the format each one names. */
export const EXTENSION_OF_FORMAT: Record<ImageFormat, string> = { png: '.png', jpeg: '.jpg', webp: '.webp', tiff: '.tif', gif: '.gif' };
export const FORMAT_OF_EXTENSION: Record<string, ImageFormat> = {
  '.png': 'png', '.jpg': 'jpeg', '.jpeg': 'jpeg', '.webp': 'webp', '.tif': 'tiff', '.tiff': 'tiff', '.gif': 'gif',
};

/** A decoded image. */
export interface DecodedImage {
  /** (C, H, W) float32 in [0, 255]: C = 1 (grey) or 3 (RGB). */
  tensor: Tensor;
  /** The alpha channel (H·W bytes), kept aside untouched, or null. */
  alpha: Uint8Array | null;
  /** The file's format ('jpeg', 'png', 'webp', 'tiff', 'gif', …). */
  format: string;
}

export interface DecodeOptions {
  /** Convert to one grey channel (default false). */
  grayscale?: boolean;
  /** The tensor's element type: only 'float32' (the default) exists. */
  dtype?: 'float32';
  /** Refuse images of more pixels than this, from the header, before decoding (default 268,402,689: sharp's). */
  maxPixels?: number;
}

/** A decoded image as sharp gives it: interleaved bytes. */
export interface RawImage {
  bytes: Uint8Array;
  width: number;
  height: number;
  /** Interleaved channels in `bytes`: 1 or 2 (grey, + alpha) or 3 or 4 (RGB, + alpha). */
  channels: number;
  format: string;
}

/**
 * Decodes to interleaved bytes: grey sources (or any, with grayscale) as grey (+ alpha),
 * colour ones as RGB(A). A truncated or corrupt file is an error, not a half-grey image.
 */
export async function decodeRaw(fn: string, input: string | Buffer, grayscale: boolean, maxPixels = DEFAULT_MAX_PIXELS): Promise<RawImage> {
  return decodeSource(fn, await openImage(fn, input, maxPixels), grayscale, maxPixels);
}

/** decodeRaw of an image already opened (its bytes read and its header checked). */
export async function decodeSource(fn: string, source: ImageSource, grayscale: boolean,
  maxPixels = DEFAULT_MAX_PIXELS): Promise<RawImage> {
  const sharp = loadSharp();
  const { format, channels: stored } = source;
  // rotate(): EXIF orientation. The pixel limit again, in libvips, whatever its header said.
  const open = () => sharp(source.bytes, { failOn: 'warning', limitInputPixels: maxPixels }).rotate();
  // sharp hands out sRGB(A) pixels, grey sources included (then R = G = B).
  const { data, info } = await open().raw().toBuffer({ resolveWithObject: true })
    .catch((error: unknown) => { throw decodeError(fn, source.input, error); });
  const { width, height, channels } = info;
  const pixels = width * height;
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const hasAlpha = channels === 2 || channels === 4;
  if (!grayscale && stored > 2 && channels >= 3) return { bytes, width, height, channels, format };
  if (channels <= 2) return { bytes, width, height, channels, format };
  // Grey: R of a grey source, or sharp's grey conversion (which drops alpha: taken from above).
  const grey = stored <= 2 ? bytes : new Uint8Array(await open().grayscale().raw().toBuffer());
  const greyChannels = stored <= 2 ? channels : 1;
  const out = new Uint8Array(pixels * (hasAlpha ? 2 : 1));
  for (let i = 0; i < pixels; i++) {
    out[i * (hasAlpha ? 2 : 1)] = grey[i * greyChannels];
    if (hasAlpha) out[i * 2 + 1] = bytes[i * channels + channels - 1];
  }
  return { bytes: out, width, height, channels: hasAlpha ? 2 : 1, format };
}

/** Reads and decodes an image (a file path or its bytes); GIFs give their first frame. */
export async function imageToTensor(input: string | Buffer, options?: DecodeOptions): Promise<DecodedImage> {
  const fn = 'imageToTensor';
  if (typeof input !== 'string' && !Buffer.isBuffer(input)) throw typeError(fn, 'input', 'a file path or a Buffer', input);
  const o = checkOptions(fn, options, ['grayscale', 'dtype', 'maxPixels']);
  const grayscale = booleanOption(fn, 'options.grayscale', o.grayscale, false);
  oneOf(fn, 'options.dtype', o.dtype ?? 'float32', ['float32'] as const);
  const raw = await decodeRaw(fn, input, grayscale, maxPixelsOption(fn, o));
  const { width, height, channels } = raw;
  const pixels = width * height;
  const colour = channels >= 3 ? 3 : 1;
  const alphaChannel = channels === colour + 1 ? colour : -1;
  const alpha = alphaChannel >= 0 ? new Uint8Array(pixels) : null;
  const planes = new Float32Array(colour * pixels);
  extract(raw.bytes, pixels, channels, colour, planes, alpha, alphaChannel);
  return { tensor: new Tensor(planes, [colour, height, width]), alpha, format: raw.format };
}

/** The first `colour` channels as planes, and channel `alphaChannel` (if ≥ 0) as bytes. */
export function extract(src: Uint8Array, pixels: number, channels: number, colour: number, planes: Float32Array | null,
  alpha: Uint8Array | null, alphaChannel: number): void {
  backend().planesFromPixels({ pixels, channels, colour, alphaChannel }, src, planes, alpha);
}

/** How float values become bytes. */
export interface PixelMapping {
  /** Take |v| first (for signed filters such as edges; default false). */
  abs?: boolean;
  /** Then add this (e.g. 128 shows negative edges as dark, positive as light; default 0). */
  offset?: number;
  /** Round to nearest (default true); false truncates toward zero, as sharp does. */
  round?: boolean;
  /** Clamp to [0, 255] (default true); false makes a value outside it an error. */
  clamp?: boolean;
}

export interface EncodeOptions extends PixelMapping {
  format: ImageFormat;
  /** An alpha channel to re-attach (H·W bytes), e.g. DecodedImage.alpha. */
  alpha?: Uint8Array | null;
  /** JPEG/WebP quality 1..100 (sharp's default 80). */
  quality?: number;
}

const ENCODE_OPTIONS = ['format', 'alpha', 'quality', 'abs', 'offset', 'round', 'clamp'] as const;

/** Checks a PixelMapping's fields (shared with filterImage). */
export function readMapping(fn: string, o: Record<string, unknown>): Required<PixelMapping> {
  const abs = booleanOption(fn, 'options.abs', o.abs, false);
  const round = booleanOption(fn, 'options.round', o.round, true);
  const clamp = booleanOption(fn, 'options.clamp', o.clamp, true);
  const offset = o.offset ?? 0;
  if (typeof offset !== 'number') throw typeError(fn, 'options.offset', 'a finite number', offset);
  if (!Number.isFinite(offset)) throw new ArgumentRangeError(message(fn, 'options.offset', 'a finite number', String(offset)));
  return { abs, offset, round, clamp };
}

/** 8-bit interleaved pixels (colour channels, then alpha) from float planes. */
export function planesToPixels(fn: string, planes: Float32Array, colour: number, pixels: number, alpha: Uint8Array | null,
  mapping: Required<PixelMapping>): Uint8Array {
  if (!mapping.clamp) {
    for (let i = 0; i < planes.length; i++) {
      const v = (mapping.abs ? Math.abs(planes[i]) : planes[i]) + mapping.offset;
      if (!(v >= 0 && v <= 255)) {
        throw new ArgumentRangeError(message(fn, 'every mapped value (clamp is false)', 'in [0, 255]',
          `${v} at channel ${Math.floor(i / pixels)}, pixel ${i % pixels}`));
      }
    }
  }
  // From the pool: the caller gives it back once it is encoded.
  const out = bytePool.take(pixels * (colour + (alpha ? 1 : 0)));
  backend().pixelsFromPlanes({ pixels, colour, abs: mapping.abs, offset: mapping.offset, round: mapping.round }, planes, alpha, out);
  return out;
}

/** Encodes a (C, H, W) tensor (C = 1 or 3) as an image file's bytes. */
export async function tensorToImage(tensor: Tensor, options: EncodeOptions): Promise<Buffer> {
  const fn = 'tensorToImage';
  assertTensor(fn, 'tensor', tensor);
  if (tensor.shape.length !== 3 || (tensor.shape[0] !== 1 && tensor.shape[0] !== 3)) {
    throw new ShapeError(message(fn, 'tensor.shape', '(C, H, W) with C = 1 or 3', formatShape(tensor.shape)));
  }
  const o = checkOptions(fn, options, ENCODE_OPTIONS);
  const format = oneOf(fn, 'options.format', o.format, OUTPUT_FORMATS);
  const [colour, height, width] = tensor.shape;
  const alpha = (o.alpha ?? null) as Uint8Array | null;
  if (alpha !== null && !(alpha instanceof Uint8Array && alpha.length === width * height)) {
    throw typeError(fn, 'options.alpha', `a Uint8Array of ${width * height} bytes (H·W) or null`, alpha);
  }
  const pixels = planesToPixels(fn, tensor.data, colour, width * height, alpha, readMapping(fn, o));
  try {
    return await encodePixels(pixels, width, height, colour + (alpha ? 1 : 0), format, o.quality);
  } finally {
    bytePool.give(pixels);
  }
}

/** sharp's encoder over raw interleaved bytes. */
export async function encodePixels(pixels: Uint8Array, width: number, height: number, channels: number, format: ImageFormat,
  quality: unknown, dropAlpha = false): Promise<Buffer> {
  if (quality !== undefined && !(Number.isInteger(quality) && (quality as number) >= 1 && (quality as number) <= 100)) {
    throw new ArgumentRangeError(message('tensorToImage', 'options.quality', 'an integer in 1..100', String(quality)));
  }
  const sharp = loadSharp();
  let raw = Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  if (format === 'tiff' && channels === 2) {
    // sharp's TIFF writer drops a grey image's alpha: write it as RGBA instead.
    const rgba = Buffer.alloc(width * height * 4);
    for (let i = 0; i < width * height; i++) rgba.fill(raw[2 * i], 4 * i, 4 * i + 3).writeUInt8(raw[2 * i + 1], 4 * i + 3);
    raw = rgba;
    channels = 4;
  }
  let image = sharp(raw, { raw: { width, height, channels } });
  if (channels <= 2) image = image.toColourspace('b-w');  // grey stays grey (sharp would write RGB)
  if (dropAlpha) image = image.removeAlpha();
  return image.toFormat(format, quality === undefined ? {} : { quality }).toBuffer();
}
