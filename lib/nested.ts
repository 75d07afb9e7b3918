/** Conversions between nested JavaScript arrays and flat row-major data. */
import { ArgumentTypeError, ShapeError } from './errors';
import { describe, formatShape } from './validate';

export type NestedArray = number | NestedArray[];

/** Shape of a nested array, checking that it is rectangular and holds only numbers. */
export function inferShape(fn: string, value: unknown): number[] {
  const shape: number[] = [];
  let level: unknown = value;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0];
  }
  checkNested(fn, value, shape, 0, 'data');
  return shape;
}

function checkNested(fn: string, value: unknown, shape: number[], depth: number, path: string): void {
  if (depth === shape.length) {
    if (typeof value !== 'number') {
      throw new ArgumentTypeError(`${fn}: expected ${path} to be a number, but got ${describe(value)}`);
    }
    return;
  }
  if (!Array.isArray(value) || value.length !== shape[depth]) {
    throw new ShapeError(
      `${fn}: expected ${path} to be an array of ${shape[depth]} (the nested arrays must be ` +
        `rectangular, shape ${formatShape(shape)}), but got ${describe(value)}`,
    );
  }
  for (let i = 0; i < value.length; i++) checkNested(fn, value[i], shape, depth + 1, `${path}[${i}]`);
}

export function flatten(value: NestedArray, out: Float32Array): void {
  let k = 0;
  const walk = (v: NestedArray): void => {
    if (typeof v === 'number') out[k++] = v;
    else for (const item of v) walk(item);
  };
  walk(value);
}

export function unflatten(data: Float32Array, shape: readonly number[]): NestedArray {
  if (shape.length === 0) return data[0];
  let offset = 0;
  const build = (depth: number): NestedArray[] => {
    const out: NestedArray[] = new Array(shape[depth]);
    for (let i = 0; i < shape[depth]; i++) {
      out[i] = depth === shape.length - 1 ? data[offset++] : build(depth + 1);
    }
    return out;
  };
  return build(0);
}
