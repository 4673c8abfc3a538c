import { assertFiniteNumber, InvalidArgumentError } from "@mc/core";
import { dispatchGemmF32 } from "./select-kernel";
import { checkDimension, checkFloat32Array, checkLength, checkOptions, checkProduct } from "./validate-args";

export interface GemmOptions {
  m: number;
  k: number;
  n: number;
  /** A is stored k×m and used transposed. */
  transposeA?: boolean;
  /** B is stored n×k and used transposed (the layout of a PyTorch Linear weight). */
  transposeB?: boolean;
  alpha?: number;
  /** When 0 (the default) `c` is not read, so it may hold anything, NaN included. */
  beta?: number;
  /** Output m×n; allocated when absent. Written in place and returned. */
  c?: Float32Array;
}

/**
 * fp32 GEMM: C[m×n] = alpha·op(A)·op(B) + beta·C, op(A) m×k and op(B) k×n, row-major.
 * Runs the WebAssembly SIMD tier when it is loaded and the product is large enough to pay
 * for the copy into wasm memory, else the plain-JS tier (see `getKernelInfo`).
 */
export function gemm(a: Float32Array, b: Float32Array, options: GemmOptions): Float32Array {
  const caller = "gemm";
  checkOptions(options, caller);
  const { transposeA = false, transposeB = false, alpha = 1, beta = 0 } = options;
  const m = checkDimension(options.m, caller, "m");
  const k = checkDimension(options.k, caller, "k");
  const n = checkDimension(options.n, caller, "n");
  checkProduct(caller, { m, k, n });
  checkFloat32Array(a, caller, "a");
  checkFloat32Array(b, caller, "b");
  if (typeof transposeA !== "boolean" || typeof transposeB !== "boolean") {
    throw new InvalidArgumentError({
      message: `${caller}: transposeA and transposeB must be booleans`,
      argument: typeof transposeA !== "boolean" ? "transposeA" : "transposeB",
    });
  }
  assertFiniteNumber(alpha, caller, "alpha");
  assertFiniteNumber(beta, caller, "beta");
  checkLength(a, m * k, caller, "a", transposeA ? [k, m] : [m, k]);
  checkLength(b, k * n, caller, "b", transposeB ? [n, k] : [k, n]);
  let c: Float32Array;
  if (options.c === undefined) {
    c = new Float32Array(m * n);
  } else {
    c = checkFloat32Array(options.c, caller, "c");
    checkLength(c, m * n, caller, "c", [m, n]);
  }
  if (m === 0 || n === 0) return c;
  if (k === 0) {
    if (beta === 0) c.fill(0);
    else for (let i = 0; i < c.length; i++) c[i] = beta * c[i]!;
    return c;
  }
  dispatchGemmF32(a, b, c, m, k, n, transposeA, transposeB, alpha, beta);
  return c;
}
