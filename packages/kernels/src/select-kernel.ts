import { InvalidArgumentError, roundHalfEven } from "@mc/core";
import type { PackedLinearInt8 } from "./packed-linear-int8";
import type { PackedSparseConv2d, PackedSparseLinear } from "./packed-sparse-linear";
import {
  dynamic_quantize_linear_f32u8__scalar,
  gemm_f32__scalar,
  gemm_f32lut__scalar,
  linear_x8s8f32__scalar,
  matmul_f32u4f32__scalar,
  matmul_x8x8s32__scalar,
  spconv_f32csrlut__scalar,
  spmm_f32csr__scalar,
  spmm_f32csrlut__scalar,
  spmv_f32csclut__scalar,
} from "./scalar-kernels";
import { threadPool, threadPoolSupported } from "./thread-pool";
import { compiledModules, simdArena, type WasmArena, wasmLoadError } from "./wasm-backend";
import {
  dynamicQuantizeWasm,
  gemmF32Wasm,
  linearDynamicInt8Wasm,
  linearInt8Wasm,
  matmulIntegerWasm,
  matmulNBitsWasm,
} from "./wasm-kernels";
import {
  convOffsets,
  packedConvWasm,
  packedSparseWasm,
  residentConv,
  residentSparse,
  type SparseOperands,
  sparseWasm,
} from "./wasm-sparse-kernels";

/**
 * Kernel selection and feature detection, in one place: every public op calls a
 * `dispatch...` here, which picks the tier — `__wasmsimd` when the SIMD module compiled in
 * this engine and the product is big enough to pay for copying operands into wasm memory,
 * else the plain-JS `__scalar` tier — and, for large products, the worker-thread pool.
 */

export type Tier = "js" | "wasm-simd";
let forcedTier: Tier | undefined;

/** Below this many multiply-adds the copy into wasm memory costs more than it saves. */
const WASM_MIN_MACS = 2048;
/** Above this many multiply-adds a call is split across the worker threads. */
const THREAD_MIN_MACS = 1 << 21;

function arenaFor(macs: number): WasmArena | null {
  if (forcedTier === "js") return null;
  if (forcedTier === undefined && macs < WASM_MIN_MACS) return null;
  return simdArena();
}

function splitterFor(macs: number) {
  if (macs < THREAD_MIN_MACS) return undefined;
  return threadPool()?.split;
}

/** Same float32 arithmetic as the JS reference, from a precomputed min(0, xMin), max(0, xMax). */
function dynamicParameters(min: number, max: number): { scale: number; zeroPoint: number } {
  const f = Math.fround;
  const scale = max === min ? 1 : f(f(max - min) / 255);
  const zeroPoint = roundHalfEven(Math.min(255, Math.max(0, f(0 - f(min / scale)))));
  return { scale, zeroPoint };
}

export function dispatchGemmF32(
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
  const macs = m * k * n;
  const arena = arenaFor(macs);
  if (arena !== null) {
    const split = splitterFor(macs);
    gemmF32Wasm(split ? threadArena(arena) : arena, a, b, c, m, k, n, transposeA, transposeB, alpha, beta, split);
    return;
  }
  gemm_f32__scalar(a, b, c, m, k, n, transposeA, transposeB, alpha, beta);
}

export function dispatchMatmulInteger(
  a: Uint8Array | Int8Array,
  b: Uint8Array | Int8Array,
  c: Int32Array,
  m: number,
  k: number,
  n: number,
  aZero: Int32Array,
  bZero: Int32Array,
): void {
  const macs = m * k * n;
  const arena = arenaFor(macs);
  if (arena !== null) {
    const split = splitterFor(macs);
    matmulIntegerWasm(split ? threadArena(arena) : arena, a, b, c, m, k, n, aZero, bZero, split);
    return;
  }
  matmul_x8x8s32__scalar(a, b, c, m, k, n, aZero, bZero);
}

export function dispatchDynamicQuantize(x: Float32Array, out: Uint8Array): { scale: number; zeroPoint: number } {
  const arena = arenaFor(x.length * 4);
  if (arena !== null) {
    const result = dynamicQuantizeWasm(arena, x, out, dynamicParameters);
    if (result !== undefined) return result;
  }
  return dynamic_quantize_linear_f32u8__scalar(x, out);
}

export function dispatchLinearInt8(
  input: Uint8Array | Int8Array,
  inputZero: number,
  inputScale: number,
  batch: number,
  packed: PackedLinearInt8,
  output: Float32Array,
): void {
  const macs = batch * packed.inFeatures * packed.outFeatures;
  const arena = arenaFor(macs);
  if (arena !== null) {
    const split = splitterFor(macs);
    linearInt8Wasm(split ? threadArena(arena) : arena, input, inputZero, inputScale, batch, packed, output, split);
    return;
  }
  linear_x8s8f32__scalar(
    input,
    inputZero,
    inputScale,
    batch,
    packed.weight,
    packed.weightRowSums,
    packed.scales,
    packed.bias,
    packed.outFeatures,
    packed.inFeatures,
    output,
  );
}

/** Returns false when the caller should quantize in JS and call dispatchLinearInt8 itself. */
export function dispatchLinearDynamicInt8(
  input: Float32Array,
  batch: number,
  packed: PackedLinearInt8,
  output: Float32Array,
): boolean {
  const macs = batch * packed.inFeatures * packed.outFeatures;
  const arena = arenaFor(macs);
  if (arena === null) return false;
  const split = splitterFor(macs);
  return linearDynamicInt8Wasm(
    split ? threadArena(arena) : arena,
    input,
    batch,
    packed,
    output,
    dynamicParameters,
    split,
  );
}

export function dispatchMatmulNBits(
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
  const macs = m * k * n;
  const arena = arenaFor(macs);
  if (arena !== null) {
    const split = splitterFor(macs);
    matmulNBitsWasm(
      split ? threadArena(arena) : arena,
      x,
      m,
      k,
      n,
      weight,
      scales,
      zeroPoints,
      blockSize,
      bias,
      y,
      split,
    );
    return;
  }
  matmul_f32u4f32__scalar(x, m, k, n, weight, scales, zeroPoints, blockSize, bias, y);
}

export function dispatchCodebookLinear(
  x: Float32Array,
  batch: number,
  outFeatures: number,
  inFeatures: number,
  indices: Uint8Array | Uint16Array,
  codebook: Float32Array,
  bias: Float32Array | undefined,
  y: Float32Array,
): void {
  // The SIMD lanes run across batch rows (no gather in wasm); below 4 rows lanes idle, yet
  // the wasm gather loop still beats V8's typed-array lookups (results/sparse-bench.json).
  const arena = arenaFor(batch * outFeatures * inFeatures);
  if (arena !== null) {
    sparseWasm(arena, x, batch, { rows: outFeatures, cols: inFeatures, codes: indices, codebook }, bias, y);
    return;
  }
  gemm_f32lut__scalar(x, batch, outFeatures, inFeatures, indices, codebook, bias, y);
}

/**
 * CSR product, with `values` or with `codes` into `codebook`. `checkEntries` is the O(nnz) JS
 * index check; the wasm tier runs it in SIMD after copying in and calls this only on failure.
 * Below SPMV_MAX_BATCH rows the lanes run along each row's nonzeros (`spmv_..._1x4`), from
 * there on across four batch rows (`spmm_..._x4`); uint8 codes into ≤ 16 entries use the
 * swizzle lookup (`spmv_f32csrlut16_1x4`).
 */
export function dispatchSparse(
  x: Float32Array,
  batch: number,
  w: SparseOperands & { rowPointers: Int32Array; columnIndices: Int32Array },
  bias: Float32Array | undefined,
  y: Float32Array,
  checkEntries: () => void,
): void {
  const arena = arenaFor(Math.max(batch, 4) * w.columnIndices.length);
  if (arena !== null) {
    sparseWasm(arena, x, batch, w, bias, y, checkEntries);
    return;
  }
  checkEntries();
  if (w.values !== undefined) {
    spmm_f32csr__scalar(x, batch, w.rows, w.cols, w.rowPointers, w.columnIndices, w.values, bias, y);
  } else {
    spmm_f32csrlut__scalar(x, batch, w.rows, w.cols, w.rowPointers, w.columnIndices, w.codes!, w.codebook!, bias, y);
  }
}

/** Copies a new pack into the wasm tier's memory now, so later calls (and input changes) cannot touch it. */
export function makeResident(p: PackedSparseLinear | PackedSparseConv2d): void {
  const arena = forcedTier === "js" ? null : simdArena();
  if (arena === null) return;
  if (p.kind === "PackedSparseLinear") residentSparse(arena, p);
  else residentConv(arena, p);
}

/** A packed direct sparse convolution (stride 1, no padding); weights validated when packed. */
export function dispatchPackedConv(
  x: Float32Array,
  shape: { batch: number; height: number; width: number },
  p: PackedSparseConv2d,
  y: Float32Array,
): void {
  const arena = forcedTier === "js" ? null : simdArena();
  if (arena !== null) {
    packedConvWasm(arena, x, shape, p, y);
    return;
  }
  const offsets = convOffsets(p, shape.height, shape.width, new Int32Array(p.columnIndices.length));
  spconv_f32csrlut__scalar(
    x,
    shape.batch,
    p.inChannels,
    shape.height,
    shape.width,
    p.outChannels,
    p.kernelSize,
    p.rowPointers,
    offsets,
    p.values,
    p.codes,
    p.codebook,
    p.bias,
    p.activation === "relu",
    y,
  );
}

/** A packed (CSC, zero-input skipping) sparse layer; its weights were validated when packed. */
export function dispatchPackedSparse(x: Float32Array, batch: number, p: PackedSparseLinear, y: Float32Array): void {
  // The weights are resident, so only x and y are copied: wasm pays off even for tiny layers.
  const arena = forcedTier === "js" ? null : simdArena();
  if (arena !== null) {
    packedSparseWasm(arena, x, batch, p, y);
    return;
  }
  spmv_f32csclut__scalar(
    x,
    batch,
    p.outFeatures,
    p.inFeatures,
    p.colPointers,
    p.rowIndices,
    p.values,
    p.codes,
    p.codebook,
    p.bias,
    p.activation === "relu",
    y,
  );
}

function threadArena(fallback: WasmArena): WasmArena {
  return threadPool()?.arena ?? fallback;
}

export interface KernelInfo {
  /** The tier large products run on. */
  tier: Tier;
  /** Threads large products use (1 = the calling thread only). */
  threads: number;
  wasmSimdSupported: boolean;
  /** Whether a shared-memory wasm module and worker threads are available here. */
  threadsSupported: boolean;
  /** Why the wasm tier is not in use, when it is not. */
  wasmUnavailableReason?: string;
  /** Kernel variant each op runs for large shapes, named by the STYLE.md grammar. */
  kernels: Record<string, string>;
}

export function getKernelInfo(): KernelInfo {
  const wasm = forcedTier !== "js" && simdArena() !== null;
  const pool = wasm ? threadPool() : null;
  const info: KernelInfo = {
    tier: wasm ? "wasm-simd" : "js",
    threads: pool ? pool.threads : 1,
    wasmSimdSupported: simdArena() !== null,
    threadsSupported: compiledModules()?.simdThreads !== undefined && threadPoolSupported(),
    kernels: wasm
      ? {
          gemm: "gemm_f32_4x8__wasmsimd",
          gemv: "gemv_f32_nk__wasmsimd",
          matmulInteger: "matmul_x8x8s32_4x8c2__wasmsimd",
          linearInt8: "linear_x8s8f32_4x8c2__wasmsimd",
          dynamicQuantizeLinear: "dynamic_quantize_linear_f32u8__wasmsimd",
          matmulNBits: "matmul_f32u4f32_1x1c32__wasmsimd",
          sparseLinear: "spmm_f32csr_x4__wasmsimd",
          sparseLinearSmallBatch: "spmv_f32csr_1x4__wasmsimd",
          codebookLinear: "gemm_f32lut_x4__wasmsimd",
          sparseCodebookLinear: "spmm_f32csrlut_x4__wasmsimd",
          sparseCodebookLinearSmallBatch: "spmv_f32csrlut_1x4__wasmsimd",
          sparseCodebookLinearSmallBatch4Bit: "spmv_f32csrlut16_1x4__wasmsimd",
          sparseLinearPacked: "spmm_f32csclut_x8__wasmsimd",
          sparseLinearPackedSmallBatch: "spmv_f32csclut_1x1__wasmsimd",
          sparseConv2dPacked: "spconv_f32csr_4x4__wasmsimd",
        }
      : {
          gemm: "gemm_f32__scalar",
          matmulInteger: "matmul_x8x8s32__scalar",
          linearInt8: "linear_x8s8f32__scalar",
          dynamicQuantizeLinear: "dynamic_quantize_linear_f32u8__scalar",
          matmulNBits: "matmul_f32u4f32__scalar",
          sparseLinear: "spmm_f32csr__scalar",
          codebookLinear: "gemm_f32lut__scalar",
          sparseCodebookLinear: "spmm_f32csrlut__scalar",
          sparseLinearPacked: "spmv_f32csclut__scalar",
          sparseConv2dPacked: "spconv_f32csrlut__scalar",
        },
  };
  if (!info.wasmSimdSupported) {
    const error = wasmLoadError();
    info.wasmUnavailableReason =
      error === undefined ? "no WebAssembly binary embedded (source build) or no WebAssembly" : String(error);
  }
  return info;
}

/** Resolves with the kernel info once the tiers are ready (the wasm tier loads synchronously on first use; this forces it). */
export async function initKernels(): Promise<KernelInfo> {
  return getKernelInfo();
}

/** Tiers this runtime can run; tests iterate over them. */
export function availableTiers(): Tier[] {
  return simdArena() === null ? ["js"] : ["js", "wasm-simd"];
}

/**
 * Pins every op to one tier ("js" = the plain-JavaScript `__scalar` kernels) or restores
 * automatic selection ("auto", the default). For comparisons and debugging; forcing
 * "wasm-simd" where it is unavailable leaves the JS tier in use.
 */
export function setKernelTier(tier: "js" | "wasm-simd" | "auto"): void {
  if (tier !== "js" && tier !== "wasm-simd" && tier !== "auto") {
    throw new InvalidArgumentError({
      message: `setKernelTier: tier must be "js", "wasm-simd" or "auto", got ${String(tier)}`,
      argument: "tier",
      value: tier,
    });
  }
  forcedTier = tier === "auto" ? undefined : tier;
}

/** Test and bench hook: force a tier for every op (undefined = automatic). Not exported from the package. */
export function useTier(tier: Tier | undefined): void {
  forcedTier = tier;
}
