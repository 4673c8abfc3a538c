import { assertSameShape, assertTensor, type Tensor } from "@mc/core";
import { dequantize } from "./dequantize";
import type { QuantizedTensor } from "./quant-dtype";

export interface QuantizationErrorResult {
  /** mean((x − x̂)²) */
  meanSquaredError: number;
  /** Signal-to-quantization-noise ratio 10·log10(Σx² / Σ(x − x̂)²) in dB; Infinity when exact. */
  sqnrDb: number;
  /** max |x − x̂| */
  maxAbsoluteError: number;
}

function isQuantized(value: unknown): value is QuantizedTensor {
  return typeof value === "object" && value !== null && "dtype" in value && "zeroPoint" in value;
}

/**
 * How far an approximation is from the original: MSE, SQNR in dB and max absolute error,
 * accumulated in float64. `approximation` may be a dequantized tensor or a QuantizedTensor.
 */
export function quantizationError(
  original: Tensor<Float32Array>,
  approximation: Tensor<Float32Array> | QuantizedTensor,
): QuantizationErrorResult {
  const caller = "quantizationError";
  const a = assertTensor(original, caller, "original");
  const b = assertTensor(
    isQuantized(approximation) ? dequantize(approximation) : approximation,
    caller,
    "approximation",
  );
  assertSameShape(a, b, caller, ["original", "approximation"]);
  let signal = 0;
  let noise = 0;
  let maxAbs = 0;
  const n = a.data.length;
  for (let i = 0; i < n; i++) {
    const x = a.data[i] as number;
    const d = x - (b.data[i] as number);
    signal += x * x;
    noise += d * d;
    const abs = Math.abs(d);
    if (abs > maxAbs || Number.isNaN(abs)) maxAbs = abs;
  }
  const sqnrDb = noise === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10(signal / noise);
  return { meanSquaredError: n === 0 ? 0 : noise / n, sqnrDb, maxAbsoluteError: maxAbs };
}
