import { InvalidArgumentError } from "@mc/core";
import { dispatchMatmulNBits } from "./select-kernel";
import {
  checkDimension,
  checkFloat32Array,
  checkLength,
  checkOptionalBias,
  checkOptions,
  checkProduct,
} from "./validate-args";

export interface MatmulNBitsOptions {
  m: number;
  k: number;
  n: number;
  /** 4-bit weights, onnxruntime `MatMulNBits` layout: [n][ceil(k/blockSize)][blockSize/2] bytes, low nibble first. */
  weight: Uint8Array;
  /** [n × ceil(k/blockSize)] */
  scales: Float32Array;
  /** Packed 4-bit zero points, [n][ceil(blocks/2)] bytes, low nibble first; 8 when absent. */
  zeroPoints?: Uint8Array;
  /** A power of two ≥ 16, as onnxruntime requires. */
  blockSize: number;
  bias?: Float32Array;
}

/**
 * y[m×n] = x[m×k]·Wᵀ + bias with W[n×k] = (q − zeroPoint)·scale per block of `blockSize`
 * along k: onnxruntime's `MatMulNBits` with bits = 4, for GEMV (m = 1) and small m.
 */
export function matmulNBits(input: Float32Array, options: MatmulNBitsOptions): Float32Array {
  const caller = "matmulNBits";
  checkOptions(options, caller);
  const m = checkDimension(options.m, caller, "m");
  const k = checkDimension(options.k, caller, "k");
  const n = checkDimension(options.n, caller, "n");
  checkProduct(caller, { m, k, n });
  const blockSize = options.blockSize;
  if (
    typeof blockSize !== "number" ||
    !Number.isInteger(blockSize) ||
    blockSize < 16 ||
    (blockSize & (blockSize - 1)) !== 0
  ) {
    throw new InvalidArgumentError({
      message: `${caller}: blockSize must be a power of two >= 16, got ${String(blockSize)}`,
      argument: "blockSize",
      value: blockSize,
    });
  }
  checkFloat32Array(input, caller, "input");
  checkLength(input, m * k, caller, "input", [m, k]);
  const blocks = Math.ceil(k / blockSize);
  const { weight, zeroPoints } = options;
  if (!(weight instanceof Uint8Array)) {
    throw new InvalidArgumentError({ message: `${caller}: weight must be a Uint8Array`, argument: "weight" });
  }
  checkLength(weight, n * blocks * (blockSize / 2), caller, "weight", [n, blocks, blockSize / 2]);
  const scales = checkFloat32Array(options.scales, caller, "scales");
  checkLength(scales, n * blocks, caller, "scales", [n, blocks]);
  if (zeroPoints !== undefined) {
    if (!(zeroPoints instanceof Uint8Array)) {
      throw new InvalidArgumentError({ message: `${caller}: zeroPoints must be a Uint8Array`, argument: "zeroPoints" });
    }
    checkLength(zeroPoints, n * Math.ceil(blocks / 2), caller, "zeroPoints", [n, Math.ceil(blocks / 2)]);
  }
  const bias = checkOptionalBias(options.bias, n, caller);
  const y = new Float32Array(m * n);
  if (y.length === 0) return y;
  if (k === 0) {
    if (bias !== undefined) for (let i = 0; i < m; i++) y.set(bias, i * n);
    return y;
  }
  dispatchMatmulNBits(input, m, k, n, weight, scales, zeroPoints, blockSize, bias, y);
  return y;
}
