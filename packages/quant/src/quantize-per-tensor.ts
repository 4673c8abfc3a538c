import { elementCount } from "@mc/core";
import { assertFloatTensor, checkParams, perTensorLayout, quantizeWithLayout } from "./affine";
import { assertQuantDtype, type QuantDtype, type QuantizedTensor } from "./quant-dtype";

/**
 * Per-tensor affine quantization, q = clamp(roundHalfEven(x / scale) + zeroPoint), as ONNX
 * `QuantizeLinear` with a scalar scale (bit-exact against onnxruntime for int8/uint8).
 */
export function quantizePerTensor(
  x: { data: Float32Array; shape: readonly number[] },
  scale: number,
  zeroPoint: number,
  dtype: QuantDtype = "int8",
): QuantizedTensor {
  const caller = "quantizePerTensor";
  const input = assertFloatTensor(x, caller);
  assertQuantDtype(dtype, caller);
  const params = checkParams([scale], [zeroPoint], 1, dtype, caller, ["scale", "zeroPoint"]);
  elementCount(input.shape, caller);
  return {
    data: quantizeWithLayout(input.data, perTensorLayout(), params.scale, params.zeroPoint, dtype),
    dtype,
    shape: [...input.shape],
    scale: params.scale,
    zeroPoint: params.zeroPoint,
  };
}
