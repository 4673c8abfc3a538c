import { roundHalfEven } from "@mc/core";
import { assertFloatTensor, quantizeValue } from "./affine";

export interface DynamicQuantizeLinearResult {
  data: Uint8Array;
  shape: number[];
  scale: number;
  zeroPoint: number;
}

/**
 * ONNX `DynamicQuantizeLinear`, computed in float32 step by step as onnxruntime does:
 * the range [min(x), max(x)] widened to include 0, scale = (max − min) / 255 (1 when the
 * range is empty), zeroPoint = roundHalfEven(clamp(0 − min / scale, 0, 255)),
 * y = clamp(roundHalfEven(x / scale) + zeroPoint, 0, 255). An empty tensor gives scale 1, zero point 0.
 */
export function dynamicQuantizeLinear(x: {
  data: Float32Array;
  shape: readonly number[];
}): DynamicQuantizeLinearResult {
  const input = assertFloatTensor(x, "dynamicQuantizeLinear");
  const values = input.data;
  let min = 0;
  let max = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const qmin = 0;
  const qmax = 255;
  const scale = max === min ? 1 : Math.fround(Math.fround(max - min) / (qmax - qmin));
  const initialZeroPoint = Math.fround(qmin - Math.fround(min / scale));
  const zeroPoint = roundHalfEven(Math.max(qmin, Math.min(qmax, initialZeroPoint)));
  const data = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = quantizeValue(values[i] as number, scale, zeroPoint, qmin, qmax);
  return { data, shape: [...input.shape], scale, zeroPoint };
}
