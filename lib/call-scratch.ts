/**
 * The small arrays a synchronous native call reads its parameters from (a layout's sizes
 * and strides, an optimiser's hyperparameters), as views of one buffer made once.
 *
 * Why not a new Float64Array per call: each costs V8 a new backing store (one of 64 bytes
 * or less lives on the JS heap until the addon reads it, when V8 moves it out into an
 * ArrayBuffer of its own), and V8 may start a scavenge on any such allocation, because it
 * collects young ArrayBuffers by their bytes. Started in the middle of a training step, a
 * scavenge finds the step's large results alive and promotes them, and then only full
 * collections free them. In a forward loop of conv-ReLU-conv-add-square-sum on
 * (32, 64, 32, 32), the sum's two small arrays alone brought 10 mark-compacts in 40 steps
 * where there had been 1.
 *
 * A view is valid until the next call that takes the same slot: only calls that read
 * their parameters before they return may use these (no async ones). Each worker thread
 * has its own.
 */

const SLOTS = 4;
const SLOT_LENGTH = 16;
const storage = new ArrayBuffer(SLOTS * SLOT_LENGTH * Float64Array.BYTES_PER_ELEMENT);
// One view per slot and length, made on first use: a call then allocates nothing.
const views: Float64Array[] = [];

/**
 * A Float64Array of `length` in `slot` (0..3), contents unspecified: the caller fills it
 * and passes it to a synchronous native call at once. Longer than 16: a new array.
 */
export function scratchFloat64(slot: number, length: number): Float64Array {
  if (length > SLOT_LENGTH) return new Float64Array(length);
  const key = slot * (SLOT_LENGTH + 1) + length;
  let view = views[key];
  if (view === undefined) {
    view = new Float64Array(storage, slot * SLOT_LENGTH * Float64Array.BYTES_PER_ELEMENT, length);
    views[key] = view;
  }
  return view;
}

/** `values` (booleans as 0 and 1) in `slot`, for a synchronous native call. */
export function scratchOf(slot: number, values: ArrayLike<number | boolean>): Float64Array {
  const view = scratchFloat64(slot, values.length);
  for (let i = 0; i < values.length; i++) view[i] = +values[i];
  return view;
}
