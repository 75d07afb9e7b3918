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

// ---- gradient buffers ----------------------------------------------------------------
// Gradients live only while backward() runs: each is made by one node's backward and
// consumed by the next. backward() hands every consumed gradient back here, and the
// next step's gradients of the same sizes reuse them, so a training step in steady
// state allocates (and page-faults) no new gradient memory.

const freeGradients = new Map<number, Float32Array[]>();
const pooled = new WeakSet<Float32Array>();
/** Bytes held in free lists, bounded so that one huge backward cannot pin memory forever. */
let retainedBytes = 0;
const MAX_RETAINED_BYTES = 256 * 1024 * 1024;
/** Counts for tests and benchmarks: gradient buffers made fresh, and handed out again. */
export const gradientPoolStats = { fresh: 0, reused: 0 };

/**
 * A buffer for a gradient computed inside a backward function, with unspecified
 * contents: the caller must write every element. Small ones come from the slab.
 */
export function allocGradient(length: number): Float32Array {
  if (length * 4 <= SMALL_BYTES) return allocFloats(length);
  const list = freeGradients.get(length);
  const reused = list?.pop();
  if (reused !== undefined) {
    retainedBytes -= reused.byteLength;
    gradientPoolStats.reused++;
    return reused;
  }
  gradientPoolStats.fresh++;
  const fresh = new Float32Array(length);
  pooled.add(fresh);
  return fresh;
}

/** Returns a consumed gradient from allocGradient (anything else is ignored). */
export function releaseGradient(buffer: Float32Array): void {
  if (!pooled.has(buffer) || retainedBytes + buffer.byteLength > MAX_RETAINED_BYTES) return;
  let list = freeGradients.get(buffer.length);
  if (list === undefined) freeGradients.set(buffer.length, (list = []));
  if (list.includes(buffer)) return; // already free: never hand one buffer out twice
  list.push(buffer);
  retainedBytes += buffer.byteLength;
}
