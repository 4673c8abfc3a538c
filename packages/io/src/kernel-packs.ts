import { formatShape, type Tensor, UnsupportedError } from "@mc/core";
import type { McEntry } from "./mcz-entries";
import { quantLayout } from "./quantized";
import { sparseSharedPositions } from "./sparse-shared";

/**
 * Kernel-ready views of `.mcz` entries, built straight from the stored encoding (never
 * through a dense fp32 copy). Each pack holds exactly the arguments of one @mc/kernels call:
 *
 * - `sparse-codebook` → `sparseCodebookLinear(input, batch, pack.weight, bias)`
 * - `int8-linear`     → `packLinearInt8(pack.weight, pack.options)` then `linearDynamicInt8`
 * - `nbits`           → `matmulNBits(input, { m, ...pack.options })` (onnxruntime MatMulNBits layout)
 * - `low-rank`        → two linears: `x · rightᵀ`, then `· leftᵀ`
 * - `dense`           → the fp32 tensor itself
 *
 * Weights are read as [out, in] (PyTorch Linear layout): rows = shape[0], columns = the rest.
 */
export type KernelPack =
  | {
      type: "sparse-codebook";
      name: string;
      weight: {
        rows: number;
        cols: number;
        rowPointers: Int32Array;
        columnIndices: Int32Array;
        codeIndices: Uint8Array | Uint16Array;
        codebook: Float32Array;
      };
    }
  | {
      type: "int8-linear";
      name: string;
      weight: Int8Array;
      options: { outFeatures: number; inFeatures: number; scales: Float32Array };
    }
  | {
      type: "nbits";
      name: string;
      options: {
        k: number;
        n: number;
        weight: Uint8Array;
        scales: Float32Array;
        zeroPoints: Uint8Array;
        blockSize: number;
      };
    }
  | { type: "low-rank"; name: string; left: Tensor<Float32Array>; right: Tensor<Float32Array> }
  | { type: "dense"; name: string; tensor: Tensor<Float32Array> };

function matrixShape(shape: readonly number[]): [number, number] {
  const rows = shape.length === 0 ? 1 : (shape[0] as number);
  return [rows, shape.slice(1).reduce((a, b) => a * b, 1)];
}

function unsupported(entry: McEntry, why: string): never {
  throw new UnsupportedError({
    message: `toKernelPack: ${JSON.stringify(entry.name)} ${why}; use expandMczEntry for a dense fp32 tensor`,
    feature: entry.encoding,
  });
}

/** The kernel-ready form of one entry (see `KernelPack`). */
export function toKernelPack(entry: McEntry): KernelPack {
  const name = entry.name;
  switch (entry.encoding) {
    case "dense":
      return { type: "dense", name, tensor: entry.tensor };
    case "low-rank":
      return { type: "low-rank", name, left: entry.left, right: entry.right };
    case "sparse-shared": {
      const sparse = entry.sparse;
      if (sparse.shape.length < 2) unsupported(entry, `has shape ${formatShape(sparse.shape)}, not a matrix`);
      const [rows, cols] = matrixShape(sparse.shape);
      const positions = sparseSharedPositions(sparse, "toKernelPack");
      // Filler entries (and any centroid equal to 0) add nothing to a product: leave them out.
      let kept = 0;
      for (let e = 0; e < positions.length; e++) if (sparse.codebook[sparse.codes[e] as number] !== 0) kept++;
      const rowPointers = new Int32Array(rows + 1);
      const columnIndices = new Int32Array(kept);
      const codeIndices = sparse.codes instanceof Uint8Array ? new Uint8Array(kept) : new Uint16Array(kept);
      let out = 0;
      for (let e = 0; e < positions.length; e++) {
        const code = sparse.codes[e] as number;
        if (sparse.codebook[code] === 0) continue;
        const p = positions[e] as number;
        const row = Math.floor(p / cols);
        rowPointers[row + 1]++;
        columnIndices[out] = p - row * cols;
        codeIndices[out++] = code;
      }
      for (let r = 0; r < rows; r++) rowPointers[r + 1] += rowPointers[r] as number;
      return {
        type: "sparse-codebook",
        name,
        weight: { rows, cols, rowPointers, columnIndices, codeIndices, codebook: sparse.codebook },
      };
    }
    case "quantized": {
      const q = entry.quantized;
      const { scheme } = quantLayout(q, "toKernelPack");
      if (q.shape.length !== 2)
        unsupported(entry, `has shape ${formatShape(q.shape)}; kernel packs need a [out, in] matrix`);
      const [outFeatures, inFeatures] = q.shape as [number, number];
      if (q.dtype === "int8") {
        if (q.zeroPoint.some((z) => z !== 0))
          unsupported(entry, "has nonzero weight zero points; packLinearInt8 takes symmetric int8");
        if (scheme === "blockwise")
          unsupported(entry, "is blockwise int8; packLinearInt8 takes per-tensor or per-output-channel scales");
        if (scheme === "per-channel" && q.axis !== 0)
          unsupported(entry, `is per-channel along axis ${q.axis}, not the output axis 0`);
        const scales = scheme === "per-tensor" ? new Float32Array(outFeatures).fill(q.scale[0] as number) : q.scale;
        return { type: "int8-linear", name, weight: q.data as Int8Array, options: { outFeatures, inFeatures, scales } };
      }
      if (q.dtype === "int4" || q.dtype === "uint4") {
        if (scheme !== "blockwise" || (q.axis ?? 1) !== 1)
          unsupported(entry, "is not blockwise along the input axis 1, as MatMulNBits needs");
        return {
          type: "nbits",
          name,
          options: toMatMulNBits(
            q.data as Uint8Array,
            q.dtype,
            q.scale,
            q.zeroPoint,
            outFeatures,
            inFeatures,
            q.blockSize as number,
          ),
        };
      }
      return unsupported(entry, `has dtype ${q.dtype}, which no weight kernel takes`);
    }
  }
}

/**
 * Repacks row-major 4-bit data into MatMulNBits' [n][blocks][blockSize/2] layout. int4 values
 * and zero points are shifted by 8 into uint4, which leaves `q - zeroPoint` unchanged; a
 * partial last block is padded with the block's zero point (it dequantizes to 0).
 */
function toMatMulNBits(
  data: Uint8Array,
  dtype: "int4" | "uint4",
  scale: Float32Array,
  zeroPoint: Int32Array,
  n: number,
  k: number,
  blockSize: number,
): { k: number; n: number; weight: Uint8Array; scales: Float32Array; zeroPoints: Uint8Array; blockSize: number } {
  const blocks = Math.ceil(k / blockSize);
  const shift = dtype === "int4" ? 8 : 0;
  const bytesPerBlock = Math.ceil(blockSize / 2);
  const weight = new Uint8Array(n * blocks * bytesPerBlock);
  const zpBytesPerRow = Math.ceil(blocks / 2);
  const zeroPoints = new Uint8Array(n * zpBytesPerRow);
  const nibble = (i: number) => ((data[i >> 1] as number) >> (i & 1 ? 4 : 0)) & 0x0f;
  for (let row = 0; row < n; row++) {
    for (let b = 0; b < blocks; b++) {
      const z = ((zeroPoint[row * blocks + b] as number) + shift) & 0x0f;
      zeroPoints[row * zpBytesPerRow + (b >> 1)] |= z << (b & 1 ? 4 : 0);
      const base = (row * blocks + b) * bytesPerBlock;
      for (let j = 0; j < blockSize; j++) {
        const col = b * blockSize + j;
        const value = col < k ? (nibble(row * k + col) + shift) & 0x0f : z;
        weight[base + (j >> 1)] |= value << (j & 1 ? 4 : 0);
      }
    }
  }
  return { k, n, weight, scales: scale, zeroPoints, blockSize };
}
