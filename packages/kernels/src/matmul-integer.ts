import { dispatchMatmulInteger } from "./select-kernel";
import {
  checkDimension,
  checkInt8Like,
  checkLength,
  checkOptions,
  checkProduct,
  dtypeRange,
  expandZeroPoint,
  type ZeroPointInput,
} from "./validate-args";

export interface MatmulIntegerOptions {
  m: number;
  k: number;
  n: number;
  /** A scalar, or one value per row of `a` (length m), in `a`'s dtype range. */
  aZeroPoint?: ZeroPointInput;
  /** A scalar, or one value per column of `b` (length n), in `b`'s dtype range. */
  bZeroPoint?: ZeroPointInput;
}

/**
 * ONNX `MatMulInteger`: C[m×n] = Σ_p (A[i,p] − aZero)·(B[p,j] − bZero) in int32 with
 * wrap-around, for uint8 or int8 operands in any combination. Bit-exact on every tier.
 */
export function matmulInteger(
  a: Uint8Array | Int8Array,
  b: Uint8Array | Int8Array,
  options: MatmulIntegerOptions,
): Int32Array {
  const caller = "matmulInteger";
  checkOptions(options, caller);
  const m = checkDimension(options.m, caller, "m");
  const k = checkDimension(options.k, caller, "k");
  const n = checkDimension(options.n, caller, "n");
  checkProduct(caller, { m, k, n });
  checkInt8Like(a, caller, "a");
  checkInt8Like(b, caller, "b");
  checkLength(a, m * k, caller, "a", [m, k]);
  checkLength(b, k * n, caller, "b", [k, n]);
  const aZero = expandZeroPoint(options.aZeroPoint, m, dtypeRange(a), caller, "aZeroPoint", "row of a");
  const bZero = expandZeroPoint(options.bZeroPoint, n, dtypeRange(b), caller, "bZeroPoint", "column of b");
  const c = new Int32Array(m * n);
  if (m === 0 || n === 0 || k === 0) return c;
  dispatchMatmulInteger(a, b, c, m, k, n, aZero, bZero);
  return c;
}
