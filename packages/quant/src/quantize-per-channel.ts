import { assertAxis, assertFloatTensor, checkParams, perChannelLayout, quantizeWithLayout } from "./affine";
import { assertQuantDtype, type QuantDtype, type QuantizedTensor } from "./quant-dtype";

/**
 * Per-channel affine quantization along `axis` (ONNX `QuantizeLinear` with 1-D scale and
 * `axis`; PyTorch `quantize_per_channel`): channel c uses `scales[c]` and `zeroPoints[c]`.
 * A negative axis counts from the end.
 */
export function quantizePerChannel(
  x: { data: Float32Array; shape: readonly number[] },
  scales: ArrayLike<number>,
  zeroPoints: ArrayLike<number>,
  axis: number,
  dtype: QuantDtype = "int8",
): QuantizedTensor {
  const caller = "quantizePerChannel";
  const input = assertFloatTensor(x, caller);
  assertQuantDtype(dtype, caller);
  const resolvedAxis = assertAxis(axis, input.shape, caller);
  const layout = perChannelLayout(input.shape, resolvedAxis);
  const params = checkParams(scales, zeroPoints, layout.count, dtype, caller);
  return {
    data: quantizeWithLayout(input.data, layout, params.scale, params.zeroPoint, dtype),
    dtype,
    shape: [...input.shape],
    scale: params.scale,
    zeroPoint: params.zeroPoint,
    axis: resolvedAxis,
  };
}
