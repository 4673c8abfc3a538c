import { InvalidArgumentError, type Tensor } from "@mc/core";
import { type PackedLinearInt8, packLinearInt8 } from "@mc/kernels";
import { chooseQParams } from "./choose-qparams";
import type { QuantizedTensor } from "./quant-dtype";
import { quantizePerChannel } from "./quantize-per-channel";
import { quantizePerTensor } from "./quantize-per-tensor";

export interface WeightQuantizationOptions {
  /** One scale per output channel (row of [out, ...]) instead of one for the tensor. */
  perChannel?: boolean;
  /** Symmetric int8 over [-127, 127] (scale = max|w| / 127), the ONNX Runtime / TensorRT weight convention. */
  narrowRange?: boolean;
}

/**
 * Symmetric int8 quantization of a weight [out, ...] (zero point 0, as @mc/kernels' int8
 * linear kernels require): per output channel or per tensor.
 */
export function quantizeWeightInt8(
  weight: Tensor<Float32Array>,
  options: WeightQuantizationOptions = {},
): QuantizedTensor {
  const { perChannel = true, narrowRange = true } = options;
  const qOptions = { dtype: "int8" as const, symmetric: true, narrowRange };
  const data = weight.data;
  if (!perChannel) {
    let min = 0;
    let max = 0;
    for (const v of data) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const { scale } = chooseQParams({ min, max }, qOptions);
    return quantizePerTensor(weight, scale, 0, "int8");
  }
  const rows = weight.shape[0] as number;
  const cols = data.length / rows;
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let min = 0;
    let max = 0;
    for (let c = 0; c < cols; c++) {
      const v = data[r * cols + c] as number;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    scales[r] = chooseQParams({ min, max }, qOptions).scale;
  }
  return quantizePerChannel(weight, scales, new Int32Array(rows), 0, "int8");
}

/** Packs a symmetric int8 weight [out, in...] for @mc/kernels' linear kernels. */
export function packQuantizedWeight(q: QuantizedTensor, bias: Float32Array | undefined): PackedLinearInt8 {
  if (q.dtype !== "int8" || q.zeroPoint.some((z) => z !== 0) || (q.axis !== undefined && q.axis !== 0)) {
    throw new InvalidArgumentError({
      message: "packQuantizedWeight: weight must be symmetric int8 (zero point 0), per tensor or per channel on axis 0",
      argument: "q",
    });
  }
  const outFeatures = q.shape[0] as number;
  const inFeatures = q.data.length / outFeatures;
  const scales = q.scale.length === 1 ? new Float32Array(outFeatures).fill(q.scale[0] as number) : q.scale;
  return packLinearInt8(q.data as Int8Array, { outFeatures, inFeatures, scales, bias });
}

/** Bytes a quantized tensor needs on disk: its data, fp32 scales and (when not all 0) int8/int32 zero points. */
export function quantizedTensorBytes(q: QuantizedTensor): number {
  const zeroPointBytes = q.zeroPoint.some((z) => z !== 0)
    ? Math.ceil((q.zeroPoint.length * (q.dtype.endsWith("4") ? 4 : 8)) / 8)
    : 0;
  return q.data.length + 4 * q.scale.length + zeroPointBytes;
}
