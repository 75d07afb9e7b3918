/**
 * Float32 storage for op results. Small arrays are carved out of a shared 64 KiB slab,
 * as Node.js does for small Buffers: a fresh ArrayBuffer costs a malloc and a
 * garbage-collected backing store, which dominates ops on a few dozen elements.
 * Large arrays get their own buffer. Either way the memory starts zeroed.
 */
import { type NativeAddon, loadedAddon, nativeAddon } from './binding';

const SLAB_BYTES = 64 * 1024;
const SMALL_BYTES = 1024;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

export function allocFloats(length: number): Float32Array {
  const bytes = length * 4;
  if (bytes > SMALL_BYTES) return allocStorage(length);
  // A new slab when this one is full, or was detached: a caller transferred the buffer
  // of a small tensor (which docs/guarantees.md warns against) and took the slab with it.
  if (used + bytes > SLAB_BYTES || slab.byteLength === 0) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const view = new Float32Array(slab, used, length);
  used += (bytes + 15) & ~15; // keep 16-byte alignment for the next one
  return view;
}

/**
 * A one-element array holding `value`, from the slab: Float32Array.of(value) would live
 * on the JS heap and get a backing store of its own when a native call reads it (see
 * call-scratch.ts for why that matters).
 */
export function scalarFloats(value: number): Float32Array {
  const data = allocFloats(1);
  data[0] = value;
  return data;
}

// ---- alignment -------------------------------------------------------------------------
// Large storage starts on a 64-byte boundary (malloc gives 16), so that no vector load of
// a kernel straddles two cache lines: over a 32 MB tensor 16 bytes off the boundary, a
// sum took 1.25-1.4x as long and an add 1.1-1.2x. Only the addon knows an address; it
// is loaded for this (where it cannot be, storage stays as malloc gives it).

const ALIGNMENT = 64;
let loadFailed = false;

function alignmentAddon(): NativeAddon | null {
  const loaded = loadedAddon();
  if (loaded !== null || loadFailed) return loaded;
  try {
    return nativeAddon();
  } catch {
    // No binary here (the reference backend): storage stays as malloc gives it, and the
    // first native op reports why the addon did not load.
    loadFailed = true;
    return null;
  }
}

function alignedView(buffer: ArrayBuffer, length: number, addon: NativeAddon): Float32Array {
  return new Float32Array(buffer, addon.alignmentShift(buffer), length);
}

/**
 * Zeroed storage of its own (an ArrayBuffer to itself) for a tensor: Tensor.zeros,
 * randn, fromArray and large op results. Large ones start on a 64-byte boundary, past
 * up to 60 bytes of their buffer.
 */
export function allocStorage(length: number): Float32Array {
  const addon = length * 4 > SMALL_BYTES ? alignmentAddon() : null;
  return addon === null ? new Float32Array(length) : alignedView(new ArrayBuffer(length * 4 + ALIGNMENT), length, addon);
}

/**
 * Storage for a result that the kernel writes in full (every pass of every convolution:
 * test/out-overwrite.test.ts), with unspecified contents: a large one skips the zero-fill
 * of new Float32Array, which on memory the cache hands back (lib/memory-cache.ts) would be
 * a pass over the whole result before the kernel's own. It starts on a 64-byte boundary.
 */
export function allocResult(length: number): Float32Array {
  if (length * 4 <= SMALL_BYTES) return allocFloats(length);
  const addon = alignmentAddon();
  if (addon === null) return new Float32Array(Buffer.allocUnsafeSlow(length * 4).buffer, 0, length);
  return alignedView(Buffer.allocUnsafeSlow(length * 4 + ALIGNMENT).buffer, length, addon); // its own ArrayBuffer
}

// ---- recycled buffers ------------------------------------------------------------------
// Large buffers whose end of life the library knows (a gradient once backward() has
// consumed it, an image pipeline's intermediate planes) go back to a pool, and later
// requests of the same length reuse them: a training step or an image in steady state
// then allocates, and page-faults, no new memory. A fresh large ArrayBuffer costs far
// more than the arithmetic on it (the kernel zero-fills every page on first touch).

class RecyclingPool<T extends Float32Array | Uint8Array> {
  private readonly free = new Map<number, T[]>();
  private readonly mine = new WeakSet<T>();
  private retainedBytes = 0;
  /** Buffers made fresh, and handed out again (for tests and benchmarks). */
  readonly stats = { fresh: 0, reused: 0 };

  constructor(private readonly make: (length: number) => T, private readonly maxRetainedBytes: number) {}

  /** A buffer of `length` elements with unspecified contents: the caller writes every one. */
  take(length: number): T {
    const reused = this.free.get(length)?.pop();
    if (reused !== undefined) {
      this.retainedBytes -= reused.byteLength;
      this.stats.reused++;
      return reused;
    }
    this.stats.fresh++;
    const fresh = this.make(length);
    this.mine.add(fresh);
    return fresh;
  }

  /** Whether `buffer` came from take() and has not been given back. */
  inUse(buffer: T): boolean {
    return this.mine.has(buffer) && !(this.free.get(buffer.length)?.includes(buffer) ?? false);
  }

  /** Lets a buffer from take() go for good: give() then ignores it, and only the GC frees it. */
  disown(buffer: T): void {
    if (this.inUse(buffer)) this.mine.delete(buffer);
  }

  /** Returns a buffer from take() that nothing reads any more (anything else is ignored). */
  give(buffer: T): void {
    if (!this.mine.has(buffer) || this.retainedBytes + buffer.byteLength > this.maxRetainedBytes) return;
    let list = this.free.get(buffer.length);
    if (list === undefined) this.free.set(buffer.length, (list = []));
    if (list.includes(buffer)) return; // already free: never hand one buffer out twice
    list.push(buffer);
    this.retainedBytes += buffer.byteLength;
  }
}

/**
 * Float buffers: gradients and image planes (bounded so one huge job cannot pin memory).
 * Their takers write every element, so new ones skip the zero-fill (allocResult).
 */
export const floatPool = new RecyclingPool<Float32Array>((n) => allocResult(n), 256 * 1024 * 1024);
/** Byte buffers: encoded-to-be image pixels. */
export const bytePool = new RecyclingPool<Uint8Array>((n) => new Uint8Array(n), 64 * 1024 * 1024);

/** Counts of the gradient (float) pool, for tests. */
export const gradientPoolStats = floatPool.stats;

/**
 * A buffer for a gradient computed inside a backward function, with unspecified
 * contents: the caller must write every element. Small ones come from the slab.
 */
export function allocGradient(length: number): Float32Array {
  return length * 4 <= SMALL_BYTES ? allocFloats(length) : floatPool.take(length);
}

/**
 * Whether `buffer` is a large gradient from allocGradient, in use: its last consumer may
 * keep it (and release it later) instead of copying it.
 */
export function isPooledGradient(buffer: Float32Array): boolean {
  return buffer.length * 4 > SMALL_BYTES && floatPool.inUse(buffer);
}

/**
 * Hands a gradient from allocGradient to code that may keep it (a custom Function's
 * backward, as PyTorch's may keep grad_output): the pool never reuses it.
 */
export function keepGradient(buffer: Float32Array): void {
  if (buffer.length * 4 > SMALL_BYTES) floatPool.disown(buffer);
}

/** Returns a consumed gradient from allocGradient (anything else is ignored). */
export function releaseGradient(buffer: Float32Array): void {
  // Small gradients live in the slab, never in the pool: skip the lookup.
  if (buffer.length * 4 > SMALL_BYTES) floatPool.give(buffer);
}
