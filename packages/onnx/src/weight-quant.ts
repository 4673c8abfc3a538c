import { roundHalfEven } from "@mc/core";
import { chooseQParamsPerChannel, quantizePerChannel, quantizePerTensor } from "@mc/quant";

/** Integer types weights are stored in by the weight-only and dynamic modes. */
export type WeightDtype = "int8" | "uint8";

/** Weight types of the weight-only mode: 8-bit, or int4 blockwise (DequantizeLinear opset 21). */
export type WeightOnlyDtype = WeightDtype | "int4";

export interface QuantizedWeight {
  data: Int8Array | Uint8Array;
  /** One scale per channel (length shape[axis]) or one for the tensor. */
  scale: Float32Array;
  zeroPoint: Int32Array;
  /** The values DequantizeLinear will produce, for error measurement. */
  dequantized: Float32Array;
}

/** [outer, channels, inner] of a row-major shape split at `axis` (per-tensor: one channel). */
export function channelLayout(shape: readonly number[], axis: number | undefined) {
  const count = shape.reduce((a, b) => a * b, 1);
  if (axis === undefined) return { outer: 1, channels: 1, inner: count };
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  return { outer, channels: shape[axis] as number, inner };
}

/**
 * Affine quantization of a weight with @mc/quant: int8 symmetric (zero point 0, levels
 * -127..127, the narrow range onnxruntime uses for weights so that -x quantizes to -q) or uint8
 * asymmetric with a range that always contains 0 (so zero padding stays exact). Scale and zero
 * point follow `chooseQParams` (PyTorch's formulas, computed in float32), the integers
 * `quantizePerChannel`/`quantizePerTensor` (ONNX QuantizeLinear, round half to even), so
 * `dequantized` equals what DequantizeLinear computes from the stored bytes.
 */
export function quantizeWeight(
  values: Float32Array,
  shape: readonly number[],
  axis: number | undefined,
  dtype: WeightDtype,
): QuantizedWeight {
  const { outer, channels, inner } = channelLayout(shape, axis);
  const minimum = new Float64Array(channels).fill(0);
  const maximum = new Float64Array(channels).fill(0);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const base = (o * channels + c) * inner;
      let lo = minimum[c] as number;
      let hi = maximum[c] as number;
      for (let i = 0; i < inner; i++) {
        const v = values[base + i] as number;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      minimum[c] = lo;
      maximum[c] = hi;
    }
  }
  const qparamOptions = { dtype, symmetric: dtype === "int8", narrowRange: dtype === "int8" };
  const { scales, zeroPoints } = chooseQParamsPerChannel({ min: minimum, max: maximum }, qparamOptions);
  const tensor = { data: values, shape };
  const quantized =
    axis === undefined
      ? quantizePerTensor(tensor, scales[0] as number, zeroPoints[0] as number, dtype)
      : quantizePerChannel(tensor, scales, zeroPoints, axis, dtype);
  const data = quantized.data;
  const dequantized = new Float32Array(values.length);
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const s = quantized.scale[c] as number;
      const z = quantized.zeroPoint[c] as number;
      const base = (o * channels + c) * inner;
      for (let i = 0; i < inner; i++) dequantized[base + i] = ((data[base + i] as number) - z) * s;
    }
  }
  return { data, scale: quantized.scale, zeroPoint: quantized.zeroPoint, dequantized };
}

/** Signal-to-quantization-noise ratio in dB (Infinity when exact). */
export function sqnrDb(reference: Float32Array, approximation: Float32Array): number {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i] as number;
    const d = r - (approximation[i] as number);
    signal += r * r;
    noise += d * d;
  }
  if (noise === 0) return Number.POSITIVE_INFINITY;
  return 10 * Math.log10(signal / noise);
}

export interface NBitsWeight {
  /** [n][blocks][blockSize / 2] bytes, low nibble first (onnxruntime MatMulNBits layout). */
  packed: Uint8Array;
  /** [n][blocks] scales. */
  scales: Float32Array;
  /** [n][ceil(blocks / 2)] packed 4-bit zero points, or undefined for symmetric (implicit 8). */
  zeroPoints: Uint8Array | undefined;
  blocks: number;
  /** Dequantized weight in the input layout [k][n]. */
  dequantized: Float32Array;
}

/**
 * 4-bit blockwise quantization of a [k][n] weight (MatMul B) along k, one scale per
 * (column, block) as MatMulNBits wants. Symmetric: q = round(w / s) + 8 with s = absmax / 7
 * (levels 1..15, zero point 8 implicit). Asymmetric: a range containing 0 mapped to 0..15.
 * k is padded with zeros up to a whole number of blocks.
 */
export function quantizeNBits(
  weight: Float32Array,
  k: number,
  n: number,
  blockSize: number,
  symmetric: boolean,
): NBitsWeight {
  const blocks = Math.ceil(k / blockSize);
  const blobSize = blockSize / 2;
  const packed = new Uint8Array(n * blocks * blobSize);
  const scales = new Float32Array(n * blocks);
  const zeroPointStride = Math.ceil(blocks / 2);
  const zeroPoints = symmetric ? undefined : new Uint8Array(n * zeroPointStride);
  const dequantized = new Float32Array(k * n);
  for (let col = 0; col < n; col++) {
    for (let b = 0; b < blocks; b++) {
      const start = b * blockSize;
      const end = Math.min(k, start + blockSize);
      let lo = 0;
      let hi = 0;
      for (let row = start; row < end; row++) {
        const v = weight[row * n + col] as number;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      let scale: number;
      let zero: number;
      if (symmetric) {
        const absMax = Math.max(-lo, hi);
        scale = Math.fround(absMax > 0 ? absMax / 7 : 1);
        zero = 8;
      } else {
        scale = Math.fround(hi - lo > 0 ? (hi - lo) / 15 : 1);
        zero = Math.min(15, Math.max(0, roundHalfEven(-lo / scale)));
        const zeroIndex = col * zeroPointStride + (b >> 1);
        (zeroPoints as Uint8Array)[zeroIndex] =
          ((zeroPoints as Uint8Array)[zeroIndex] as number) | (b & 1 ? zero << 4 : zero);
      }
      scales[col * blocks + b] = scale;
      for (let i = 0; i < blockSize; i++) {
        const row = start + i;
        const v = row < k ? (weight[row * n + col] as number) : 0;
        const q = Math.min(15, Math.max(0, roundHalfEven(v / scale) + zero));
        const byteIndex = (col * blocks + b) * blobSize + (i >> 1);
        packed[byteIndex] = (packed[byteIndex] as number) | (i & 1 ? q << 4 : q);
        if (row < k) dequantized[row * n + col] = (q - zero) * scale;
      }
    }
  }
  return { packed, scales, zeroPoints, blocks, dequantized };
}
