/**
 * The pure-TypeScript reference of the element-wise kernels (native/kernels/loops/
 * elementwise.h): binary ops with broadcasting and their gradients, unary maths and
 * theirs, reductions. Written straight from the formulas, over the same layouts; each
 * value computed in float64 and rounded to float32 once (the exact ops, +, −, ×, ÷,
 * maximum, minimum, negation, square, abs and clamp, so give the native bits).
 */
import type { BroadcastLayout, ReduceLayout } from '../elementwise-layout';

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'minimum';
export type UnaryOp = 'neg' | 'square' | 'pow' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'abs' | 'clamp'
  | 'leakyRelu' | 'silu' | 'gelu' | 'geluTanh' | 'hardswish' | 'hardtanh';
export type ReduceOp = 'sum' | 'max' | 'min';
export type ArgReduceOp = 'argmax' | 'argmin';

/** x as [outer, length, inner]: argmax and argmin reduce the middle dimension. */
export interface ArgReduceLayout {
  readonly outer: number;
  readonly length: number;
  readonly inner: number;
}

/** Ops whose float32 result does not depend on how it is computed (correctly rounded or exact). */
export const EXACT_UNARY: ReadonlySet<UnaryOp> = new Set(['neg', 'square', 'abs', 'clamp', 'hardtanh', 'leakyRelu']);

// PyTorch's maximum and minimum: NaN when either operand is NaN.
const maximumOf = (a: number, b: number) => (a > b || a !== a ? a : b);
const minimumOf = (a: number, b: number) => (a < b || a !== a ? a : b);

/** Calls visit(outIndex, xIndex, yIndex, conditionIndex) for every element of the layout, in order. */
export function forEachElement(l: BroadcastLayout, visit: (o: number, xi: number, yi: number, ci: number) => void): void {
  const rank = l.sizes.length, cStrides = l.cStrides ?? new Array<number>(rank).fill(0);
  let count = 1;
  for (const s of l.sizes) count *= s;
  const index = new Array<number>(rank).fill(0);
  let xi = 0, yi = 0, ci = 0;
  for (let o = 0; o < count; o++) {
    visit(o, xi, yi, ci);
    for (let d = rank - 1; d >= 0; d--) {
      xi += l.xStrides[d];
      yi += l.yStrides[d];
      ci += cStrides[d];
      if (++index[d] < l.sizes[d]) break;
      xi -= l.xStrides[d] * l.sizes[d];
      yi -= l.yStrides[d] * l.sizes[d];
      ci -= cStrides[d] * l.sizes[d];
      index[d] = 0;
    }
  }
}

/** out = condition ≠ 0 ? x : y (NaN counts as true), broadcast. */
export function whereReference(l: BroadcastLayout, c: Float32Array, x: Float32Array, y: Float32Array, out: Float32Array): void {
  forEachElement(l, (o, xi, yi, ci) => { out[o] = c[ci] !== 0 ? x[xi] : y[yi]; });
}

/** gx = condition ? g : 0, gy = condition ? 0 : g at the broadcast shape. */
export function whereBackwardReference(
  l: BroadcastLayout, c: Float32Array, g: Float32Array, gx: Float32Array | null, gy: Float32Array | null,
): void {
  forEachElement(l, (o, _xi, _yi, ci) => {
    const take = c[ci] !== 0;
    if (gx) gx[o] = take ? g[o] : 0;
    if (gy) gy[o] = take ? 0 : g[o];
  });
}

function applyBinary(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case 'add': return a + b;
    case 'sub': return a - b;
    case 'mul': return a * b;
    case 'div': return a / b;
    case 'maximum': return maximumOf(a, b);
    case 'minimum': return minimumOf(a, b);
  }
}

export function binaryReference(op: BinaryOp, l: BroadcastLayout, x: Float32Array, y: Float32Array, out: Float32Array): void {
  forEachElement(l, (o, xi, yi) => { out[o] = applyBinary(op, x[xi], y[yi]); });
}

/** The gradients at the broadcast shape (PyTorch's formulas; maximum/minimum halve a tie's). */
export function binaryBackwardReference(
  op: BinaryOp, l: BroadcastLayout, g: Float32Array, x: Float32Array, y: Float32Array,
  gx: Float32Array | null, gy: Float32Array | null,
): void {
  forEachElement(l, (o, xi, yi) => {
    const a = x[xi], b = y[yi], v = g[o];
    if (gx) {
      switch (op) {
        case 'add': case 'sub': gx[o] = v; break;
        case 'mul': gx[o] = v * b; break;
        case 'div': gx[o] = v / b; break;
        case 'maximum': gx[o] = a < b ? 0 : a === b ? v * 0.5 : v; break;
        case 'minimum': gx[o] = a > b ? 0 : a === b ? v * 0.5 : v; break;
      }
    }
    if (gy) {
      switch (op) {
        case 'add': gy[o] = v; break;
        case 'sub': gy[o] = -v; break;
        case 'mul': gy[o] = v * a; break;
        case 'div': gy[o] = (-v * a) / (b * b); break;
        case 'maximum': gy[o] = a > b ? 0 : a === b ? v * 0.5 : v; break;
        case 'minimum': gy[o] = a < b ? 0 : a === b ? v * 0.5 : v; break;
      }
    }
  });
}

/**
 * erf(x) to about 1e-12 (the float32 results need 1e-7): the Maclaurin series for
 * |x| < 2, a continued fraction for erfc beyond; JavaScript has no Math.erf.
 */
export function erf(x: number): number {
  const z = Math.abs(x);
  if (z < 2) {
    let term = z, sum = z;
    for (let n = 1; n < 60 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-z * z) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(z) = e^(−z²)/√π · 1/(z + 1/2/(z + 1/(z + 3/2/(z + …)))), evaluated from the tail.
  let f = z;
  for (let n = 60; n >= 1; n--) f = z + (n / 2) / f;
  return Math.sign(x) * (1 - Math.exp(-z * z) / Math.sqrt(Math.PI) / f);
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI), GELU_CUBIC = 0.044715;
const sigmoidOf = (v: number) => 1 / (1 + Math.exp(-v));
const geluTanhInner = (v: number) => Math.tanh(SQRT_2_OVER_PI * (v + GELU_CUBIC * v ** 3));

function applyUnary(op: UnaryOp, v: number, a: number, b: number): number {
  switch (op) {
    case 'neg': return -v;
    case 'square': return v * v;
    case 'pow': return v ** a;
    case 'exp': return Math.exp(v);
    case 'log': return Math.log(v);
    case 'sqrt': return Math.sqrt(v);
    case 'rsqrt': return 1 / Math.sqrt(v);
    case 'abs': return Math.abs(v);
    case 'clamp': case 'hardtanh': return v < a ? a : v > b ? b : v;
    case 'leakyRelu': return v > 0 ? v : a * v;
    case 'silu': return v * sigmoidOf(v);
    case 'gelu': return 0.5 * v * (1 + erf(v / Math.SQRT2));
    case 'geluTanh': return 0.5 * v * (1 + geluTanhInner(v));
    case 'hardswish': return v <= -3 ? 0 : v >= 3 ? v : (v * (v + 3)) / 6;
  }
}

/** out = op(x); `a` is pow's exponent, [a, b] clamp's bounds. */
export function unaryReference(op: UnaryOp, a: number, b: number, x: Float32Array, out: Float32Array): void {
  for (let i = 0; i < x.length; i++) out[i] = applyUnary(op, x[i], a, b);
}

/** gx = op'(x) · g, from x and the saved output y. */
export function unaryBackwardReference(
  op: UnaryOp, a: number, b: number, g: Float32Array, x: Float32Array, y: Float32Array, gx: Float32Array,
): void {
  for (let i = 0; i < g.length; i++) {
    const v = x[i];
    switch (op) {
      case 'neg': gx[i] = -g[i]; break;
      case 'square': gx[i] = 2 * v * g[i]; break;
      case 'pow': gx[i] = a === 0 ? 0 : g[i] * a * v ** (a - 1); break;
      case 'exp': gx[i] = g[i] * y[i]; break;
      case 'log': gx[i] = g[i] / v; break;
      case 'sqrt': gx[i] = g[i] / (2 * y[i]); break;
      case 'rsqrt': gx[i] = -0.5 * g[i] * y[i] ** 3; break;
      case 'abs': gx[i] = v > 0 ? g[i] : v < 0 ? -g[i] : 0; break;
      case 'clamp': gx[i] = v >= a && v <= b ? g[i] : 0; break;
      case 'leakyRelu': gx[i] = v > 0 ? g[i] : a * g[i]; break;
      case 'silu': {
        const s = sigmoidOf(v);
        gx[i] = g[i] * s * (1 + v * (1 - s));
        break;
      }
      case 'gelu': gx[i] = g[i] * (0.5 * (1 + erf(v / Math.SQRT2)) + (v * Math.exp(-0.5 * v * v)) / Math.sqrt(2 * Math.PI)); break;
      case 'geluTanh': {
        const t = geluTanhInner(v);
        gx[i] = g[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * GELU_CUBIC * v * v));
        break;
      }
      case 'hardswish': gx[i] = g[i] * (v < -3 ? 0 : v <= 3 ? v / 3 + 0.5 : 1); break;
      case 'hardtanh': gx[i] = v > a && v < b ? g[i] : 0; break;
    }
  }
}

/**
 * out = op over the reduced dimensions, contiguous over the kept ones; a sum (in float64,
 * element by element in memory order) is scaled by `scale` (1/count: a mean).
 */
export function reduceReference(op: ReduceOp, l: ReduceLayout, scale: number, x: Float32Array, out: Float32Array): void {
  const rank = l.sizes.length;
  const outStrides = new Array<number>(rank).fill(0);
  let outputs = 1;
  for (let d = rank - 1; d >= 0; d--) {
    if (!l.reduced[d]) {
      outStrides[d] = outputs;
      outputs *= l.sizes[d];
    }
  }
  const acc = new Float64Array(outputs).fill(op === 'sum' ? 0 : op === 'max' ? -Infinity : Infinity);
  const index = new Array<number>(rank).fill(0);
  let o = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    acc[o] = op === 'sum' ? acc[o] + v : op === 'max' ? maximumOf(v, acc[o]) : minimumOf(v, acc[o]);
    for (let d = rank - 1; d >= 0; d--) {
      o += outStrides[d];
      if (++index[d] < l.sizes[d]) break;
      o -= outStrides[d] * l.sizes[d];
      index[d] = 0;
    }
  }
  for (let k = 0; k < outputs; k++) out[k] = op === 'sum' ? acc[k] * scale : acc[k];
}

/**
 * out[o·inner + i] = the index k of the largest (argmax) or smallest x[(o·length + k)·inner + i]:
 * the first on ties, the first NaN where there is one (as PyTorch).
 */
export function argReduceReference(op: ArgReduceOp, l: ArgReduceLayout, x: Float32Array, out: Float32Array): void {
  const better = op === 'argmax' ? (v: number, best: number) => v > best : (v: number, best: number) => v < best;
  for (let o = 0; o < l.outer; o++) {
    for (let i = 0; i < l.inner; i++) {
      let best = x[o * l.length * l.inner + i], at = 0;
      for (let k = 1; k < l.length && best === best; k++) {
        const v = x[(o * l.length + k) * l.inner + i];
        if (v !== v || better(v, best)) {
          best = v;
          at = k;
        }
      }
      out[o * l.inner + i] = at;
    }
  }
}
