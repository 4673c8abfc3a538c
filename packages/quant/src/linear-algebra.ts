import { McError } from "@mc/core";

/**
 * Dense float64 helpers for GPTQ's inverse-Hessian factor. Matrices are n×n row-major.
 */

/** Lower Cholesky factor L with A = L·Lᵀ; throws when A is not positive definite. */
export function choleskyLower(a: Float64Array, n: number, caller = "choleskyLower"): Float64Array {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let diagonal = a[j * n + j] as number;
    for (let k = 0; k < j; k++) diagonal -= (l[j * n + k] as number) ** 2;
    if (!(diagonal > 0)) {
      throw new McError({
        message: `${caller}: matrix is not positive definite (pivot ${j} is ${diagonal}); increase dampening`,
      });
    }
    const ljj = Math.sqrt(diagonal);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let sum = a[i * n + j] as number;
      for (let k = 0; k < j; k++) sum -= (l[i * n + k] as number) * (l[j * n + k] as number);
      l[i * n + j] = sum / ljj;
    }
  }
  return l;
}

/** A⁻¹ from A's lower Cholesky factor (torch.cholesky_inverse): A⁻¹ = L⁻ᵀ·L⁻¹. */
export function choleskyInverse(l: Float64Array, n: number): Float64Array {
  const inv = new Float64Array(n * n); // L⁻¹, lower triangular
  for (let j = 0; j < n; j++) {
    inv[j * n + j] = 1 / (l[j * n + j] as number);
    for (let i = j + 1; i < n; i++) {
      let sum = 0;
      for (let k = j; k < i; k++) sum -= (l[i * n + k] as number) * (inv[k * n + j] as number);
      inv[i * n + j] = sum / (l[i * n + i] as number);
    }
  }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = 0;
      for (let k = i; k < n; k++) sum += (inv[k * n + i] as number) * (inv[k * n + j] as number);
      out[i * n + j] = sum;
      out[j * n + i] = sum;
    }
  }
  return out;
}

/** Upper Cholesky factor U with A = Uᵀ·U (torch.linalg.cholesky(A, upper=True)). */
export function choleskyUpper(a: Float64Array, n: number, caller = "choleskyUpper"): Float64Array {
  const l = choleskyLower(a, n, caller);
  const u = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) u[j * n + i] = l[i * n + j] as number;
  return u;
}
