/**
 * TEMPORARY: a plain-JS GEMM with the exact @mc/kernels contract, used until kernels' `gemm`
 * lands. Every call in this package goes through `gemm` re-exported below, so switching is a
 * one-line change.
 */
export interface GemmOptions {
  m: number;
  k: number;
  n: number;
  transposeA?: boolean;
  transposeB?: boolean;
  alpha?: number;
  beta?: number;
  c?: Float32Array;
}

export function gemm(a: Float32Array, b: Float32Array, options: GemmOptions): Float32Array {
  const { m, k, n, transposeA = false, transposeB = false, alpha = 1, beta = 0 } = options;
  const c = options.c ?? new Float32Array(m * n);
  if (beta === 0) c.fill(0, 0, m * n);
  else if (beta !== 1) for (let i = 0; i < m * n; i++) c[i] = (c[i] as number) * beta;
  if (!transposeA && transposeB) {
    for (let i = 0; i < m; i++) {
      const aRow = i * k;
      for (let j = 0; j < n; j++) {
        const bRow = j * k;
        let acc = 0;
        for (let p = 0; p < k; p++) acc += (a[aRow + p] as number) * (b[bRow + p] as number);
        c[i * n + j] = (c[i * n + j] as number) + alpha * acc;
      }
    }
  } else if (!transposeA && !transposeB) {
    for (let i = 0; i < m; i++) {
      const cRow = i * n;
      for (let p = 0; p < k; p++) {
        const av = alpha * (a[i * k + p] as number);
        if (av === 0) continue;
        const bRow = p * n;
        for (let j = 0; j < n; j++) c[cRow + j] = (c[cRow + j] as number) + av * (b[bRow + j] as number);
      }
    }
  } else if (transposeA && !transposeB) {
    for (let p = 0; p < k; p++) {
      const aRow = p * m;
      const bRow = p * n;
      for (let i = 0; i < m; i++) {
        const av = alpha * (a[aRow + i] as number);
        if (av === 0) continue;
        const cRow = i * n;
        for (let j = 0; j < n; j++) c[cRow + j] = (c[cRow + j] as number) + av * (b[bRow + j] as number);
      }
    }
  } else {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let p = 0; p < k; p++) acc += (a[p * m + i] as number) * (b[j * k + p] as number);
        c[i * n + j] = (c[i * n + j] as number) + alpha * acc;
      }
    }
  }
  return c;
}
