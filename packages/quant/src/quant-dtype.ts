import { assertOneOf, InvalidArgumentError } from "@mc/core";

/** Integer types a quantized tensor may hold. 4-bit types are packed two per byte, low nibble first. */
export type QuantDtype = "int8" | "uint8" | "int4" | "uint4";

export const QUANT_DTYPES: readonly QuantDtype[] = ["int8", "uint8", "int4", "uint4"];

/**
 * A quantized tensor carries everything needed to dequantize it alone.
 * Per-tensor: `scale`/`zeroPoint` have length 1 and `axis` is absent. Per-channel: length
 * `shape[axis]`. Blockwise: one entry per block, laid out row-major over `shape` with
 * `shape[axis]` replaced by `shape[axis] / blockSize` (the ONNX blocked-quantization layout).
 */
export interface QuantizedTensor {
  data: Int8Array | Uint8Array;
  dtype: QuantDtype;
  shape: number[];
  scale: Float32Array;
  zeroPoint: Int32Array;
  axis?: number;
  blockSize?: number;
}

export interface QuantRangeOptions {
  /** Drop one bit of range (PyTorch `reduce_range`, for CPUs whose int8 dot products overflow int16). */
  reduceRange?: boolean;
  /** Leave out the most negative (signed) or zero (unsigned) level: int8 [-127, 127], uint8 [1, 255]. */
  narrowRange?: boolean;
}

export interface QuantRange {
  qmin: number;
  qmax: number;
}

export function assertQuantDtype(dtype: unknown, caller: string, argument = "dtype"): QuantDtype {
  return assertOneOf(dtype, QUANT_DTYPES, caller, argument);
}

export function dtypeBits(dtype: QuantDtype): 4 | 8 {
  return dtype === "int8" || dtype === "uint8" ? 8 : 4;
}

export function isSignedDtype(dtype: QuantDtype): boolean {
  return dtype === "int8" || dtype === "int4";
}

/** The integer range of a dtype, optionally reduced by one bit and/or narrowed by one level. */
export function quantRange(
  dtype: QuantDtype,
  { reduceRange = false, narrowRange = false }: QuantRangeOptions = {},
): QuantRange {
  const bits = dtypeBits(dtype) - (reduceRange ? 1 : 0);
  let qmin = isSignedDtype(dtype) ? -(2 ** (bits - 1)) : 0;
  const qmax = isSignedDtype(dtype) ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  if (narrowRange) qmin += 1;
  return { qmin, qmax };
}

/** Bytes needed to store `count` values of `dtype` (4-bit types: two per byte, rounded up). */
export function quantByteLength(dtype: QuantDtype, count: number): number {
  return dtypeBits(dtype) === 8 ? count : Math.ceil(count / 2);
}

/** A zeroed storage array of the right kind: Int8Array for int8, Uint8Array otherwise. */
export function allocateQuantData(dtype: QuantDtype, count: number): Int8Array | Uint8Array {
  const length = quantByteLength(dtype, count);
  return dtype === "int8" ? new Int8Array(length) : new Uint8Array(length);
}

/**
 * Unpacks stored values to one integer per element (sign-extending int4). `count` is the
 * element count; 4-bit data holds element 2i in the low nibble of byte i.
 */
export function unpackQuantData(data: Int8Array | Uint8Array, dtype: QuantDtype, count: number): Int32Array {
  const out = new Int32Array(count);
  if (dtypeBits(dtype) === 8) {
    for (let i = 0; i < count; i++) out[i] = data[i] as number;
    return out;
  }
  const signed = dtype === "int4";
  for (let i = 0; i < count; i++) {
    const byte = data[i >> 1] as number;
    const nibble = i & 1 ? (byte >> 4) & 0xf : byte & 0xf;
    out[i] = signed ? (nibble << 28) >> 28 : nibble;
  }
  return out;
}

/** Packs one integer per element into the storage layout of `dtype` (values must already be in range). */
export function packQuantData(values: ArrayLike<number>, dtype: QuantDtype): Int8Array | Uint8Array {
  const count = values.length;
  const out = allocateQuantData(dtype, count);
  if (dtypeBits(dtype) === 8) {
    for (let i = 0; i < count; i++) out[i] = values[i] as number;
    return out;
  }
  for (let i = 0; i < count; i++) {
    const nibble = (values[i] as number) & 0xf;
    out[i >> 1] = (out[i >> 1] as number) | (i & 1 ? nibble << 4 : nibble);
  }
  return out;
}

/** Throws unless `zeroPoint` is an integer inside the dtype's full range. */
export function assertZeroPoint(zeroPoint: unknown, dtype: QuantDtype, caller: string, argument = "zeroPoint"): number {
  const { qmin, qmax } = quantRange(dtype);
  if (typeof zeroPoint !== "number" || !Number.isInteger(zeroPoint) || zeroPoint < qmin || zeroPoint > qmax) {
    throw new InvalidArgumentError({
      message: `${caller}: ${argument} must be an integer in [${qmin}, ${qmax}] for ${dtype}, got ${String(zeroPoint)}`,
      argument,
      value: zeroPoint,
    });
  }
  return zeroPoint;
}

/** Throws unless `scale` is finite and positive, also after rounding to float32 (the stored type). */
export function assertScale(scale: unknown, caller: string, argument = "scale"): number {
  const stored = typeof scale === "number" ? Math.fround(scale) : Number.NaN;
  if (!(Number.isFinite(stored) && stored > 0)) {
    throw new InvalidArgumentError({
      message: `${caller}: ${argument} must be a finite number > 0 (as float32), got ${String(scale)}`,
      argument,
      value: scale,
    });
  }
  return stored;
}
