import { assertAxis, assertBlockSize, assertFloatTensor, blockLayout, checkParams, quantizeWithLayout } from "./affine";
import { type ChooseQParamsOptions, chooseQParams } from "./choose-qparams";
import { assertQuantDtype, type QuantDtype, type QuantizedTensor } from "./quant-dtype";

export interface QuantizeBlockwiseOptions {
  /** Elements per block along `axis`; must divide `shape[axis]`. */
  blockSize: number;
  /** Axis the blocks run along; default the last one (the input dimension of an [out, in] weight). */
  axis?: number;
  dtype?: QuantDtype;
  symmetric?: boolean;
  reduceRange?: boolean;
  narrowRange?: boolean;
}

/**
 * Blockwise quantization: each run of `blockSize` elements along `axis` gets its own scale
 * and zero point from its min/max (`chooseQParams`). Parameters are laid out as ONNX blocked
 * quantization does; for a 2-D [n, k] weight with axis 1 and 4-bit dtype the packed data is
 * exactly onnxruntime `MatMulNBits`' [n][k / blockSize][blockSize / 2] byte layout.
 */
export function quantizeBlockwise(
  x: { data: Float32Array; shape: readonly number[] },
  options: QuantizeBlockwiseOptions,
): QuantizedTensor {
  const caller = "quantizeBlockwise";
  const input = assertFloatTensor(x, caller);
  const {
    blockSize,
    axis = -1,
    dtype = "int4",
    symmetric = false,
    reduceRange = false,
    narrowRange = false,
  } = options ?? ({} as QuantizeBlockwiseOptions);
  assertQuantDtype(dtype, caller, "options.dtype");
  const resolvedAxis = assertAxis(axis, input.shape, caller, "options.axis");
  const dim = input.shape[resolvedAxis] as number;
  assertBlockSize(blockSize, dim, input.shape, resolvedAxis, caller);
  const layout = blockLayout(input.shape, resolvedAxis, blockSize);
  const mins = new Float64Array(layout.count).fill(Number.POSITIVE_INFINITY);
  const maxs = new Float64Array(layout.count).fill(Number.NEGATIVE_INFINITY);
  const values = input.data;
  for (let i = 0; i < values.length; i++) {
    const p = layout.indexOf(i);
    const v = values[i] as number;
    if (v < (mins[p] as number)) mins[p] = v;
    if (v > (maxs[p] as number)) maxs[p] = v;
  }
  const qOptions: ChooseQParamsOptions = { dtype, symmetric, reduceRange, narrowRange };
  const scales = new Float32Array(layout.count);
  const zeroPoints = new Int32Array(layout.count);
  for (let p = 0; p < layout.count; p++) {
    const q = chooseQParams({ min: mins[p] as number, max: maxs[p] as number }, qOptions);
    scales[p] = q.scale;
    zeroPoints[p] = q.zeroPoint;
  }
  const params = checkParams(scales, zeroPoints, layout.count, dtype, caller);
  return {
    data: quantizeWithLayout(values, layout, params.scale, params.zeroPoint, dtype),
    dtype,
    shape: [...input.shape],
    scale: params.scale,
    zeroPoint: params.zeroPoint,
    axis: resolvedAxis,
    blockSize,
  };
}
