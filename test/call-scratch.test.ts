import { describe, expect, it } from 'vitest';
import { scratchFloat64, scratchOf } from '../lib/call-scratch';

describe('call-scratch: parameter arrays for synchronous native calls', () => {
  it('hands out one view per slot and length, over one preallocated buffer', () => {
    const a = scratchOf(0, [3, 5, 7]);
    expect(Array.from(a)).toEqual([3, 5, 7]);
    expect(scratchFloat64(0, 3)).toBe(a);
    expect(a.buffer).toBe(scratchFloat64(2, 8).buffer);
    expect(a.buffer.byteLength).toBe(4 * 16 * 8);
  });

  it('keeps the slots apart, and the next call in a slot overwrites it', () => {
    const slots = [0, 1, 2, 3].map((slot) => scratchOf(slot, Array.from({ length: 16 }, (_, i) => slot * 100 + i)));
    slots.forEach((view, slot) => expect(Array.from(view)).toEqual(Array.from({ length: 16 }, (_, i) => slot * 100 + i)));
    const shorter = scratchOf(1, [9, 8]);
    expect(Array.from(shorter)).toEqual([9, 8]);
    expect(Array.from(slots[1].subarray(0, 3))).toEqual([9, 8, 102]);
    expect(slots[0][15]).toBe(15);
    expect(slots[2][0]).toBe(200);
  });

  it('writes booleans as 0 and 1', () => {
    expect(Array.from(scratchOf(3, [true, false, true]))).toEqual([1, 0, 1]);
  });

  it('gives longer arrays their own storage', () => {
    const long = scratchFloat64(0, 17);
    expect(long.length).toBe(17);
    expect(long.buffer).not.toBe(scratchFloat64(0, 1).buffer);
    expect(scratchFloat64(0, 17)).not.toBe(long);
  });
});
