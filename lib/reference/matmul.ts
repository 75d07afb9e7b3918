/** The pure-TypeScript reference of the dense matmul kernel (float64 accumulation). */

/** Sizes and layout of C (m×n) = op(A) · op(B) [+ C] [+ bias per column]. */
export interface MatmulGeometry {
  m: number;
  n: number;
  k: number;
  /** A is stored k×m (op(A) = Aᵀ), else m×k. */
  transA: boolean;
  /** B is stored n×k (op(B) = Bᵀ), else k×n. */
  transB: boolean;
  /** Add to C instead of overwriting it. */
  accumulate: boolean;
}

export function matmulReference(g: MatmulGeometry, a: Float32Array, b: Float32Array, bias: Float32Array | null, c: Float32Array): void {
  const { m, n, k } = g;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) {
        acc += (g.transA ? a[p * m + i] : a[i * k + p]) * (g.transB ? b[j * k + p] : b[p * n + j]);
      }
      if (bias !== null) acc += bias[j];
      c[i * n + j] = g.accumulate ? c[i * n + j] + acc : acc;
    }
  }
}
