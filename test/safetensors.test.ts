/**
 * Hostile and huge safetensors files: names that are Object.prototype's own ('__proto__',
 * 'constructor', …) as tensor names, dtypes and metadata keys; a header over the
 * format's limit; a checkpoint over 2 GiB (read by offset, never whole); a tensor over
 * convcore's 2^30-element limit.
 */
import { closeSync, mkdtempSync, openSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  ArgumentRangeError, ArgumentTypeError, BatchNorm2d, Conv2D, Linear, Sequential, ShapeError, Tensor, loadSafetensors, parseSafetensors, saveSafetensors,
  serializeSafetensors,
} from '../lib/index';

const dir = mkdtempSync(path.join(tmpdir(), 'convcore-st-hostile-'));
const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__'];

/** A safetensors file: the header, then `dataLength` bytes (sparse: zeros), then `tail` at `tailAt`. */
function writeFile(name: string, header: Record<string, unknown>, dataLength: number, tail?: { at: number; bytes: Buffer }): string {
  const file = path.join(dir, name);
  const json = Buffer.from(JSON.stringify(header));
  const fd = openSync(file, 'w');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  writeSync(fd, length, 0, 8, 0);
  writeSync(fd, json, 0, json.length, 8);
  ftruncateSync(fd, 8 + json.length + dataLength);
  if (tail) writeSync(fd, tail.bytes, 0, tail.bytes.length, 8 + json.length + tail.at);
  closeSync(fd);
  return file;
}

/** A header object whose keys are own properties, whatever their names. */
function headerOf(entries: Array<[string, unknown]>): Record<string, unknown> {
  const header: Record<string, unknown> = Object.create(null);
  for (const [k, v] of entries) header[k] = v;
  return header;
}

describe("names that Object.prototype has are names like any other", () => {
  test.each(PROTOTYPE_NAMES)("a tensor named '%s' saves, parses and loads as itself", async (name) => {
    const tensors: Record<string, Tensor> = Object.create(null);
    tensors[name] = new Tensor([1, 2, 3], [3]);
    const metadata: Record<string, string> = Object.create(null);
    metadata[name] = 'kept';
    const bytes = serializeSafetensors({ ...Object.fromEntries([[name, tensors[name]]]), other: new Tensor([4], [1]) }, { ...metadata });
    for (const loaded of [parseSafetensors(bytes), await (async () => {
      const file = path.join(dir, `proto-${name}.safetensors`);
      await saveSafetensors(file, Object.fromEntries([[name, tensors[name]], ['other', new Tensor([4], [1])]]), { ...metadata });
      return loadSafetensors(file);
    })()]) {
      expect(Object.getPrototypeOf(loaded.tensors)).toBe(Object.prototype);
      expect(Object.keys(loaded.tensors).sort()).toEqual([name, 'other'].sort());
      expect(Object.hasOwn(loaded.tensors, name)).toBe(true);
      expect(loaded.tensors[name]).toBeInstanceOf(Tensor);
      expect([...loaded.tensors[name].data]).toEqual([1, 2, 3]);
      expect(Object.getPrototypeOf(loaded.metadata)).toBe(Object.prototype);
      expect(Object.keys(loaded.metadata)).toEqual([name]);
      expect(Object.getOwnPropertyDescriptor(loaded.metadata, name)?.value).toBe('kept');
    }
  });

  test.each(PROTOTYPE_NAMES)("'%s' as a dtype is refused by name", (dtype) => {
    const json = JSON.stringify({ w: { dtype, shape: [1], data_offsets: [0, 4] } });
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(json.length));
    const bytes = Buffer.concat([length, Buffer.from(json), Buffer.alloc(4)]);
    expect(() => parseSafetensors(bytes)).toThrow(new ArgumentTypeError(
      `parseSafetensors: expected the dtype of 'w' to be F32, F64, F16, BF16, I64, I32, I16, I8, U8 or BOOL, but got ${dtype}`));
  });

  test('integer dtypes (PyTorch saves num_batches_tracked as I64) become float32 values', () => {
    const parts: Array<[string, string, Buffer]> = [
      ['i64', 'I64', Buffer.from(new BigInt64Array([0n, -3n, 1n << 40n]).buffer)],
      ['i32', 'I32', Buffer.from(new Int32Array([7, -2, 100000]).buffer)],
      ['i16', 'I16', Buffer.from(new Int16Array([-32768, 5, 32767]).buffer)],
      ['i8', 'I8', Buffer.from(new Int8Array([-128, 0, 127]).buffer)],
      ['u8', 'U8', Buffer.from([0, 200, 255])],
      ['b', 'BOOL', Buffer.from([1, 0, 1])],
    ];
    const header: Record<string, unknown> = {};
    let offset = 0;
    for (const [name, dtype, data] of parts) {
      header[name] = { dtype, shape: [3], data_offsets: [offset, offset + data.length] };
      offset += data.length;
    }
    const json = Buffer.from(JSON.stringify(header));
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(json.length));
    const { tensors } = parseSafetensors(Buffer.concat([length, json, ...parts.map(([, , d]) => d)]));
    expect([...tensors.i64.data]).toEqual([0, -3, 2 ** 40]);
    expect([...tensors.i32.data]).toEqual([7, -2, 100000]);
    expect([...tensors.i16.data]).toEqual([-32768, 5, 32767]);
    expect([...tensors.i8.data]).toEqual([-128, 0, 127]);
    expect([...tensors.u8.data]).toEqual([0, 200, 255]);
    expect([...tensors.b.data]).toEqual([1, 0, 1]);
  });

  test('writes integer counters as I64/I32 on request (stateDictDtypes names BatchNorm\'s) and refuses non-integers', () => {
    const net = new Sequential(new Conv2D(1, 2, 3), new BatchNorm2d(2));
    net.forward(Tensor.randn([2, 1, 5, 5], { seed: 1 }));
    expect(net.stateDictDtypes()).toEqual({ '1.num_batches_tracked': 'I64' });
    const bytes = serializeSafetensors(net.stateDict(), {}, { dtypes: { ...net.stateDictDtypes(), '1.running_mean': 'F32' } });
    const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8'));
    expect(header['1.num_batches_tracked'].dtype).toBe('I64');
    expect(header['1.running_mean'].dtype).toBe('F32');
    const { tensors } = parseSafetensors(bytes);
    expect(tensors['1.num_batches_tracked'].item()).toBe(1);
    expect(Array.from(tensors['1.running_var'].data)).toEqual(Array.from(net.stateDict()['1.running_var'].data));
    const counts = parseSafetensors(serializeSafetensors({ c: Tensor.fromArray([-3, 0, 7]) }, {}, { dtypes: { c: 'I32' } })).tensors.c;
    expect(Array.from(counts.data)).toEqual([-3, 0, 7]);
    expect(() => serializeSafetensors({ c: Tensor.fromArray([1.5]) }, {}, { dtypes: { c: 'I64' } })).toThrow(/integers, but got 1.5 at index 0/);
    expect(() => serializeSafetensors({ c: Tensor.fromArray([1]) }, {}, { dtypes: { d: 'I64' } })).toThrow(/the name of one of the tensors/);
    expect(() => serializeSafetensors({ c: Tensor.fromArray([1]) }, {}, { dtypes: { c: 'U8' as never } })).toThrow(/one of 'F32', 'I64', 'I32'/);
  });

  test("loadStateDict looks only at the state's own keys", () => {
    const layer = new Linear(2, 1);
    const state = parseSafetensors(serializeSafetensors({ constructor: new Tensor([1], [1]) })).tensors;
    expect(() => layer.loadStateDict(state)).toThrow('missing [weight, bias], unexpected [constructor]');
    expect(() => layer.loadStateDict({ ...state }, { strict: false })).not.toThrow();
  });
});

describe('large files are read by offset, with the real limits named', () => {
  test('a header longer than the format allows (600 MB of it) is refused as such, not "not JSON"', async () => {
    // A sparse file: the 600 MB are never written, and must not be read.
    const file = path.join(dir, 'huge-header.safetensors');
    const fd = openSync(file, 'w');
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(600_000_000n);
    writeSync(fd, length, 0, 8, 0);
    ftruncateSync(fd, 8 + 600_000_000 + 16);
    closeSync(fd);
    await expect(loadSafetensors(file)).rejects.toThrow(new ShapeError(
      "loadSafetensors: expected the header length to be valid safetensors data, but got 600000000 bytes, over the format's limit of 100000000 (safetensors' MAX_HEADER_SIZE)"));
  });

  test('a checkpoint over 2 GiB loads: two 1 GiB tensors, then one past byte 2^31', async () => {
    const big = 2 ** 28;  // floats: 1 GiB each
    const tail = Buffer.alloc(12);
    [1.5, -2, 3.25].forEach((v, i) => tail.writeFloatLE(v, 4 * i));
    const file = writeFile('big.safetensors', headerOf([
      ['a', { dtype: 'F32', shape: [big], data_offsets: [0, 4 * big] }],
      ['b', { dtype: 'F32', shape: [2 ** 14, 2 ** 14], data_offsets: [4 * big, 8 * big] }],
      ['tail', { dtype: 'F32', shape: [3], data_offsets: [8 * big, 8 * big + 12] }],
    ]), 8 * big + 12, { at: 8 * big, bytes: tail });
    const { tensors } = await loadSafetensors(file);
    expect([...tensors.tail.data]).toEqual([1.5, -2, 3.25]);
    expect(tensors.a.size).toBe(big);
    expect(tensors.b.shape).toEqual([2 ** 14, 2 ** 14]);
    expect([tensors.a.data[0], tensors.a.data[big - 1], tensors.b.data[big - 1]]).toEqual([0, 0, 0]);
  }, 60_000);

  test('a tensor over 2^30 elements is refused before anything is read', async () => {
    const count = 2 ** 30 + 2;
    const file = writeFile('too-many.safetensors', headerOf([['w', { dtype: 'F16', shape: [count], data_offsets: [0, 2 * count] }]]), 2 * count);
    await expect(loadSafetensors(file)).rejects.toThrow(new ArgumentRangeError(
      `loadSafetensors: expected tensor 'w' to be at most ${2 ** 30} elements (2^30, convcore's limit for one tensor), but got shape [${count}], ${count} elements`));
  });

  test('F16, BF16 and F64 tensors are converted chunk by chunk through a file', async () => {
    const count = 5;
    const data = Buffer.alloc(count * (2 + 2 + 8));
    const halves = [0x3c00, 0xc100, 0x7c00, 0x0001, 0x7e00];  // 1, -2.5, ∞, the smallest subnormal, NaN
    halves.forEach((h, i) => data.writeUInt16LE(h, 2 * i));
    [0x4049, 0xbf80, 0x0000, 0x7f80, 0x3f00].forEach((h, i) => data.writeUInt16LE(h, 10 + 2 * i));
    [0.1, -1e300, 5, 2 ** -140, -0].forEach((v, i) => data.writeDoubleLE(v, 20 + 8 * i));
    const file = writeFile('dtypes.safetensors', headerOf([
      ['h', { dtype: 'F16', shape: [count], data_offsets: [0, 10] }],
      ['bf', { dtype: 'BF16', shape: [count], data_offsets: [10, 20] }],
      ['d', { dtype: 'F64', shape: [count], data_offsets: [20, 60] }],
    ]), 60, { at: 0, bytes: data });
    const { tensors } = await loadSafetensors(file);
    expect([...tensors.h.data]).toEqual([1, -2.5, Infinity, Math.fround(2 ** -24), NaN]);
    expect([...tensors.bf.data]).toEqual([3.140625, -1, 0, Infinity, 0.5]);
    expect([...tensors.d.data]).toEqual([Math.fround(0.1), -Infinity, 5, Math.fround(2 ** -140), -0]);
  });
});
