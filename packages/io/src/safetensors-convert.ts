import { bfloat16ToFloat32Array, float16ToFloat32Array, type Tensor, UnsupportedError } from "@mc/core";
import type { SafetensorsTensor } from "./safetensors";

/**
 * Widens a stored tensor to fp32: F16/BF16 bit patterns are decoded exactly, integers and
 * BOOL convert exactly up to 2^24, F64/I64/U64 round to the nearest fp32.
 */
export function safetensorsToFloat32(tensor: SafetensorsTensor): Tensor<Float32Array> {
  const { dtype, data, shape } = tensor;
  let out: Float32Array;
  if (dtype === "F32") out = new Float32Array(data as Float32Array);
  else if (dtype === "F16") out = float16ToFloat32Array(data as Uint16Array);
  else if (dtype === "BF16") out = bfloat16ToFloat32Array(data as Uint16Array);
  else if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    out = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  } else if (ArrayBuffer.isView(data)) out = Float32Array.from(data as ArrayLike<number>);
  else throw new UnsupportedError({ message: `safetensorsToFloat32: dtype ${dtype} is not supported`, feature: dtype });
  return { data: out, shape: [...shape] };
}
