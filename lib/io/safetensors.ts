/**
 * Checkpoints in the safetensors format, which PyTorch reads and writes
 * (safetensors.torch.save_file / load_file): an 8-byte little-endian header length,
 * a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {…}}, then the
 * raw little-endian tensor data, back to back. convcore writes F32 (and, asked per
 * tensor, I64 or I32 for integer counters); it reads F32, F64,
 * F16, BF16 and the integer types I64, I32, I16, I8, U8 and BOOL (PyTorch saves
 * BatchNorm's num_batches_tracked as I64), converted to float32, and refuses other
 * dtypes by name.
 */
import { promises as fs } from 'node:fs';
import { ArgumentRangeError, ArgumentTypeError, ShapeError } from '../errors';
import { Tensor, assertTensor } from '../tensor';
import { writeFileAtomically } from './atomic-write';
import { MAX_ELEMENTS, checkOptions, is, message, oneOf, typeError } from '../validate';

export interface Safetensors {
  tensors: Record<string, Tensor>;
  /** The header's free-form string map (empty when absent). */
  metadata: Record<string, string>;
}

const BYTES: Record<string, number> = { F32: 4, F64: 8, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** The dtypes a file can be written in: float32, or integers (checked exact) as PyTorch keeps counters. */
export type WriteDtype = 'F32' | 'I64' | 'I32';
const WRITE_DTYPES: readonly WriteDtype[] = ['F32', 'I64', 'I32'];

export interface SafetensorsWriteOptions {
  /** A dtype per tensor name (default F32): PyTorch's int64 buffers (num_batches_tracked) as I64; see Module.stateDictDtypes(). */
  dtypes?: Record<string, WriteDtype>;
}

/** The dtype each tensor is written in, its values checked where it is an integer type. */
function writeDtypes(fn: string, tensors: Record<string, Tensor>, options: SafetensorsWriteOptions | undefined): Map<string, WriteDtype> {
  const { dtypes = {} } = checkOptions(fn, options, ['dtypes']) as SafetensorsWriteOptions;
  if (!is.plainObject(dtypes)) throw typeError(fn, 'options.dtypes', 'an object of dtypes by tensor name', dtypes);
  const out = new Map<string, WriteDtype>();
  for (const [name, dtype] of Object.entries(dtypes)) {
    if (!Object.hasOwn(tensors, name)) throw new ArgumentTypeError(message(fn, `options.dtypes['${name}']`, 'the name of one of the tensors', `'${name}'`));
    out.set(name, oneOf(fn, `options.dtypes['${name}']`, dtype, WRITE_DTYPES));
    if (dtype === 'F32') continue;
    const limit = dtype === 'I64' ? 2 ** 53 : 2 ** 31;
    const data = tensors[name].data;
    for (let i = 0; i < data.length; i++) {
      if (!(Number.isInteger(data[i]) && data[i] >= -limit && data[i] < limit)) {
        throw new ArgumentRangeError(message(fn, `tensors['${name}'] (written as ${dtype})`, 'integers', `${data[i]} at index ${i}`));
      }
    }
  }
  return out;
}

/** The file's bytes for `tensors` (and optional string metadata). */
export function serializeSafetensors(tensors: Record<string, Tensor>, metadata: Record<string, string> = {},
  options?: SafetensorsWriteOptions): Buffer {
  const fn = 'serializeSafetensors';
  if (!is.plainObject(tensors)) throw typeError(fn, 'tensors', 'an object of Tensors by name', tensors);
  if (!is.plainObject(metadata) || !Object.values(metadata).every((v) => typeof v === 'string')) {
    throw typeError(fn, 'metadata', 'an object of strings', metadata);
  }
  const dtypeOf = writeDtypes(fn, tensors, options);
  // Sorted names, as the reference implementation writes them.
  const names = Object.keys(tensors).sort();
  // No prototype: a tensor named '__proto__' is a key like any other.
  const header: Record<string, unknown> = Object.create(null);
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    assertTensor(fn, `tensors['${name}']`, t);
    if (name === '__metadata__') throw new ArgumentTypeError(message(fn, 'a tensor name', "anything but '__metadata__'", "'__metadata__'"));
    const dtype = dtypeOf.get(name) ?? 'F32';
    header[name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + t.size * BYTES[dtype]] };
    offset += t.size * BYTES[dtype];
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so that the data starts 8-byte aligned.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const data = tensors[name].data;
    const dtype = dtypeOf.get(name) ?? 'F32';
    if (dtype === 'I64') for (let i = 0; i < data.length; i++) out.writeBigInt64LE(BigInt(data[i]), at + 8 * i);
    else if (dtype === 'I32') for (let i = 0; i < data.length; i++) out.writeInt32LE(data[i], at + 4 * i);
    else if (LITTLE_ENDIAN) Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, at);
    else for (let i = 0; i < data.length; i++) out.writeFloatLE(data[i], at + 4 * i);
    at += data.length * BYTES[dtype];
  }
  return out;
}

/** The reference implementation's limit on the JSON header (safetensors' MAX_HEADER_SIZE). */
export const MAX_HEADER_BYTES = 100_000_000;

function corrupt(fn: string, what: string, got: string): ShapeError {
  return new ShapeError(message(fn, what, 'valid safetensors data', got));
}

/** Converts `count` elements of `dtype` at the start of `bytes` into `out` from `at`. */
function decode(bytes: Buffer, dtype: string, count: number, out: Float32Array, at: number): void {
  switch (dtype) {
    case 'F32':
      if (LITTLE_ENDIAN) new Uint8Array(out.buffer, out.byteOffset + 4 * at, 4 * count).set(bytes.subarray(0, 4 * count));
      else for (let i = 0; i < count; i++) out[at + i] = bytes.readFloatLE(4 * i);
      return;
    case 'F64':
      for (let i = 0; i < count; i++) out[at + i] = bytes.readDoubleLE(8 * i);
      return;
    case 'BF16': {
      // bfloat16 is the high half of a float32.
      const widened = new Uint32Array(1), asFloat = new Float32Array(widened.buffer);
      for (let i = 0; i < count; i++) {
        widened[0] = bytes.readUInt16LE(2 * i) << 16;
        out[at + i] = asFloat[0];
      }
      return;
    }
    case 'I64':
      // Exact up to 2^24; larger counts round as float32 does.
      for (let i = 0; i < count; i++) out[at + i] = Number(bytes.readBigInt64LE(8 * i));
      return;
    case 'I32':
      for (let i = 0; i < count; i++) out[at + i] = bytes.readInt32LE(4 * i);
      return;
    case 'I16':
      for (let i = 0; i < count; i++) out[at + i] = bytes.readInt16LE(2 * i);
      return;
    case 'I8':
      for (let i = 0; i < count; i++) out[at + i] = bytes.readInt8(i);
      return;
    case 'U8':
    case 'BOOL':
      for (let i = 0; i < count; i++) out[at + i] = bytes[i];
      return;
    default:
      for (let i = 0; i < count; i++) out[at + i] = halfToFloat(bytes.readUInt16LE(2 * i));
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f, fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** One tensor as the header describes it, checked against the data's length. */
interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  count: number;
  /** Byte offsets within the data section. */
  begin: number;
  end: number;
}

/** The header's bytes (after the 8-byte length) as entries and metadata, every field checked. */
function readHeader(fn: string, header: Buffer, dataLength: number): { entries: Entry[]; metadata: Record<string, string> } {
  let json: unknown;
  try {
    json = JSON.parse(header.toString('utf8'));
  } catch {
    throw corrupt(fn, 'the header', 'text that is not JSON');
  }
  if (!is.plainObject(json)) throw corrupt(fn, 'the header', 'JSON that is not an object');
  const entries: Entry[] = [];
  let metadata: Record<string, string> = {};
  // Object.entries: the names are the header's own keys ('__proto__' and 'constructor' included).
  for (const [name, entry] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (!is.plainObject(entry) || !Object.values(entry).every((v) => typeof v === 'string')) throw corrupt(fn, '__metadata__', 'something other than a string map');
      metadata = ownCopy(Object.entries(entry as Record<string, string>));
      continue;
    }
    if (!is.plainObject(entry)) throw corrupt(fn, `the entry of '${name}'`, 'not an object');
    const { dtype, shape, data_offsets: offsets } = entry;
    if (typeof dtype !== 'string' || !Object.hasOwn(BYTES, dtype)) {
      throw new ArgumentTypeError(message(fn, `the dtype of '${name}'`, Object.keys(BYTES).join(', ').replace(/, (?=[^,]*$)/, ' or '), String(dtype)));
    }
    if (!Array.isArray(shape) || !shape.every(is.nonNegativeInteger)) throw corrupt(fn, `the shape of '${name}'`, JSON.stringify(shape));
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(is.nonNegativeInteger) || offsets[0] > offsets[1] || offsets[1] > dataLength) {
      throw corrupt(fn, `the data_offsets of '${name}'`, `${JSON.stringify(offsets)} for ${dataLength} bytes of data`);
    }
    const count = shape.reduce((a: number, b: number) => a * b, 1);
    if (offsets[1] - offsets[0] !== count * BYTES[dtype]) {
      throw corrupt(fn, `the data of '${name}'`, `${offsets[1] - offsets[0]} bytes for shape [${shape}] of ${dtype}`);
    }
    if (count > MAX_ELEMENTS) {
      throw new ArgumentRangeError(message(fn, `tensor '${name}'`, `at most ${MAX_ELEMENTS} elements (2^30, convcore's limit for one tensor)`, `shape [${shape}], ${count} elements`));
    }
    entries.push({ name, dtype, shape, count, begin: offsets[0], end: offsets[1] });
  }
  // The tensors must tile the data exactly: no overlap, no hole.
  const spans = entries.map((e) => [e.begin, e.end]).sort((a, b) => a[0] - b[0]);
  let end = 0;
  for (const [begin, finish] of spans) {
    if (begin !== end) throw corrupt(fn, 'the data layout', `a ${begin < end ? 'overlap' : 'hole'} at byte ${Math.min(begin, end)}`);
    end = finish;
  }
  if (end !== dataLength) throw corrupt(fn, 'the data layout', `${dataLength - end} bytes after the last tensor`);
  return { entries, metadata };
}

/** A plain object holding `pairs` as own properties, whatever their names ('__proto__' too). */
function ownCopy<T>(pairs: Array<[string, T]>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [key, value] of pairs) Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  return out;
}

/** The 8-byte header length, checked against the file and the format's limit. */
function headerLength(fn: string, first8: Buffer, fileLength: number): number {
  if (fileLength < 8) throw corrupt(fn, 'the file', `${fileLength} bytes (shorter than the 8-byte header length)`);
  const length = first8.readBigUInt64LE(0);
  if (length > BigInt(fileLength - 8)) throw corrupt(fn, 'the header length', `${length} for a file of ${fileLength} bytes`);
  if (length > BigInt(MAX_HEADER_BYTES)) {
    throw corrupt(fn, 'the header length', `${length} bytes, over the format's limit of ${MAX_HEADER_BYTES} (safetensors' MAX_HEADER_SIZE)`);
  }
  return Number(length);
}

/** Parses a safetensors file's bytes, checking the header against the data. */
export function parseSafetensors(bytes: Buffer | Uint8Array): Safetensors {
  const fn = 'parseSafetensors';
  if (!(bytes instanceof Uint8Array)) throw typeError(fn, 'bytes', 'a Buffer or Uint8Array', bytes);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = headerLength(fn, buffer, buffer.length);
  const dataStart = 8 + length;
  const { entries, metadata } = readHeader(fn, buffer.subarray(8, dataStart), buffer.length - dataStart);
  const tensors = ownCopy(entries.map((e): [string, Tensor] => {
    const data = new Float32Array(e.count);
    decode(buffer.subarray(dataStart + e.begin, dataStart + e.end), e.dtype, e.count, data, 0);
    return [e.name, new Tensor(data, e.shape)];
  }));
  return { tensors, metadata };
}

/**
 * Writes `tensors` to `path` (a temporary file renamed into place, so a crash never
 * leaves half a checkpoint).
 */
export async function saveSafetensors(path: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>,
  options?: SafetensorsWriteOptions): Promise<void> {
  if (typeof path !== 'string' || path === '') throw typeError('saveSafetensors', 'path', 'a file path', path);
  await writeFileAtomically(path, serializeSafetensors(tensors, metadata, options));
}

/** Bytes read from the file at a time: the file is never read whole. */
const CHUNK_BYTES = 64 << 20;

/** `target.length` bytes of the file from `position`, into `target`, a chunk at a time. */
async function readFully(file: fs.FileHandle, target: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < target.length;) {
    const { bytesRead } = await file.read(target, done, Math.min(CHUNK_BYTES, target.length - done), position + done);
    if (bytesRead === 0) throw corrupt('loadSafetensors', 'the file', `one that ended at byte ${position + done} while being read`);
    done += bytesRead;
  }
}

/**
 * Reads a safetensors file: its tensors (as float32) and metadata. The header and each
 * tensor are read by offset, a chunk at a time, so a checkpoint of many gigabytes loads
 * (each tensor up to 2^30 elements) and nothing is held twice.
 */
export async function loadSafetensors(path: string): Promise<Safetensors> {
  const fn = 'loadSafetensors';
  if (typeof path !== 'string' || path === '') throw typeError(fn, 'path', 'a file path', path);
  const file = await fs.open(path, 'r');
  try {
    const fileLength = (await file.stat()).size;
    const first8 = Buffer.alloc(8);
    if (fileLength >= 8) await readFully(file, first8, 0);
    const length = headerLength(fn, first8, fileLength);
    const header = Buffer.alloc(length);
    await readFully(file, header, 8);
    const dataStart = 8 + length;
    const { entries, metadata } = readHeader(fn, header, fileLength - dataStart);
    const tensors: Array<[string, Tensor]> = [];
    for (const e of entries) {
      const data = new Float32Array(e.count);
      const width = BYTES[e.dtype];
      if (e.dtype === 'F32' && LITTLE_ENDIAN) {
        // The file's bytes are the array's bytes: read them in place.
        await readFully(file, new Uint8Array(data.buffer), dataStart + e.begin);
      } else {
        const chunkElements = Math.floor(CHUNK_BYTES / width);
        const chunk = Buffer.alloc(Math.min(e.count, chunkElements) * width);
        for (let at = 0; at < e.count; at += chunkElements) {
          const count = Math.min(chunkElements, e.count - at);
          await readFully(file, chunk.subarray(0, count * width), dataStart + e.begin + at * width);
          decode(chunk, e.dtype, count, data, at);
        }
      }
      tensors.push([e.name, new Tensor(data, e.shape)]);
    }
    return { tensors: ownCopy(tensors), metadata };
  } finally {
    await file.close();
  }
}
