/**
 * Parameter blocks for the addon, packed by name. The addon exports each block's field
 * names in its order (native/param_blocks.h: the one definition of every block); a call
 * gives an object of named values and gets the Float64Array the addon reads. On a block's
 * first use its names are compared with the call's: an addon built from other sources
 * than this TypeScript (a stale build/) is refused, never read in the wrong order.
 */
import { nativeAddon } from './binding';
import { scratchFloat64 } from './call-scratch';
import { NativeBindingError } from './errors';

export type ParamBlock =
  | 'conv' | 'matmul' | 'pool' | 'sgd' | 'adam' | 'planesFromPixels' | 'pixelsFromPlanes' | 'filter8'
  | 'restoreAlpha' | 'filterBorder' | 'channelLayout' | 'argReduceLayout';

/** A block's values by name; booleans go as 0 and 1, keys with other values are not fields. */
export type ParamValues = object;

const fieldsOf = new Map<ParamBlock, readonly string[]>();

/** `fields` (the addon's names for `block`) when a call's values name exactly those; else a NativeBindingError. */
export function matchFields(block: string, fields: readonly string[] | undefined, values: ParamValues): readonly string[] {
  const given = Object.entries(values).filter(([, v]) => typeof v === 'number' || typeof v === 'boolean').map(([k]) => k);
  if (fields === undefined || fields.length !== given.length || !given.every((name) => fields.includes(name))) {
    throw new NativeBindingError(
      `The native addon's '${block}' parameters are [${fields?.join(', ') ?? 'absent'}], but this version of convcore ` +
        `passes [${given.join(', ')}]: the addon was built from other sources. Rebuild it (npm run build:native) or reinstall convcore.`);
  }
  return fields;
}

/** The addon's field names of `block`, checked on first use against the names a call gives. */
function blockFields(block: ParamBlock, values: ParamValues): readonly string[] {
  let fields = fieldsOf.get(block);
  if (fields === undefined) {
    fields = matchFields(block, nativeAddon().paramBlocks[block], values);
    fieldsOf.set(block, fields);
  }
  return fields;
}

/** `values` as the addon reads `block`, in an array of their own (to keep, as a geometry's). */
export function packParams(block: ParamBlock, values: ParamValues): Float64Array {
  const fields = blockFields(block, values);
  return fillFields(fields, values, new Float64Array(fields.length));
}

/**
 * `values` as the addon reads `block`, in call-scratch.ts's slot 0: only for a
 * synchronous call that passes them at once.
 */
export function packCallParams(block: ParamBlock, values: ParamValues): Float64Array {
  const fields = blockFields(block, values);
  return fillFields(fields, values, scratchFloat64(0, fields.length));
}

function fillFields(fields: readonly string[], values: ParamValues, packed: Float64Array): Float64Array {
  const named = values as Record<string, number | boolean>;
  for (let i = 0; i < fields.length; i++) packed[i] = +named[fields[i]];
  return packed;
}
