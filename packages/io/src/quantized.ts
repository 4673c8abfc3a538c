import { elementCount, FormatError, formatShape, type Tensor } from "@mc/core";

/**
 * The quantized tensor record of @mc/quant's contract (CONTRACTS.md), restated structurally
 * so this package does not need @mc/quant's build to type-check: any `QuantizedTensor` from
 * @mc/quant is accepted as is.
 */
export type QuantDtype = "int8" | "uint8" | "int4" | "uint4";

export interface QuantizedTensorLike {
  /** int4/uint4: two values per byte, low nibble first. */
  data: Int8Array | Uint8Array;
  dtype: QuantDtype;
  shape: readonly number[];
  /** Per-tensor: 1; per-channel: shape[axis]; blockwise: one per block. */
  scale: Float32Array;
  zeroPoint: Int32Array;
  axis?: number;
  blockSize?: number;
}

export const quantRanges: Readonly<Record<QuantDtype, readonly [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int4: [-8, 7],
  uint4: [0, 15],
};

export type QuantScheme = "per-tensor" | "per-channel" | "blockwise";

export interface QuantLayout {
  scheme: QuantScheme;
  count: number;
  /** Bytes of `data`. */
  dataBytes: number;
  /** Number of scales / zero points. */
  paramCount: number;
}

/**
 * Checks a quantized tensor's parts against each other and names its scheme. Blockwise
 * follows ONNX DequantizeLinear's blocked quantization: blocks of `blockSize` consecutive
 * elements along `axis` (default: the last), scales laid out like the tensor with
 * `shape[axis]` replaced by `ceil(shape[axis] / blockSize)`.
 */
export function quantLayout(
  q: QuantizedTensorLike,
  caller: string,
  makeError: (message: string) => Error = (message) => new FormatError({ message }),
): QuantLayout {
  const bad = (message: string): never => {
    throw makeError(`${caller}: ${message}`);
  };
  if (!Object.hasOwn(quantRanges, q.dtype)) bad(`unknown quantized dtype ${JSON.stringify(q.dtype)}`);
  if (!(q.data instanceof Int8Array || q.data instanceof Uint8Array)) bad("data must be an Int8Array or Uint8Array");
  if (!(q.scale instanceof Float32Array) || !(q.zeroPoint instanceof Int32Array)) {
    bad("scale must be a Float32Array and zeroPoint an Int32Array");
  }
  if (!Array.isArray(q.shape)) bad("shape must be an array");
  const count = elementCount(q.shape, caller);
  const nibbles = q.dtype === "int4" || q.dtype === "uint4";
  const dataBytes = nibbles ? Math.ceil(count / 2) : count;
  if (q.data.length !== dataBytes) {
    bad(`${q.dtype} data of shape ${formatShape(q.shape)} needs ${dataBytes} bytes, got ${q.data.length}`);
  }
  let scheme: QuantScheme;
  let paramCount: number;
  if (q.blockSize !== undefined) {
    const axis = q.axis ?? q.shape.length - 1;
    if (!Number.isSafeInteger(q.blockSize) || q.blockSize < 1)
      bad(`blockSize must be a positive integer, got ${q.blockSize}`);
    if (!Number.isSafeInteger(axis) || axis < 0 || axis >= q.shape.length) {
      bad(`axis ${axis} is out of range for shape ${formatShape(q.shape)}`);
    }
    const dim = q.shape[axis] as number;
    scheme = "blockwise";
    paramCount = dim === 0 ? 0 : (count / dim) * Math.ceil(dim / (q.blockSize as number));
  } else if (q.axis !== undefined) {
    if (!Number.isSafeInteger(q.axis) || q.axis < 0 || q.axis >= q.shape.length) {
      bad(`axis ${q.axis} is out of range for shape ${formatShape(q.shape)}`);
    }
    scheme = "per-channel";
    paramCount = q.shape[q.axis] as number;
  } else {
    scheme = "per-tensor";
    paramCount = 1;
  }
  if (q.scale.length !== paramCount || q.zeroPoint.length !== paramCount) {
    bad(
      `${scheme} ${q.dtype} of shape ${formatShape(q.shape)} needs ${paramCount} scales and zero points, got ${q.scale.length} and ${q.zeroPoint.length}`,
    );
  }
  const [low, high] = quantRanges[q.dtype];
  for (let i = 0; i < paramCount; i++) {
    const z = q.zeroPoint[i] as number;
    if (z < low || z > high) bad(`zero point ${z} at index ${i} is outside the ${q.dtype} range [${low}, ${high}]`);
    if (!Number.isFinite(q.scale[i] as number)) bad(`scale ${q.scale[i]} at index ${i} is not finite`);
  }
  return { scheme, count, dataBytes, paramCount };
}

/** Element i of the quantized data as an integer (int4 nibbles sign-extended). */
export function quantizedValues(q: QuantizedTensorLike, count: number): Int32Array {
  const out = new Int32Array(count);
  if (q.dtype === "int8") for (let i = 0; i < count; i++) out[i] = ((q.data[i] as number) << 24) >> 24;
  else if (q.dtype === "uint8") for (let i = 0; i < count; i++) out[i] = (q.data[i] as number) & 0xff;
  else {
    const signed = q.dtype === "int4";
    for (let i = 0; i < count; i++) {
      const byte = (q.data[i >> 1] as number) & 0xff;
      const nibble = i & 1 ? byte >> 4 : byte & 0x0f;
      out[i] = signed ? (nibble << 28) >> 28 : nibble;
    }
  }
  return out;
}

/** Index into scale/zeroPoint of every element. */
export function quantParamIndex(q: QuantizedTensorLike, scheme: QuantScheme): (i: number) => number {
  if (scheme === "per-tensor") return () => 0;
  const shape = q.shape;
  const axis = q.axis ?? shape.length - 1;
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d] as number;
  const dim = shape[axis] as number;
  if (scheme === "per-channel") return (i) => Math.floor(i / inner) % dim;
  const blockSize = q.blockSize as number;
  const blocks = Math.ceil(dim / blockSize);
  return (i) => {
    const outer = Math.floor(i / (inner * dim));
    const along = Math.floor(i / inner) % dim;
    const rest = i % inner;
    return (outer * blocks + Math.floor(along / blockSize)) * inner + rest;
  };
}

/** `(q - zeroPoint) * scale` in fp32, as ONNX DequantizeLinear defines it. */
export function dequantizeLike(q: QuantizedTensorLike, caller = "dequantize"): Tensor<Float32Array> {
  const { scheme, count } = quantLayout(q, caller);
  const values = quantizedValues(q, count);
  const param = quantParamIndex(q, scheme);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const p = param(i);
    out[i] = ((values[i] as number) - (q.zeroPoint[p] as number)) * (q.scale[p] as number);
  }
  return { data: out, shape: [...q.shape] };
}
