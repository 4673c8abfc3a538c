/**
 * Plain-loop fp32 GEMM with the exact signature of `@mc/kernels`' `gemm`
 * (C[m×n] = alpha·op(A)·op(B) + beta·C). Kept as the oracle for the kernels' version in
 * this package's tests, and used only where the kernel is not available.
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

export function gemmReference(a: Float32Array, b: Float32Array, options: GemmOptions): Float32Array {
  const { m, k, n, transposeA = false, transposeB = false, alpha = 1, beta = 0 } = options;
  const c = options.c ?? new Float32Array(m * n);
  const row = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let p = 0; p < k; p++) {
      const aValue = transposeA ? (a[p * m + i] as number) : (a[i * k + p] as number);
      if (aValue === 0) continue;
      if (transposeB) {
        for (let j = 0; j < n; j++) row[j] += aValue * (b[j * k + p] as number);
      } else {
        const offset = p * n;
        for (let j = 0; j < n; j++) row[j] += aValue * (b[offset + j] as number);
      }
    }
    const offset = i * n;
    for (let j = 0; j < n; j++) {
      const previous = beta === 0 ? 0 : beta * (c[offset + j] as number);
      c[offset + j] = alpha * (row[j] as number) + previous;
    }
  }
  return c;
}
