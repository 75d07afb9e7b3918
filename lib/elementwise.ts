/**
 * The element-wise ops' loops, one per op: a loop that calls an op's function through a
 * closure shared by every op is megamorphic, and at the sizes of the book's example
 * (48 elements) the calls cost more than the arithmetic. Each result is rounded to
 * float32 when stored, as before.
 */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div';
export type UnaryOp = 'neg' | 'square' | 'pow';

/** out[i] = x[i] op y[i], or x[i] op y for a scalar y. */
export function binaryForward(op: BinaryOp, x: Float32Array, y: Float32Array | number, out: Float32Array): void {
  const n = out.length;
  if (typeof y === 'number') {
    switch (op) {
      case 'add': for (let i = 0; i < n; i++) out[i] = x[i] + y; return;
      case 'sub': for (let i = 0; i < n; i++) out[i] = x[i] - y; return;
      case 'mul': for (let i = 0; i < n; i++) out[i] = x[i] * y; return;
      case 'div': for (let i = 0; i < n; i++) out[i] = x[i] / y; return;
    }
  }
  switch (op) {
    case 'add': for (let i = 0; i < n; i++) out[i] = x[i] + y[i]; return;
    case 'sub': for (let i = 0; i < n; i++) out[i] = x[i] - y[i]; return;
    case 'mul': for (let i = 0; i < n; i++) out[i] = x[i] * y[i]; return;
    case 'div': for (let i = 0; i < n; i++) out[i] = x[i] / y[i]; return;
  }
}

/** gx = ∂(x op y)/∂x · g (y a tensor or a scalar). */
export function binaryGradX(op: BinaryOp, g: Float32Array, y: Float32Array | number, gx: Float32Array): void {
  const n = g.length;
  switch (op) {
    case 'add':
    case 'sub': gx.set(g); return;
    case 'mul':
      if (typeof y === 'number') for (let i = 0; i < n; i++) gx[i] = g[i] * y;
      else for (let i = 0; i < n; i++) gx[i] = g[i] * y[i];
      return;
    case 'div':
      if (typeof y === 'number') for (let i = 0; i < n; i++) gx[i] = g[i] / y;
      else for (let i = 0; i < n; i++) gx[i] = g[i] / y[i];
      return;
  }
}

/** gy = ∂(x op y)/∂y · g (a tensor y). */
export function binaryGradY(op: BinaryOp, g: Float32Array, x: Float32Array, y: Float32Array, gy: Float32Array): void {
  const n = g.length;
  switch (op) {
    case 'add': gy.set(g); return;
    case 'sub': for (let i = 0; i < n; i++) gy[i] = -g[i]; return;
    case 'mul': for (let i = 0; i < n; i++) gy[i] = g[i] * x[i]; return;
    case 'div': for (let i = 0; i < n; i++) gy[i] = (-g[i] * x[i]) / (y[i] * y[i]); return;
  }
}

/** out[i] = op(x[i]) (`exponent` for pow). */
export function unaryForward(op: UnaryOp, x: Float32Array, out: Float32Array, exponent: number): void {
  const n = out.length;
  switch (op) {
    case 'neg': for (let i = 0; i < n; i++) out[i] = -x[i]; return;
    case 'square': for (let i = 0; i < n; i++) out[i] = x[i] * x[i]; return;
    case 'pow': for (let i = 0; i < n; i++) out[i] = x[i] ** exponent; return;
  }
}

/** gx = op'(x) · g. */
export function unaryGrad(op: UnaryOp, g: Float32Array, x: Float32Array, gx: Float32Array, exponent: number): void {
  const n = g.length;
  switch (op) {
    case 'neg': for (let i = 0; i < n; i++) gx[i] = -g[i]; return;
    case 'square': for (let i = 0; i < n; i++) gx[i] = 2 * x[i] * g[i]; return;
    case 'pow': for (let i = 0; i < n; i++) gx[i] = g[i] * exponent * x[i] ** (exponent - 1); return;
  }
}
