import { assertFiniteNumber, InvalidArgumentError, roundHalfEven } from "@mc/core";
import { assertQuantDtype, isSignedDtype, type QuantDtype, type QuantRangeOptions, quantRange } from "./quant-dtype";

/** torch.finfo(torch.float32).eps: PyTorch's observers never return a smaller scale. */
export const FLOAT32_EPSILON = 2 ** -23;

export interface ChooseQParamsOptions extends QuantRangeOptions {
  dtype?: QuantDtype;
  /** Zero point fixed at 0 (signed) or the middle of the range (unsigned, 128 for uint8). */
  symmetric?: boolean;
}

export interface QParams {
  scale: number;
  zeroPoint: number;
}

export interface ObservedRange {
  min: number;
  max: number;
}

/**
 * Scale and zero point for an observed range, with the formulas of PyTorch's observers
 * (`_calculate_qparams`), computed in float32 as PyTorch does:
 * the range is widened to include 0; asymmetric: scale = (max − min) / (qmax − qmin),
 * zeroPoint = clamp(qmin − round(min / scale)); symmetric: scale = max(|min|, |max|) /
 * ((qmax − qmin) / 2), zeroPoint 0 for signed types and the middle of the range for unsigned
 * types (128 for uint8); the scale is floored at float32 epsilon, so min = max (even 0 = 0)
 * gives a valid result.
 * One deviation: with `reduceRange` + `symmetric` + uint8 PyTorch returns zero point 128,
 * outside its own range [0, 127]; this returns the middle of the reduced range, 64.
 */
export function chooseQParams(range: ObservedRange, options: ChooseQParamsOptions = {}): QParams {
  const caller = "chooseQParams";
  const { dtype = "int8", symmetric = false, reduceRange = false, narrowRange = false } = options;
  assertQuantDtype(dtype, caller, "options.dtype");
  if (typeof range !== "object" || range === null) {
    throw new InvalidArgumentError({
      message: `${caller}: range must be { min, max }`,
      argument: "range",
      value: range,
    });
  }
  const min = Math.fround(assertFiniteNumber(range.min, caller, "range.min"));
  const max = Math.fround(assertFiniteNumber(range.max, caller, "range.max"));
  if (min > max) {
    throw new InvalidArgumentError({
      message: `${caller}: range.min (${min}) must not exceed range.max (${max})`,
      argument: "range",
      value: range,
    });
  }
  const { qmin, qmax } = quantRange(dtype, { reduceRange, narrowRange });
  const minNeg = Math.min(min, 0);
  const maxPos = Math.max(max, 0);
  if (symmetric) {
    const absMax = Math.max(-minNeg, maxPos);
    const scale = Math.max(Math.fround(absMax / ((qmax - qmin) / 2)), FLOAT32_EPSILON);
    const zeroPoint = isSignedDtype(dtype) ? 0 : (qmin + qmax + 1) >> 1;
    return { scale, zeroPoint };
  }
  const scale = Math.max(Math.fround(Math.fround(maxPos - minNeg) / (qmax - qmin)), FLOAT32_EPSILON);
  const zeroPoint = Math.min(qmax, Math.max(qmin, qmin - roundHalfEven(Math.fround(minNeg / scale))));
  return { scale, zeroPoint: zeroPoint + 0 }; // + 0 turns a -0 into 0
}

export interface ChannelQParams {
  scales: Float32Array;
  zeroPoints: Int32Array;
}

/** `chooseQParams` for each channel of per-channel minima and maxima. */
export function chooseQParamsPerChannel(
  range: { min: ArrayLike<number>; max: ArrayLike<number> },
  options: ChooseQParamsOptions = {},
): ChannelQParams {
  const caller = "chooseQParamsPerChannel";
  if (range?.min?.length === undefined || range.max?.length !== range.min.length) {
    throw new InvalidArgumentError({
      message: `${caller}: range must be { min, max } arrays of equal length`,
      argument: "range",
      value: range,
    });
  }
  const count = range.min.length;
  const scales = new Float32Array(count);
  const zeroPoints = new Int32Array(count);
  for (let c = 0; c < count; c++) {
    const q = chooseQParams({ min: range.min[c] as number, max: range.max[c] as number }, options);
    scales[c] = q.scale;
    zeroPoints[c] = q.zeroPoint;
  }
  return { scales, zeroPoints };
}
