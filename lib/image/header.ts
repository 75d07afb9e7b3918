/**
 * The format, size and stored channel count of a JPEG or PNG, read from its first bytes:
 * the batch needs them before decoding (the output format; whether a grey source stays
 * grey; the memory the image will take), and asking sharp for them costs a second pass
 * over every file (about 7% of a batch of JPEGs). Null for other formats or anything
 * unexpected: then ask sharp.
 */
export interface ImageHeader {
  format: 'jpeg' | 'png';
  /** Channels as stored: 1 or 2 (grey, + alpha), 3 or 4 (colour, + alpha; CMYK). */
  channels: number;
  width: number;
  height: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** PNG colour type → channels (3: palette, whatever its transparency). */
const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 3, 4: 2, 6: 4 };

export function readHeader(bytes: Uint8Array): ImageHeader | null {
  if (bytes.length >= 26 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) {
    // The first chunk is IHDR; its colour type is byte 25 of the file.
    const isIhdr = bytes[12] === 0x49 && bytes[13] === 0x48 && bytes[14] === 0x44 && bytes[15] === 0x52;
    const channels = PNG_CHANNELS[bytes[25]];
    const width = uint32(bytes, 16), height = uint32(bytes, 20);
    return isIhdr && channels !== undefined ? { format: 'png', channels, width, height } : null;
  }
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) return jpegHeader(bytes);
  return null;
}

/** The component count of the first start-of-frame segment, walking the markers. */
function jpegHeader(bytes: Uint8Array): ImageHeader | null {
  let i = 2;
  while (i + 9 < bytes.length) {
    if (bytes[i] !== 0xff) return null;
    const marker = bytes[i + 1];
    if (marker === 0xff) {
      i += 1;  // fill byte
    } else if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      i += 2;  // markers without a length
    } else if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      // SOFn: length (2), precision (1), height (2), width (2), components (1).
      const channels = bytes[i + 9];
      const height = (bytes[i + 5] << 8) | bytes[i + 6], width = (bytes[i + 7] << 8) | bytes[i + 8];
      // A height of 0 is defined later in the file (DNL): leave that to sharp.
      return channels >= 1 && channels <= 4 && height > 0 ? { format: 'jpeg', channels, width, height } : null;
    } else if (marker === 0xda || marker === 0xd9) {
      return null;  // scan data or the end before any frame header
    } else {
      i += 2 + ((bytes[i + 2] << 8) | bytes[i + 3]);
    }
  }
  return null;
}

/** A big-endian unsigned 32-bit integer at `at`. */
function uint32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) >>> 0) + (bytes[at + 1] << 16) + (bytes[at + 2] << 8) + bytes[at + 3];
}
