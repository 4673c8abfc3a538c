import type { PackedSparseConv2d, PackedSparseLinear } from "./packed-sparse-linear";
import { residentPack, type Scratch, type WasmArena, withScratch } from "./wasm-backend";

/**
 * JavaScript side of the sparse and codebook `__wasmsimd` kernels. Below SPMV_MAX_BATCH rows the
 * lanes run along each row's nonzeros (x rows used as they are); from there on batch rows go
 * through in groups of four, transposed so the SIMD lanes run across the batch.
 */

/** spmv_..._1x4 below this batch, spmm_..._x4 from it on (measured in bench/sparse-batch1.bench.ts). */
export const SPMV_MAX_BATCH = 3;

export interface SparseOperands {
  rows: number;
  cols: number;
  rowPointers?: Int32Array;
  columnIndices?: Int32Array;
  values?: Float32Array;
  codes?: Uint8Array | Uint16Array;
  codebook?: Float32Array;
}

export function sparseWasm(
  arena: WasmArena,
  x: Float32Array,
  batch: number,
  w: SparseOperands,
  bias: Float32Array | undefined,
  y: Float32Array,
  checkEntries?: () => void,
): void {
  const { rows, cols } = w;
  const ex = arena.exports;
  withScratch(arena, (scratch) => {
    const codeBytes = w.codes === undefined ? 0 : w.codes instanceof Uint16Array ? 2 : 1;
    const rp = w.rowPointers === undefined ? 0 : scratch.copyIn(w.rowPointers);
    const ci = w.columnIndices === undefined ? 0 : scratch.copyIn(w.columnIndices);
    const values = w.values === undefined ? 0 : scratch.copyIn(w.values);
    const codes = w.codes === undefined ? 0 : scratch.copyIn(w.codes);
    // At least 64 bytes: spmv_f32csrlut16 keeps a 16-entry codebook in four v128 registers.
    const codebook = w.codebook === undefined ? 0 : copyInPadded(arena, scratch, w.codebook, 64);
    const nnz = w.columnIndices?.length ?? 0;
    const cbLength = w.codebook?.length ?? 0;
    // The fused kernels (sparse values, or uint8 codes into ≤ 16 entries) validate on the way.
    const fused = rp !== 0 && batch < SPMV_MAX_BATCH && (codes === 0 || (codeBytes === 1 && cbLength <= 16));
    if (checkEntries !== undefined && ci !== 0 && !fused) {
      // The SIMD check says only whether all indices are valid; the JS one names the bad entry.
      if (ex.check_csr_indices(ci, nnz, cols, codes, codeBytes, cbLength) !== 1) checkEntries();
    }
    if (rp !== 0 && batch < SPMV_MAX_BATCH) {
      const xp = scratch.copyIn(x);
      const bp = bias === undefined ? 0 : scratch.copyIn(bias);
      const out = scratch.alloc(batch * rows * 4);
      if (fused) {
        let valid = 0;
        try {
          valid =
            codes === 0
              ? ex.spmv_f32csr_1x4__wasmsimd(rp, ci, values, xp, rows, cols, batch, bp, out)
              : ex.spmv_f32csrlut16_1x4__wasmsimd(rp, ci, codes, codebook, cbLength, xp, rows, cols, batch, bp, out);
        } catch (error) {
          // A wildly out-of-range column index traps on the x load; name it like any other.
          checkEntries?.();
          throw error;
        }
        if (valid !== 1) {
          checkEntries?.();
          throw new Error("@mc/kernels: the wasm index check and the JS index check disagree");
        }
      } else {
        ex.spmv_f32csrlut_1x4__wasmsimd(rp, ci, codes, codeBytes, codebook, xp, rows, cols, batch, bp, out);
      }
      y.set(arena.f32(out, batch * rows));
      return;
    }
    const xt = scratch.alloc(cols * 16);
    const out = scratch.alloc(rows * 16);
    for (let b0 = 0; b0 < batch; b0 += 4) {
      const lanes = Math.min(4, batch - b0);
      const t = arena.f32(xt, cols * 4);
      if (lanes < 4) t.fill(0);
      for (let l = 0; l < lanes; l++) {
        const src = (b0 + l) * cols;
        for (let i = 0; i < cols; i++) t[i * 4 + l] = x[src + i]!;
      }
      if (rp !== 0) ex.spmm_f32csr_x4__wasmsimd(rp, ci, values, codes, codeBytes, codebook, xt, rows, out);
      else ex.gemm_f32lut_x4__wasmsimd(codes, codeBytes, codebook, xt, rows, cols, out);
      const o = arena.f32(out, rows * 4);
      for (let l = 0; l < lanes; l++) {
        const dst = (b0 + l) * rows;
        if (bias === undefined) for (let r = 0; r < rows; r++) y[dst + r] = o[r * 4 + l]!;
        else for (let r = 0; r < rows; r++) y[dst + r] = o[r * 4 + l]! + bias[r]!;
      }
    }
  });
}

function copyInPadded(arena: WasmArena, scratch: Scratch, data: Float32Array, minBytes: number): number {
  const ptr = scratch.alloc(Math.max(data.byteLength, minBytes));
  const view = arena.f32(ptr, Math.max(data.length, minBytes / 4));
  view.fill(0);
  view.set(data);
  return ptr;
}

interface ResidentSparse {
  /** Address of the six-word descriptor the `csclut` kernels read (see assembly/sparse-csc.ts). */
  descriptor: number;
  bias: number;
}

export function residentSparse(arena: WasmArena, p: PackedSparseLinear): ResidentSparse {
  return residentPack(arena, p, () => {
    const copy = (data: ArrayBufferView | undefined) => (data === undefined ? 0 : arena.copyIn(data));
    const arrays = [p.colPointers, p.rowIndices, p.values, p.codes, p.codebook, p.bias].map(copy);
    const [colPointers, rowIndices, values, codes, codebook, bias] = arrays as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const codeBytes = p.codes === undefined ? 0 : p.codes.BYTES_PER_ELEMENT;
    const descriptor = arena.copyIn(Int32Array.of(colPointers, rowIndices, values, codes, codeBytes, codebook));
    return { value: { descriptor, bias }, blocks: [...arrays, descriptor] };
  });
}

/**
 * A packed sparse layer on its resident copy: below SPMV_MAX_BATCH rows one sample at a time
 * (spmv_f32csclut_1x1), from there on eight samples per pass with the lanes across the batch
 * (spmm_f32csclut_x8), skipping a column only when all eight inputs are zero.
 */
export function packedSparseWasm(
  arena: WasmArena,
  x: Float32Array,
  batch: number,
  p: PackedSparseLinear,
  y: Float32Array,
): void {
  const w = residentSparse(arena, p);
  const ex = arena.exports;
  const rows = p.outFeatures;
  const cols = p.inFeatures;
  const relu = p.activation === "relu" ? 1 : 0;
  const tiled = batch >= SPMV_MAX_BATCH;
  // One buffer per arena for x, y and the tile scratch, kept between calls: these calls are
  // small enough that allocating and releasing scratch blocks was a visible share of them.
  const xBytes = x.byteLength;
  const yBytes = batch * rows * 4;
  const tileBytes = tiled ? (cols + rows) * 32 : 0;
  const base = ioBuffer(arena, xBytes + yBytes + tileBytes);
  const xp = base;
  const out = base + align16(xBytes);
  arena.f32(xp, x.length).set(x);
  if (!tiled) {
    ex.spmv_f32csclut_1x1__wasmsimd(w.descriptor, xp, rows, cols, batch, w.bias, relu, out);
  } else {
    const xt = out + align16(yBytes);
    const y8 = xt + cols * 32;
    const acc = arena.f32(y8, rows * 8);
    for (let b0 = 0; b0 < batch; b0 += 8) {
      const lanes = Math.min(8, batch - b0);
      ex.transpose_x8_f32(xp, cols, b0, lanes, xt);
      acc.fill(0);
      ex.spmm_f32csclut_x8__wasmsimd(w.descriptor, xt, cols, y8);
      ex.untranspose_x8_f32(y8, rows, lanes, w.bias, relu, out, b0);
    }
  }
  y.set(arena.f32(out, batch * rows));
}

function align16(bytes: number): number {
  return Math.ceil(bytes / 16) * 16;
}

const ioBuffers = new WeakMap<WasmArena, { ptr: number; bytes: number }>();

/** A block of at least `bytes` that stays allocated in this arena (grown by replacing it). */
function ioBuffer(arena: WasmArena, bytes: number): number {
  const held = ioBuffers.get(arena);
  if (held !== undefined && held.bytes >= bytes + 48) return held.ptr;
  if (held !== undefined) arena.release(held.ptr);
  const size = Math.max(bytes + 48, 2 * (held?.bytes ?? 0));
  const ptr = arena.alloc(size);
  ioBuffers.set(arena, { ptr, bytes: size });
  return ptr;
}

/** Input offset of each stored conv entry for an input of this size (c·h·w + ky·w + kx). */
export function convOffsets(p: PackedSparseConv2d, height: number, width: number, out: Int32Array): Int32Array {
  const k = p.kernelSize;
  for (let e = 0; e < p.columnIndices.length; e++) {
    const position = p.columnIndices[e]!;
    const c = Math.floor(position / (k * k));
    const inWindow = position - c * k * k;
    const ky = Math.floor(inWindow / k);
    out[e] = (c * height + ky) * width + (inWindow - ky * k);
  }
  return out;
}

interface ResidentConv {
  descriptor: number;
  bias: number;
  offsets: number;
  /** Input size the offsets were computed for (0 before the first call). */
  height: number;
  width: number;
}

export function residentConv(arena: WasmArena, p: PackedSparseConv2d): ResidentConv {
  return residentPack(arena, p, () => {
    const entries = Math.max(1, p.columnIndices.length);
    const offsets = arena.alloc(entries * 4);
    const weights = p.values ?? Float32Array.from(p.codes!, (code) => p.codebook![code]!);
    const rowPointers = arena.copyIn(p.rowPointers);
    const values = arena.alloc(entries * 4);
    arena.f32(values, weights.length).set(weights);
    const bias = p.bias === undefined ? 0 : arena.copyIn(p.bias);
    const descriptor = arena.copyIn(Int32Array.of(rowPointers, offsets, values));
    return {
      value: { descriptor, bias, offsets, height: 0, width: 0 },
      blocks: [rowPointers, offsets, values, bias, descriptor],
    };
  });
}

/** A packed sparse convolution on its resident copy (`spconv_f32csrlut_1x4`, lanes along the output row). */
export function packedConvWasm(
  arena: WasmArena,
  x: Float32Array,
  shape: { batch: number; height: number; width: number },
  p: PackedSparseConv2d,
  y: Float32Array,
): void {
  const w = residentConv(arena, p);
  const { batch, height, width } = shape;
  if (w.height !== height || w.width !== width) {
    convOffsets(p, height, width, arena.i32(w.offsets, p.columnIndices.length));
    w.height = height;
    w.width = width;
  }
  const base = ioBuffer(arena, x.byteLength + y.byteLength);
  const out = base + align16(x.byteLength);
  arena.f32(base, x.length).set(x);
  const relu = p.activation === "relu" ? 1 : 0;
  const { inChannels, outChannels, kernelSize } = p;
  arena.exports.spconv_f32csr_4x4__wasmsimd(
    w.descriptor,
    base,
    batch,
    inChannels,
    height,
    width,
    outChannels,
    kernelSize,
    w.bias,
    relu,
    out,
  );
  y.set(arena.f32(out, y.length));
}
