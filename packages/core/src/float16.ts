/**
 * IEEE 754 binary16 ("half", fp16) and bfloat16 conversions on raw 16-bit patterns.
 * float32 → 16 bits rounds to nearest, ties to even; overflow gives ±Infinity; values
 * below half the smallest subnormal give ±0; NaN stays a (quiet) NaN.
 * JavaScript numbers passed to the scalar functions are first rounded to float32.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function float32ToFloat16Bits(value: number): number {
  f32[0] = value;
  return bitsFloat32ToFloat16(u32[0] as number);
}

function bitsFloat32ToFloat16(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) {
    // NaN keeps its top payload bits and is forced quiet; Infinity keeps its sign.
    return mantissa !== 0 ? sign | 0x7e00 | (mantissa >>> 13) : sign | 0x7c00;
  }
  const e = exponent - 112; // rebias 127 → 15
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    // Subnormal half: shift the 24-bit significand (with its implicit 1) into 10 bits.
    const significand = mantissa | 0x800000;
    const shift = 14 - e;
    let half = significand >>> shift;
    const remainder = significand & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (remainder > halfway || (remainder === halfway && (half & 1) === 1)) half++;
    return sign | half; // a carry into bit 10 is exactly the smallest normal
  }
  let half = (e << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  if (remainder > 0x1000 || (remainder === 0x1000 && (half & 1) === 1)) half++; // a carry may reach Infinity, as it should
  return sign | half;
}

let halfTable: Float32Array | undefined;

function float16Table(): Float32Array {
  if (halfTable === undefined) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = decodeFloat16(h);
  }
  return halfTable;
}

function decodeFloat16(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >>> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa !== 0 ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

export function float16BitsToFloat32(bits: number): number {
  return decodeFloat16(bits & 0xffff);
}

/** Converts a Float32Array to half bits; writes into `out` when given. */
export function float32ToFloat16Array(
  input: Float32Array,
  out: Uint16Array = new Uint16Array(input.length),
): Uint16Array {
  const bits = new Uint32Array(input.buffer, input.byteOffset, input.length);
  for (let i = 0; i < input.length; i++) out[i] = bitsFloat32ToFloat16(bits[i] as number);
  return out;
}

/** Converts half bits to a Float32Array; writes into `out` when given. */
export function float16ToFloat32Array(
  input: Uint16Array,
  out: Float32Array = new Float32Array(input.length),
): Float32Array {
  const table = float16Table();
  for (let i = 0; i < input.length; i++) out[i] = table[input[i] as number] as number;
  return out;
}

export function float32ToBfloat16Bits(value: number): number {
  f32[0] = value;
  return bitsFloat32ToBfloat16(u32[0] as number);
}

function bitsFloat32ToBfloat16(x: number): number {
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) {
    return ((x >>> 16) | 0x40) & 0xffff; // quiet NaN, never rounded into Infinity
  }
  // Round to nearest even on the 16 dropped bits; overflow carries into Infinity.
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

export function bfloat16BitsToFloat32(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0] as number;
}

export function float32ToBfloat16Array(
  input: Float32Array,
  out: Uint16Array = new Uint16Array(input.length),
): Uint16Array {
  const bits = new Uint32Array(input.buffer, input.byteOffset, input.length);
  for (let i = 0; i < input.length; i++) out[i] = bitsFloat32ToBfloat16(bits[i] as number);
  return out;
}

export function bfloat16ToFloat32Array(
  input: Uint16Array,
  out: Float32Array = new Float32Array(input.length),
): Float32Array {
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < input.length; i++) bits[i] = (input[i] as number) << 16;
  return out;
}

/** Rounds each value through fp16 and back (the value an fp16 store would hold). */
export function roundToFloat16(input: Float32Array): Float32Array {
  return float16ToFloat32Array(float32ToFloat16Array(input));
}

/** Rounds each value through bf16 and back. */
export function roundToBfloat16(input: Float32Array): Float32Array {
  return bfloat16ToFloat32Array(float32ToBfloat16Array(input));
}
