/**
 * Checkpoints in the safetensors format, which PyTorch reads and writes
 * (safetensors.torch.save_file / load_file): an 8-byte little-endian header length,
 * a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {…}}, then the
 * raw little-endian tensor data, back to back. convcore writes F32; it reads F32, F64,
 * F16 and BF16 (converted to float32) and refuses other dtypes by name.
 */
import { promises as fs } from 'node:fs';
import { ArgumentTypeError, ShapeError } from '../errors';
import { Tensor, assertTensor } from '../tensor';
import { writeFileAtomically } from './atomic-write';
import { is, message, typeError } from '../validate';

export interface Safetensors {
  tensors: Record<string, Tensor>;
  /** The header's free-form string map (empty when absent). */
  metadata: Record<string, string>;
}

const BYTES: Record<string, number> = { F32: 4, F64: 8, F16: 2, BF16: 2 };
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** The file's bytes for `tensors` (and optional string metadata). */
export function serializeSafetensors(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Buffer {
  const fn = 'serializeSafetensors';
  if (!is.plainObject(tensors)) throw typeError(fn, 'tensors', 'an object of Tensors by name', tensors);
  if (!is.plainObject(metadata) || !Object.values(metadata).every((v) => typeof v === 'string')) {
    throw typeError(fn, 'metadata', 'an object of strings', metadata);
  }
  // Sorted names, as the reference implementation writes them.
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    assertTensor(fn, `tensors['${name}']`, t);
    if (name === '__metadata__') throw new ArgumentTypeError(message(fn, 'a tensor name', "anything but '__metadata__'", "'__metadata__'"));
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + t.size * 4] };
    offset += t.size * 4;
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
    if (LITTLE_ENDIAN) Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, at);
    else for (let i = 0; i < data.length; i++) out.writeFloatLE(data[i], at + 4 * i);
    at += data.byteLength;
  }
  return out;
}

function corrupt(what: string, got: string): ShapeError {
  return new ShapeError(message('parseSafetensors', what, 'valid safetensors data', got));
}

/** Reads one element of `dtype` at byte `at` as a number. */
function reader(bytes: Buffer, dtype: string): (at: number) => number {
  switch (dtype) {
    case 'F32': return (at) => bytes.readFloatLE(at);
    case 'F64': return (at) => bytes.readDoubleLE(at);
    case 'BF16': {
      // bfloat16 is the high half of a float32.
      const scratch = Buffer.alloc(4);
      return (at) => {
        scratch.writeUInt16LE(bytes.readUInt16LE(at), 2);
        return scratch.readFloatLE(0);
      };
    }
    default: return (at) => halfToFloat(bytes.readUInt16LE(at));
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f, fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** Parses a safetensors file's bytes, checking the header against the data. */
export function parseSafetensors(bytes: Buffer | Uint8Array): Safetensors {
  const fn = 'parseSafetensors';
  if (!(bytes instanceof Uint8Array)) throw typeError(fn, 'bytes', 'a Buffer or Uint8Array', bytes);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < 8) throw corrupt('the file', `${buffer.length} bytes (shorter than the 8-byte header length)`);
  const headerLength = buffer.readBigUInt64LE(0);
  if (headerLength > BigInt(buffer.length - 8)) throw corrupt('the header length', `${headerLength} for a file of ${buffer.length} bytes`);
  let header: unknown;
  try {
    header = JSON.parse(buffer.toString('utf8', 8, 8 + Number(headerLength)));
  } catch {
    throw corrupt('the header', 'text that is not JSON');
  }
  if (!is.plainObject(header)) throw corrupt('the header', 'JSON that is not an object');
  const dataStart = 8 + Number(headerLength);
  const dataLength = buffer.length - dataStart;
  const tensors: Record<string, Tensor> = {};
  const spans: Array<[number, number]> = [];
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!is.plainObject(entry) || !Object.values(entry).every((v) => typeof v === 'string')) throw corrupt('__metadata__', 'something other than a string map');
      metadata = entry as Record<string, string>;
      continue;
    }
    if (!is.plainObject(entry)) throw corrupt(`the entry of '${name}'`, 'not an object');
    const { dtype, shape, data_offsets: offsets } = entry;
    if (typeof dtype !== 'string' || !(dtype in BYTES)) {
      throw new ArgumentTypeError(message(fn, `the dtype of '${name}'`, 'F32, F64, F16 or BF16', String(dtype)));
    }
    if (!Array.isArray(shape) || !shape.every(is.nonNegativeInteger)) throw corrupt(`the shape of '${name}'`, JSON.stringify(shape));
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(is.nonNegativeInteger) || offsets[0] > offsets[1] || offsets[1] > dataLength) {
      throw corrupt(`the data_offsets of '${name}'`, `${JSON.stringify(offsets)} for ${dataLength} bytes of data`);
    }
    const count = shape.reduce((a: number, b: number) => a * b, 1);
    if (offsets[1] - offsets[0] !== count * BYTES[dtype]) {
      throw corrupt(`the data of '${name}'`, `${offsets[1] - offsets[0]} bytes for shape [${shape}] of ${dtype}`);
    }
    spans.push([offsets[0], offsets[1]]);
    const data = new Float32Array(count);
    const read = reader(buffer, dtype);
    const base = dataStart + offsets[0];
    for (let i = 0; i < count; i++) data[i] = read(base + i * BYTES[dtype]);
    tensors[name] = new Tensor(data, shape);
  }
  // The tensors must tile the data exactly: no overlap, no hole.
  spans.sort((a, b) => a[0] - b[0]);
  let end = 0;
  for (const [begin, finish] of spans) {
    if (begin !== end) throw corrupt('the data layout', `a ${begin < end ? 'overlap' : 'hole'} at byte ${Math.min(begin, end)}`);
    end = finish;
  }
  if (end !== dataLength) throw corrupt('the data layout', `${dataLength - end} bytes after the last tensor`);
  return { tensors, metadata };
}

/**
 * Writes `tensors` to `path` (a temporary file renamed into place, so a crash never
 * leaves half a checkpoint).
 */
export async function saveSafetensors(path: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): Promise<void> {
  if (typeof path !== 'string' || path === '') throw typeError('saveSafetensors', 'path', 'a file path', path);
  await writeFileAtomically(path, serializeSafetensors(tensors, metadata));
}

/** Reads a safetensors file: its tensors (as float32) and metadata. */
export async function loadSafetensors(path: string): Promise<Safetensors> {
  if (typeof path !== 'string' || path === '') throw typeError('loadSafetensors', 'path', 'a file path', path);
  return parseSafetensors(await fs.readFile(path));
}
