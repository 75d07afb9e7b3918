/**
 * The pure-TypeScript reference of the element-wise kernels: activations and the
 * optimiser updates, each written straight from its formula.
 */

export type ActivationKind = 'relu' | 'sigmoid' | 'tanh';

export function activationReference(kind: ActivationKind, x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    y[i] = kind === 'relu' ? (v < 0 ? 0 : v) : kind === 'sigmoid' ? 1 / (1 + Math.exp(-v)) : Math.tanh(v);
  }
}

/** dx = g · f'(x), written with the saved output y. */
export function activationBackwardReference(kind: ActivationKind, g: Float32Array, y: Float32Array, dx: Float32Array): void {
  for (let i = 0; i < g.length; i++) {
    dx[i] = kind === 'relu' ? (y[i] > 0 ? g[i] : 0) : kind === 'sigmoid' ? g[i] * y[i] * (1 - y[i]) : g[i] * (1 - y[i] * y[i]);
  }
}

export interface SgdHyper {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
  /** The momentum buffer starts as the first gradient. */
  firstStep: boolean;
}

const f32 = Math.fround;

/**
 * In float32 arithmetic, operation by operation as native/kernels/pointwise.cc computes
 * it (no fused multiply-add there), so that both give the same bits: SGD may update
 * small parameters here instead of calling the addon.
 */
export function sgdStepReference(h: SgdHyper, w: Float32Array, g: Float32Array, buf: Float32Array | null): void {
  const lr = f32(h.lr), momentum = f32(h.momentum), weightDecay = f32(h.weightDecay);
  const keep = f32(1 - f32(h.dampening));
  for (let i = 0; i < w.length; i++) {
    let d = h.maximize ? -g[i] : g[i];
    if (weightDecay !== 0) d = f32(d + f32(weightDecay * w[i]));
    if (buf !== null) {
      buf[i] = h.firstStep ? d : f32(f32(momentum * buf[i]) + f32(keep * d));
      d = h.nesterov ? f32(d + f32(momentum * buf[i])) : buf[i];
    }
    w[i] = f32(w[i] - f32(lr * d));
  }
}

export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** AdamW's decoupled weight decay. */
  decoupled: boolean;
  maximize: boolean;
  /** lr / (1 − β1ᵗ) */
  stepSize: number;
  /** √(1 − β2ᵗ) */
  correction2: number;
}

export function adamStepReference(h: AdamHyper, w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array): void {
  for (let i = 0; i < w.length; i++) {
    let d = h.maximize ? -g[i] : g[i];
    if (h.weightDecay !== 0) {
      if (h.decoupled) w[i] *= 1 - h.lr * h.weightDecay;
      else d += h.weightDecay * w[i];
    }
    m[i] = h.beta1 * m[i] + (1 - h.beta1) * d;
    v[i] = h.beta2 * v[i] + (1 - h.beta2) * d * d;
    w[i] -= (h.stepSize * m[i]) / (Math.sqrt(v[i]) / h.correction2 + h.eps);
  }
}
