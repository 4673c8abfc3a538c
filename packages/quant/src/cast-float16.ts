import {
  assertTensor,
  bfloat16ToFloat32Array,
  float16ToFloat32Array,
  float32ToBfloat16Array,
  float32ToFloat16Array,
  InvalidArgumentError,
  type Tensor,
} from "@mc/core";
import { type QuantizationErrorResult, quantizationError } from "./quantization-error";

export interface CastResult {
  /** The 16-bit patterns, row-major. */
  bits: Uint16Array;
  shape: number[];
  /** The values the 16-bit tensor holds, widened back to float32. */
  values: Tensor<Float32Array>;
  /** Error the cast introduced (round to nearest even; overflow to ±Infinity shows as Infinity). */
  error: QuantizationErrorResult;
  /** Finite inputs that became ±Infinity (fp16 overflows above 65504). */
  overflowCount: number;
}

function cast(
  x: Tensor<Float32Array>,
  caller: string,
  encode: (input: Float32Array) => Uint16Array,
  decode: (input: Uint16Array) => Float32Array,
): CastResult {
  const input = assertTensor(x, caller, "x");
  if (!(input.data instanceof Float32Array)) {
    throw new InvalidArgumentError({ message: `${caller}: x.data must be a Float32Array`, argument: "x", value: x });
  }
  const bits = encode(input.data);
  const data = decode(bits);
  let overflowCount = 0;
  for (let i = 0; i < data.length; i++) {
    if (Number.isFinite(input.data[i] as number) && !Number.isFinite(data[i] as number)) overflowCount++;
  }
  const values = { data, shape: [...input.shape] };
  return {
    bits,
    shape: [...input.shape],
    values,
    error: quantizationError(input as Tensor<Float32Array>, values),
    overflowCount,
  };
}

/** IEEE fp16 cast of a float32 tensor (round to nearest even, via @mc/core) with the error it introduces. */
export function castFloat16(x: Tensor<Float32Array>): CastResult {
  return cast(x, "castFloat16", float32ToFloat16Array, (b) => float16ToFloat32Array(b));
}

/** bfloat16 cast of a float32 tensor (round to nearest even, via @mc/core) with the error it introduces. */
export function castBfloat16(x: Tensor<Float32Array>): CastResult {
  return cast(x, "castBfloat16", float32ToBfloat16Array, (b) => bfloat16ToFloat32Array(b));
}
