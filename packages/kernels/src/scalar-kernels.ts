import { roundHalfEven } from "@mc/core";

/**
 * The `__scalar` tier: plain JavaScript, tuned loop orders (i-k-j, blocked over k and n) so
 * that V8 keeps the inner loop on contiguous typed-array rows. Always available; the
 * fallback where WebAssembly SIMD is missing and the tier small shapes use.
 */

const f = Math.fround;
const BLOCK_K = 128;
const BLOCK_N = 512;

/** op(A)·op(B) for A m×k row-major and B k×n row-major; transposed inputs are copied first. */
export function gemm_f32__scalar(
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
  if (m === 1 && transposeB && !transposeA) {
    gemv_f32_nk__scalar(a, b, c, k, n, alpha, beta);
    return;
  }
  const aa = transposeA ? transpose(a, k, m) : a;
  const bb = transposeB ? transpose(b, n, k) : b;
  const row = new Float64Array(Math.min(n, BLOCK_N));
  for (let j0 = 0; j0 < n; j0 += BLOCK_N) {
    const nb = Math.min(BLOCK_N, n - j0);
    for (let i = 0; i < m; i++) {
      row.fill(0, 0, nb);
      const aRow = i * k;
      for (let p0 = 0; p0 < k; p0 += BLOCK_K) {
        const pEnd = Math.min(k, p0 + BLOCK_K);
        for (let p = p0; p < pEnd; p++) {
          const av = aa[aRow + p]!;
          if (av === 0) continue;
          const bRow = p * n + j0;
          for (let j = 0; j < nb; j++) row[j] += av * bb[bRow + j]!;
        }
      }
      const cRow = i * n + j0;
      if (beta === 0) for (let j = 0; j < nb; j++) c[cRow + j] = alpha * row[j]!;
      else for (let j = 0; j < nb; j++) c[cRow + j] = alpha * row[j]! + beta * c[cRow + j]!;
    }
  }
}

/** m = 1 with B stored n×k: contiguous dot products. */
function gemv_f32_nk__scalar(
  x: Float32Array,
  b: Float32Array,
  c: Float32Array,
  k: number,
  n: number,
  alpha: number,
  beta: number,
): void {
  for (let j = 0; j < n; j++) {
    const base = j * k;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let p = 0;
    for (; p + 4 <= k; p += 4) {
      s0 += x[p]! * b[base + p]!;
      s1 += x[p + 1]! * b[base + p + 1]!;
      s2 += x[p + 2]! * b[base + p + 2]!;
      s3 += x[p + 3]! * b[base + p + 3]!;
    }
    for (; p < k; p++) s0 += x[p]! * b[base + p]!;
    const acc = s0 + s1 + s2 + s3;
    c[j] = beta === 0 ? alpha * acc : alpha * acc + beta * c[j]!;
  }
}

function transpose(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c]!;
  return out;
}

/** MatMulInteger with zero points subtracted up front; int32 rows with wrap-around adds. */
export function matmul_x8x8s32__scalar(
  a: Uint8Array | Int8Array,
  b: Uint8Array | Int8Array,
  c: Int32Array,
  m: number,
  k: number,
  n: number,
  aZero: Int32Array,
  bZero: Int32Array,
): void {
  const bs = new Int16Array(k * n);
  for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) bs[p * n + j] = b[p * n + j]! - bZero[j]!;
  const row = new Int32Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    const az = aZero[i]!;
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p]! - az;
      if (av === 0) continue;
      const bRow = p * n;
      for (let j = 0; j < n; j++) row[j] = (row[j]! + av * bs[bRow + j]!) | 0;
    }
    c.set(row, i * n);
  }
}

/** ONNX DynamicQuantizeLinear into `out`; returns { scale, zeroPoint }. */
export function dynamic_quantize_linear_f32u8__scalar(
  x: Float32Array,
  out: Uint8Array,
): { scale: number; zeroPoint: number } {
  let min = 0;
  let max = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v < min) min = v;
    else if (v > max) max = v;
  }
  const scale = max === min ? 1 : f(f(max - min) / 255);
  const zeroPoint = roundHalfEven(Math.min(255, Math.max(0, f(0 - f(min / scale)))));
  for (let i = 0; i < x.length; i++) {
    const q = roundHalfEven(f(x[i]! / scale)) + zeroPoint;
    out[i] = q < 0 ? 0 : q > 255 ? 255 : q;
  }
  return { scale, zeroPoint };
}

/** Quantized linear with weights [out×in] int8 and precomputed weight row sums. */
export function linear_x8s8f32__scalar(
  input: Uint8Array | Int8Array,
  inputZero: number,
  inputScale: number,
  batch: number,
  weight: Int8Array,
  rowSums: Int32Array,
  scales: Float32Array,
  bias: Float32Array | undefined,
  outFeatures: number,
  inFeatures: number,
  output: Float32Array,
): void {
  const xs = f(inputScale);
  for (let i = 0; i < batch; i++) {
    const xBase = i * inFeatures;
    for (let o = 0; o < outFeatures; o++) {
      const wBase = o * inFeatures;
      let acc = 0;
      for (let p = 0; p < inFeatures; p++) acc = (acc + input[xBase + p]! * weight[wBase + p]!) | 0;
      acc = (acc - Math.imul(inputZero, rowSums[o]!)) | 0;
      const y = f(f(acc) * f(xs * scales[o]!));
      output[i * outFeatures + o] = bias === undefined ? y : f(y + bias[o]!);
    }
  }
}

export function matmul_f32u4f32__scalar(
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
  const half = blockSize >> 1;
  const zeroBytesPerRow = (blocks + 1) >> 1;
  const acc = new Float64Array(m);
  for (let j = 0; j < n; j++) {
    acc.fill(0);
    for (let blk = 0; blk < blocks; blk++) {
      let zero = 8;
      if (zeroPoints !== undefined) {
        const zb = zeroPoints[j * zeroBytesPerRow + (blk >> 1)]!;
        zero = blk & 1 ? zb >> 4 : zb & 15;
      }
      const scale = scales[j * blocks + blk]!;
      const wBase = (j * blocks + blk) * half;
      const p0 = blk * blockSize;
      const pEnd = Math.min(k, p0 + blockSize);
      for (let i = 0; i < m; i++) {
        const xBase = i * k;
        let s = 0;
        for (let p = p0; p < pEnd; p += 2) {
          const byte = weight[wBase + ((p - p0) >> 1)]!;
          s += x[xBase + p]! * f(((byte & 15) - zero) * scale);
          if (p + 1 < pEnd) s += x[xBase + p + 1]! * f(((byte >> 4) - zero) * scale);
        }
        acc[i] += s;
      }
    }
    for (let i = 0; i < m; i++) y[i * n + j] = bias === undefined ? acc[i]! : acc[i]! + bias[j]!;
  }
}

export function spmm_f32csr__scalar(
  x: Float32Array,
  batch: number,
  rows: number,
  cols: number,
  rowPointers: Int32Array,
  columnIndices: Int32Array,
  values: Float32Array,
  bias: Float32Array | undefined,
  y: Float32Array,
): void {
  for (let b = 0; b < batch; b++) {
    const xBase = b * cols;
    for (let r = 0; r < rows; r++) {
      let acc = bias === undefined ? 0 : bias[r]!;
      const end = rowPointers[r + 1]!;
      for (let e = rowPointers[r]!; e < end; e++) acc += values[e]! * x[xBase + columnIndices[e]!]!;
      y[b * rows + r] = acc;
    }
  }
}

export function spmm_f32csrlut__scalar(
  x: Float32Array,
  batch: number,
  rows: number,
  cols: number,
  rowPointers: Int32Array,
  columnIndices: Int32Array,
  codeIndices: Uint8Array | Uint16Array,
  codebook: Float32Array,
  bias: Float32Array | undefined,
  y: Float32Array,
): void {
  for (let b = 0; b < batch; b++) {
    const xBase = b * cols;
    for (let r = 0; r < rows; r++) {
      let acc = bias === undefined ? 0 : bias[r]!;
      const end = rowPointers[r + 1]!;
      for (let e = rowPointers[r]!; e < end; e++) acc += codebook[codeIndices[e]!]! * x[xBase + columnIndices[e]!]!;
      y[b * rows + r] = acc;
    }
  }
}

export function gemm_f32lut__scalar(
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
    const xBase = b * inFeatures;
    for (let o = 0; o < outFeatures; o++) {
      const wBase = o * inFeatures;
      let acc = 0;
      for (let i = 0; i < inFeatures; i++) acc += codebook[indices[wBase + i]!]! * x[xBase + i]!;
      y[b * outFeatures + o] = bias === undefined ? acc : acc + bias[o]!;
    }
  }
}

/**
 * CSC product skipping zero inputs: y[b] = act(bias + Σ_{c: x[b][c] ≠ 0} x[b][c] · W[:, c]), the
 * weight of entry e being values[e] or codebook[codes[e]].
 */
export function spmv_f32csclut__scalar(
  x: Float32Array,
  batch: number,
  rows: number,
  cols: number,
  colPointers: Int32Array,
  rowIndices: Int32Array,
  values: Float32Array | undefined,
  codes: Uint8Array | Uint16Array | undefined,
  codebook: Float32Array | undefined,
  bias: Float32Array | undefined,
  relu: boolean,
  y: Float32Array,
): void {
  const acc = new Float32Array(rows);
  for (let b = 0; b < batch; b++) {
    if (bias === undefined) acc.fill(0);
    else acc.set(bias);
    const xBase = b * cols;
    for (let c = 0; c < cols; c++) {
      const xv = x[xBase + c]!;
      if (xv === 0) continue;
      const end = colPointers[c + 1]!;
      if (values !== undefined) for (let e = colPointers[c]!; e < end; e++) acc[rowIndices[e]!]! += xv * values[e]!;
      else for (let e = colPointers[c]!; e < end; e++) acc[rowIndices[e]!]! += xv * codebook![codes![e]!]!;
    }
    if (relu) for (let r = 0; r < rows; r++) if (!(acc[r]! > 0) && !Number.isNaN(acc[r]!)) acc[r] = 0;
    y.set(acc, b * rows);
  }
}

/**
 * Direct sparse convolution, stride 1, no padding: y[b][o] = act(bias[o] + Σ_e w_e · x[b] shifted
 * by entry e's window position), accumulated in float32 entry by entry like the wasm tier.
 */
export function spconv_f32csrlut__scalar(
  x: Float32Array,
  batch: number,
  inChannels: number,
  height: number,
  width: number,
  outChannels: number,
  kernelSize: number,
  rowPointers: Int32Array,
  offsets: Int32Array,
  values: Float32Array | undefined,
  codes: Uint8Array | Uint16Array | undefined,
  codebook: Float32Array | undefined,
  bias: Float32Array | undefined,
  relu: boolean,
  y: Float32Array,
): void {
  const outHeight = height - kernelSize + 1;
  const outWidth = width - kernelSize + 1;
  const row = new Float32Array(outWidth);
  for (let b = 0; b < batch; b++) {
    const xb = b * inChannels * height * width;
    for (let o = 0; o < outChannels; o++) {
      const yo = (b * outChannels + o) * outHeight * outWidth;
      for (let oy = 0; oy < outHeight; oy++) {
        row.fill(bias === undefined ? 0 : bias[o]!);
        for (let e = rowPointers[o]!; e < rowPointers[o + 1]!; e++) {
          const w = values !== undefined ? values[e]! : codebook![codes![e]!]!;
          const src = xb + offsets[e]! + oy * width;
          for (let ox = 0; ox < outWidth; ox++) row[ox]! += w * x[src + ox]!;
        }
        if (relu) for (let ox = 0; ox < outWidth; ox++) if (!(row[ox]! > 0) && !Number.isNaN(row[ox]!)) row[ox] = 0;
        y.set(row, yo + oy * outWidth);
      }
    }
  }
}
