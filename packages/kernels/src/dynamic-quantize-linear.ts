import { dispatchDynamicQuantize } from "./select-kernel";
import { checkFloat32Array } from "./validate-args";

export interface DynamicQuantizeLinearResult {
  data: Uint8Array;
  scale: number;
  zeroPoint: number;
}

/**
 * ONNX `DynamicQuantizeLinear` (uint8, per tensor), in float32 like onnxruntime:
 * scale = (max(0, xMax) − min(0, xMin)) / 255 (1 when that range is 0),
 * zeroPoint = saturate(roundHalfEven(0 − xMin / scale)),
 * q = saturate(roundHalfEven(x / scale) + zeroPoint). NaN inputs are ignored by min/max.
 */
export function dynamicQuantizeLinear(input: Float32Array): DynamicQuantizeLinearResult {
  checkFloat32Array(input, "dynamicQuantizeLinear", "input");
  const data = new Uint8Array(input.length);
  const { scale, zeroPoint } = dispatchDynamicQuantize(input, data);
  return { data, scale, zeroPoint };
}
