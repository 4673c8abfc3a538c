import type { PackedLinearInt8 } from "./packed-linear-int8";
import type { Splitter } from "./thread-pool";
import { residentPack, type Scratch, type WasmArena, withScratch } from "./wasm-backend";

/**
 * JavaScript side of the `__wasmsimd` tier: copy operands into wasm memory, run the kernel,
 * copy the result out. `split` lets the thread pool run row ranges of the same call.
 */

function run(
  arena: WasmArena,
  split: Splitter | undefined,
  name: Parameters<Splitter>[0],
  args: number[],
  rangeAt: number,
  total: number,
  granule: number,
): void {
  if (split === undefined || total <= granule) {
    args[rangeAt] = 0;
    args[rangeAt + 1] = total;
    (arena.exports as unknown as Record<string, (...a: number[]) => void>)[name]!(...args);
  } else {
    split(name, args, rangeAt, total, granule);
  }
}

export function gemmF32Wasm(
  arena: WasmArena,
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
  split?: Splitter,
): void {
  const ex = arena.exports;
  withScratch(arena, (scratch) => {
    const aIn = scratch.copyIn(a);
    const bIn = scratch.copyIn(b);
    const cPtr = beta === 0 ? scratch.alloc(c.byteLength) : arena.copyIn(c);
    if (m === 1 && transposeB && !transposeA) {
      ex.gemv_f32_nk__wasmsimd(aIn, bIn, cPtr, k, n, alpha, beta);
    } else if (m === 1 && !transposeB) {
      ex.gemv_f32_kn__wasmsimd(aIn, bIn, cPtr, k, n, alpha, beta);
    } else {
      const aPtr = scratch.alloc(Math.ceil(m / 4) * 4 * k * 4);
      ex.pack_a_f32(aIn, m, k, transposeA ? 1 : 0, aPtr);
      const packed = scratch.alloc(Math.ceil(n / 8) * 8 * k * 4);
      ex.pack_b_f32(bIn, k, n, transposeB ? 1 : 0, packed);
      run(arena, split, "gemm_f32_4x8__wasmsimd", [aPtr, packed, cPtr, m, k, n, alpha, beta, 0, 0], 8, m, 4);
    }
    c.set(arena.f32(cPtr, m * n));
  });
}

export function matmulIntegerWasm(
  arena: WasmArena,
  a: Uint8Array | Int8Array,
  b: Uint8Array | Int8Array,
  c: Int32Array,
  m: number,
  k: number,
  n: number,
  aZero: Int32Array,
  bZero: Int32Array,
  split?: Splitter,
): void {
  const ex = arena.exports;
  const kpad = (k + 1) & ~1;
  withScratch(arena, (scratch) => {
    const aIn = scratch.copyIn(a);
    const bIn = scratch.copyIn(b);
    const az = scratch.copyIn(aZero);
    const bz = scratch.copyIn(bZero);
    const a16 = scratch.alloc(m * kpad * 2);
    const packed = scratch.alloc(Math.ceil(n / 8) * 8 * kpad * 2);
    const cPtr = scratch.alloc(m * n * 4);
    ex.widen_rows_x8s16(aIn, a instanceof Int8Array ? 1 : 0, m, k, az, a16);
    ex.pack_b_x8s16(bIn, b instanceof Int8Array ? 1 : 0, k, n, 0, bz, packed);
    run(arena, split, "gemm_s16s16s32_4x8c2__wasmsimd", [a16, packed, cPtr, m, k, n, 0, 0], 6, m, 4);
    c.set(arena.i32(cPtr, m * n));
  });
}

interface ResidentLinear {
  packed: number;
  scales: number;
  bias: number;
  /** Buffers for batch-1 calls, kept with the pack: no per-call allocation or views. */
  single: { x: number; minMax: number; a16: number; acc: number; out: number };
}

const memoryViews = new WeakMap<WasmArena, Float32Array>();

/** A Float32Array over the whole wasm memory, remade only after the memory grew. */
function memoryF32(arena: WasmArena): Float32Array {
  const view = memoryViews.get(arena);
  if (view !== undefined && view.buffer === arena.memory.buffer) return view;
  const fresh = new Float32Array(arena.memory.buffer);
  memoryViews.set(arena, fresh);
  return fresh;
}

/** Packs a linear weight into wasm memory once per arena; freed when the pack is collected. */
function residentLinear(arena: WasmArena, p: PackedLinearInt8): ResidentLinear {
  return residentPack(arena, p, () => {
    const ex = arena.exports;
    const k = p.inFeatures;
    const n = p.outFeatures;
    const kpad = (k + 1) & ~1;
    const wIn = arena.copyIn(p.weight);
    const zeros = arena.alloc(n * 4);
    arena.i32(zeros, n).fill(0);
    const packed = arena.alloc(Math.ceil(n / 8) * 8 * kpad * 2);
    ex.pack_b_x8s16(wIn, 1, k, n, 1, zeros, packed);
    arena.release(zeros);
    arena.release(wIn);
    const scales = arena.copyIn(p.scales);
    const bias = p.bias === undefined ? 0 : arena.copyIn(p.bias);
    const single = {
      x: arena.alloc(k * 4),
      minMax: arena.alloc(8),
      a16: arena.alloc(kpad * 2),
      acc: arena.alloc(n * 4),
      out: arena.alloc(n * 4),
    };
    const blocks = [packed, scales, bias, single.x, single.minMax, single.a16, single.acc, single.out];
    return { value: { packed, scales, bias, single }, blocks };
  });
}

export function linearInt8Wasm(
  arena: WasmArena,
  input: Uint8Array | Int8Array,
  inputZero: number,
  inputScale: number,
  batch: number,
  p: PackedLinearInt8,
  output: Float32Array,
  split?: Splitter,
): void {
  const ex = arena.exports;
  const w = residentLinear(arena, p);
  const k = p.inFeatures;
  const n = p.outFeatures;
  const kpad = (k + 1) & ~1;
  withScratch(arena, (scratch) => {
    const xIn = scratch.copyIn(input);
    const zeros = scratch.alloc(batch * 4);
    arena.i32(zeros, batch).fill(inputZero);
    const a16 = scratch.alloc(batch * kpad * 2);
    ex.widen_rows_x8s16(xIn, input instanceof Int8Array ? 1 : 0, batch, k, zeros, a16);
    runLinear(arena, scratch, a16, w, batch, k, n, inputScale, output, split);
  });
}

export function linearDynamicInt8Wasm(
  arena: WasmArena,
  input: Float32Array,
  batch: number,
  p: PackedLinearInt8,
  output: Float32Array,
  quantize: (min: number, max: number) => { scale: number; zeroPoint: number },
  split?: Splitter,
): boolean {
  const ex = arena.exports;
  const w = residentLinear(arena, p);
  const k = p.inFeatures;
  const n = p.outFeatures;
  const kpad = (k + 1) & ~1;
  if (batch === 1) {
    // The latency case (one sample through a layer): every buffer is resident, so the call is
    // one copy in, four kernels and one copy out, with no allocation or typed-array views
    // (14.6 → 11.7 µs at 784→300 together with the cheaper minmax_f32).
    const b = w.single;
    const memory = memoryF32(arena);
    memory.set(input, b.x >> 2);
    ex.minmax_f32(b.x, k, b.minMax);
    // The kernels allocate nothing, so the memory cannot grow before the copy out.
    const min = memory[b.minMax >> 2]!;
    const max = memory[(b.minMax >> 2) + 1]!;
    if (!Number.isFinite(min - max)) return false;
    const q = quantize(min, max);
    ex.quantize_f32u8(b.x, 1, k, q.scale, q.zeroPoint, 0, b.a16);
    ex.gemm_s16s16s32_4x8c2__wasmsimd(b.a16, w.packed, b.acc, 1, k, n, 0, 1);
    ex.dequantize_bias_s32f32(b.acc, 1, n, Math.fround(q.scale), w.scales, w.bias, b.out);
    output.set(memory.subarray(b.out >> 2, (b.out >> 2) + n));
    return true;
  }
  return withScratch(arena, (scratch) => {
    const xIn = scratch.copyIn(input);
    const mm = scratch.alloc(8);
    ex.minmax_f32(xIn, input.length, mm);
    const [min, max] = arena.f32(mm, 2);
    if (!Number.isFinite(min! - max!)) return false; // NaN/Inf: the JS tier defines that case
    const q = quantize(min!, max!);
    const a16 = scratch.alloc(batch * kpad * 2);
    ex.quantize_f32u8(xIn, batch, k, q.scale, q.zeroPoint, 0, a16);
    runLinear(arena, scratch, a16, w, batch, k, n, q.scale, output, split);
    return true;
  });
}

function runLinear(
  arena: WasmArena,
  scratch: Scratch,
  a16: number,
  w: ResidentLinear,
  batch: number,
  k: number,
  n: number,
  inputScale: number,
  output: Float32Array,
  split: Splitter | undefined,
): void {
  const ex = arena.exports;
  const acc = scratch.alloc(batch * n * 4);
  const out = scratch.alloc(batch * n * 4);
  run(arena, split, "gemm_s16s16s32_4x8c2__wasmsimd", [a16, w.packed, acc, batch, k, n, 0, 0], 6, batch, 4);
  ex.dequantize_bias_s32f32(acc, batch, n, Math.fround(inputScale), w.scales, w.bias, out);
  output.set(arena.f32(out, batch * n));
}

export function dynamicQuantizeWasm(
  arena: WasmArena,
  x: Float32Array,
  out: Uint8Array,
  quantize: (min: number, max: number) => { scale: number; zeroPoint: number },
): { scale: number; zeroPoint: number } | undefined {
  const ex = arena.exports;
  return withScratch(arena, (scratch) => {
    const xIn = scratch.copyIn(x);
    const mm = scratch.alloc(8);
    ex.minmax_f32(xIn, x.length, mm);
    const [min, max] = arena.f32(mm, 2);
    if (!Number.isFinite(min! - max!)) return undefined;
    const q = quantize(min!, max!);
    const u8 = scratch.alloc(x.length);
    ex.quantize_f32u8(xIn, 1, x.length, q.scale, q.zeroPoint, u8, 0);
    out.set(arena.u8(u8, x.length));
    return q;
  });
}

export function matmulNBitsWasm(
  arena: WasmArena,
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
  split?: Splitter,
): void {
  const ex = arena.exports;
  const blocks = Math.ceil(k / blockSize);
  withScratch(arena, (scratch) => {
    const xIn = scratch.copyIn(x);
    const b = bias === undefined ? 0 : scratch.copyIn(bias);
    // Per block the kernel reads max(blockSize, 32) permuted floats and 4 lane sums (nbits_xp_floats_per_block).
    const xpRow = blocks * (Math.max(blockSize, 32) + 4) * 4;
    const xp = scratch.alloc(m * xpRow);
    const yPtr = scratch.alloc(m * n * 4);
    for (let i = 0; i < m; i++) ex.permute_x_nbits(xIn + i * k * 4, k, blockSize, blocks, xp + i * xpRow);
    if (split === undefined || n <= NBITS_GRANULE) {
      nbitsByRowChunks(arena, scratch, xp, xpRow, m, n, blocks, blockSize, weight, scales, zeroPoints, b, yPtr);
    } else {
      // The threads split the output rows, so the whole weight goes in at once.
      const w = scratch.copyIn(weight);
      const s = scratch.copyIn(scales);
      const z = zeroPoints === undefined ? 0 : scratch.copyIn(zeroPoints);
      for (let i = 0; i < m; i++) {
        const args = [xp + i * xpRow, blocks, blockSize, 0, 0, w, s, z, b, yPtr + i * n * 4];
        split("matmul_f32u4f32_1x1c32__wasmsimd", args, 3, n, NBITS_GRANULE);
      }
    }
    y.set(arena.f32(yPtr, m * n));
  });
}

const NBITS_GRANULE = 64;
/** Weight bytes copied per chunk: the chunk buffer stays in L2, so the kernel reads it from there. */
const NBITS_CHUNK_BYTES = 256 * 1024;

/**
 * One thread: the weight goes into wasm memory a chunk of output rows at a time, into the same
 * small buffer, so the copy writes to cache instead of 8 MiB of memory that the kernel then
 * reads back (3.24 → 3.12 ms per call at 4096×4096 against one whole copy).
 */
function nbitsByRowChunks(
  arena: WasmArena,
  scratch: Scratch,
  xp: number,
  xpRow: number,
  m: number,
  n: number,
  blocks: number,
  blockSize: number,
  weight: Uint8Array,
  scales: Float32Array,
  zeroPoints: Uint8Array | undefined,
  b: number,
  yPtr: number,
): void {
  const ex = arena.exports;
  const rowBytes = (blocks * blockSize) / 2;
  const zeroRowBytes = (blocks + 1) >> 1;
  const rows = Math.min(n, Math.max(2, Math.floor(NBITS_CHUNK_BYTES / rowBytes) & ~1));
  const w = scratch.alloc(rows * rowBytes);
  const s = scratch.alloc(rows * blocks * 4);
  const z = zeroPoints === undefined ? 0 : scratch.alloc(rows * zeroRowBytes);
  const wView = arena.u8(w, rows * rowBytes);
  const sView = arena.f32(s, rows * blocks);
  const zView = zeroPoints === undefined ? undefined : arena.u8(z, rows * zeroRowBytes);
  for (let j0 = 0; j0 < n; j0 += rows) {
    const count = Math.min(rows, n - j0);
    wView.set(weight.subarray(j0 * rowBytes, (j0 + count) * rowBytes));
    sView.set(scales.subarray(j0 * blocks, (j0 + count) * blocks));
    if (zeroPoints !== undefined) zView!.set(zeroPoints.subarray(j0 * zeroRowBytes, (j0 + count) * zeroRowBytes));
    const bj = b === 0 ? 0 : b + j0 * 4;
    for (let i = 0; i < m; i++) {
      const yRow = yPtr + (i * n + j0) * 4;
      ex.matmul_f32u4f32_1x1c32__wasmsimd(xp + i * xpRow, blocks, blockSize, 0, count, w, s, z, bj, yRow);
    }
  }
}
