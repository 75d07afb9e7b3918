/**
 * Float32 storage for op results. Small arrays are carved out of a shared 64 KiB slab,
 * as Node.js does for small Buffers: a fresh ArrayBuffer costs a malloc and a
 * garbage-collected backing store, which dominates ops on a few dozen elements.
 * Large arrays get their own buffer. Either way the memory starts zeroed.
 */
const SLAB_BYTES = 64 * 1024;
const SMALL_BYTES = 1024;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

export function allocFloats(length: number): Float32Array {
  const bytes = length * 4;
  if (bytes > SMALL_BYTES) return new Float32Array(length);
  if (used + bytes > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const view = new Float32Array(slab, used, length);
  used += (bytes + 15) & ~15; // keep 16-byte alignment for the next one
  return view;
}
