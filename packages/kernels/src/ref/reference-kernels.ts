import { roundHalfEven } from "@mc/core";

/**
 * The `__ref` tier: the plainest loops that state each operation's semantics. They are the
 * oracle for the `__scalar` and `__wasmsimd` tiers and are never selected for speed.
 * Arguments are already validated; zero points arrive expanded to one value per row/column.
 */

const f = Math.fround;

/** C = alpha·op(A)·op(B) + beta·C, accumulated in float64, rounded once to float32. */
export function gemm_f32__ref(
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  m: number,
  k: number,
  n: number,
  transposeA: boolean,
  transposeB: boolean,
  alpha: number,
  beta: number,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) {
        const av = transposeA ? a[p * m + i]! : a[i * k + p]!;
        const bv = transposeB ? b[j * k + p]! : b[p * n + j]!;
        acc += av * bv;
      }
      c[i * n + j] = beta === 0 ? alpha * acc : alpha * acc + beta * c[i * n + j]!;
    }
  }
}

/** ONNX MatMulInteger: Σ (a − aZero[i])·(b − bZero[j]) with int32 wrap-around. */
export function matmul_x8x8s32__ref(
  a: Uint8Array | Int8Array,
  b: Uint8Array | Int8Array,
  c: Int32Array,
  m: number,
  k: number,
  n: number,
  aZero: Int32Array,
  bZero: Int32Array,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) {
        // Each term is at most 2^16 and the sum is exact in float64 for any k below 2^36;
        // `| 0` then reduces modulo 2^32 exactly like a wrapping int32 accumulator.
        acc = (acc + (a[i * k + p]! - aZero[i]!) * (b[p * n + j]! - bZero[j]!)) | 0;
      }
      c[i * n + j] = acc;
    }
  }
}

export interface DynamicQuantization {
  data: Uint8Array;
  scale: number;
  zeroPoint: number;
}

/** ONNX DynamicQuantizeLinear (uint8), computed in float32 like onnxruntime. */
export function dynamic_quantize_linear_f32u8__ref(x: Float32Array): DynamicQuantization {
  let min = 0;
  let max = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  // onnxruntime uses scale 1 for an all-zero range so that the zero point stays defined.
  const scale = max === min ? 1 : f(f(max - min) / 255);
  const data = new Uint8Array(x.length);
  const zeroPoint = roundHalfEven(Math.min(255, Math.max(0, f(0 - f(min / scale)))));
  for (let i = 0; i < x.length; i++) {
    const q = roundHalfEven(f(x[i]! / scale)) + zeroPoint;
    data[i] = q < 0 ? 0 : q > 255 ? 255 : q;
  }
  return { data, scale, zeroPoint };
}

/**
 * int32 products of a uint8/int8 input [batch×in] with int8 weights [out×in], then
 * y = f32(acc)·f32(inputScale·weightScale[o]) + bias[o], every step rounded to float32.
 */
export function linear_x8s8f32__ref(
  input: Uint8Array | Int8Array,
  inputZero: number,
  inputScale: number,
  batch: number,
  weight: Int8Array,
  scales: Float32Array,
  bias: Float32Array | undefined,
  outFeatures: number,
  inFeatures: number,
  output: Float32Array,
): void {
  for (let i = 0; i < batch; i++) {
    for (let o = 0; o < outFeatures; o++) {
      let acc = 0;
      for (let p = 0; p < inFeatures; p++) {
        acc = (acc + (input[i * inFeatures + p]! - inputZero) * weight[o * inFeatures + p]!) | 0;
      }
      const combined = f(f(inputScale) * scales[o]!);
      const y = f(f(acc) * combined);
      output[i * outFeatures + o] = bias === undefined ? y : f(y + bias[o]!);
    }
  }
}

/** Requantize float32 values: saturate(roundHalfEven(y / scale) + zeroPoint). */
export function requantize_f32x8__ref(
  y: Float32Array,
  scale: number,
  zeroPoint: number,
  min: number,
  max: number,
  out: Uint8Array | Int8Array,
): void {
  const s = f(scale);
  for (let i = 0; i < y.length; i++) {
    const q = roundHalfEven(f(y[i]! / s)) + zeroPoint;
    out[i] = q < min ? min : q > max ? max : q;
  }
}

/** MatMulNBits with 4-bit weights [n][blocks][blockSize/2], low nibble first. */
export function matmul_f32u4f32__ref(
  x: Float32Array,
  m: number,
  k: number,
  n: number,
  weight: Uint8Array,
  scales: Float32Array,
  zeroPoints: Uint8Array | undefined,
  blockSize: number,
  bias: Float32Array | undefined,
  y: Float32Array,
): void {
  const blocks = Math.ceil(k / blockSize);
  const zeroBytesPerRow = Math.ceil(blocks / 2);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) {
        const block = Math.floor(p / blockSize);
        const within = p % blockSize;
        const byte = weight[j * blocks * (blockSize / 2) + block * (blockSize / 2) + (within >> 1)]!;
        const q = within & 1 ? byte >> 4 : byte & 15;
        let zero = 8;
        if (zeroPoints !== undefined) {
          const zb = zeroPoints[j * zeroBytesPerRow + (block >> 1)]!;
          zero = block & 1 ? zb >> 4 : zb & 15;
        }
        const w = f((q - zero) * scales[j * blocks + block]!);
        acc += x[i * k + p]! * w;
      }
      y[i * n + j] = f(bias === undefined ? acc : acc + bias[j]!);
    }
  }
}

/** y[b, r] = Σ_e values[e]·x[b, col[e]] + bias[r] over a CSR weight [rows×cols]. */
export function spmm_f32csr__ref(
  x: Float32Array,
  batch: number,
  rows: number,
  cols: number,
  rowPointers: Int32Array,
  columnIndices: Int32Array,
  value: (e: number) => number,
  bias: Float32Array | undefined,
  y: Float32Array,
): void {
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < rows; r++) {
      let acc = 0;
      for (let e = rowPointers[r]!; e < rowPointers[r + 1]!; e++) acc += value(e) * x[b * cols + columnIndices[e]!]!;
      y[b * rows + r] = f(bias === undefined ? acc : acc + bias[r]!);
    }
  }
}

/** Dense codebook weight: w[o, i] = codebook[indices[o·in + i]]. */
export function gemm_f32lut__ref(
  x: Float32Array,
  batch: number,
  outFeatures: number,
  inFeatures: number,
  indices: Uint8Array | Uint16Array,
  codebook: Float32Array,
  bias: Float32Array | undefined,
  y: Float32Array,
): void {
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < outFeatures; o++) {
      let acc = 0;
      for (let i = 0; i < inFeatures; i++) acc += codebook[indices[o * inFeatures + i]!]! * x[b * inFeatures + i]!;
      y[b * outFeatures + o] = f(bias === undefined ? acc : acc + bias[o]!);
    }
  }
}
