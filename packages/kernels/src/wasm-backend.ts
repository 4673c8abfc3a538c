import { kernelsWasmBase64 } from "./wasm-binary";

/**
 * Loads the AssemblyScript SIMD module synchronously (it is small, so `new WebAssembly.Module`
 * is allowed on a browser main thread too) and manages its linear memory: a first-fit
 * allocator for long-lived packs (weights) and per-call scratch buffers.
 */

export interface WasmKernelExports {
  heap_base(): number;
  pack_b_f32(b: number, k: number, n: number, transB: number, out: number): void;
  transpose_f32(a: number, rows: number, cols: number, out: number): void;
  pack_a_f32(a: number, m: number, k: number, transA: number, out: number): void;
  gemm_f32_4x8__wasmsimd(
    a: number,
    packedB: number,
    c: number,
    m: number,
    k: number,
    n: number,
    alpha: number,
    beta: number,
    i0: number,
    i1: number,
  ): void;
  gemv_f32_nk__wasmsimd(x: number, b: number, y: number, k: number, n: number, alpha: number, beta: number): void;
  gemv_f32_kn__wasmsimd(x: number, b: number, y: number, k: number, n: number, alpha: number, beta: number): void;
  widen_rows_x8s16(src: number, signed: number, m: number, k: number, zeros: number, dst: number): void;
  pack_b_x8s16(b: number, signed: number, k: number, n: number, transB: number, zeros: number, out: number): void;
  gemm_s16s16s32_4x8c2__wasmsimd(
    a: number,
    packedB: number,
    c: number,
    m: number,
    k: number,
    n: number,
    i0: number,
    i1: number,
  ): void;
  dequantize_bias_s32f32(
    acc: number,
    m: number,
    n: number,
    inputScale: number,
    scales: number,
    bias: number,
    out: number,
  ): void;
  minmax_f32(x: number, count: number, out: number): void;
  quantize_f32u8(
    x: number,
    m: number,
    k: number,
    scale: number,
    zeroPoint: number,
    outU8: number,
    outS16: number,
  ): void;
  spmm_f32csr_x4__wasmsimd(
    rowPointers: number,
    columnIndices: number,
    values: number,
    codes: number,
    codeBytes: number,
    codebook: number,
    xt: number,
    rows: number,
    y: number,
  ): void;
  spmv_f32csr_1x4__wasmsimd(
    rowPointers: number,
    columnIndices: number,
    values: number,
    x: number,
    rows: number,
    cols: number,
    batch: number,
    bias: number,
    y: number,
  ): number;
  spmv_f32csrlut_1x4__wasmsimd(
    rowPointers: number,
    columnIndices: number,
    codes: number,
    codeBytes: number,
    codebook: number,
    x: number,
    rows: number,
    cols: number,
    batch: number,
    bias: number,
    y: number,
  ): void;
  spmv_f32csrlut16_1x4__wasmsimd(
    rowPointers: number,
    columnIndices: number,
    codes: number,
    codebook: number,
    codebookLength: number,
    x: number,
    rows: number,
    cols: number,
    batch: number,
    bias: number,
    y: number,
  ): number;
  spmv_f32csclut_1x1__wasmsimd(
    pack: number,
    x: number,
    rows: number,
    cols: number,
    batch: number,
    bias: number,
    relu: number,
    y: number,
  ): void;
  spmm_f32csclut_x8__wasmsimd(pack: number, xt: number, cols: number, y8: number): void;
  spconv_f32csr_4x4__wasmsimd(
    pack: number,
    x: number,
    batch: number,
    inChannels: number,
    height: number,
    width: number,
    outChannels: number,
    kernelSize: number,
    bias: number,
    relu: number,
    y: number,
  ): void;
  transpose_x8_f32(x: number, cols: number, b0: number, lanes: number, xt: number): void;
  untranspose_x8_f32(y8: number, rows: number, lanes: number, bias: number, relu: number, y: number, b0: number): void;
  check_csr_indices(
    columnIndices: number,
    nnz: number,
    cols: number,
    codes: number,
    codeBytes: number,
    codebookLength: number,
  ): number;
  gemm_f32lut_x4__wasmsimd(
    indices: number,
    codeBytes: number,
    codebook: number,
    xt: number,
    rows: number,
    cols: number,
    y: number,
  ): void;
  permute_x_nbits(x: number, k: number, blockSize: number, blocks: number, xp: number): void;
  matmul_f32u4f32_1x1c32__wasmsimd(
    xp: number,
    blocks: number,
    blockSize: number,
    n0: number,
    n1: number,
    weight: number,
    scales: number,
    zeroPoints: number,
    bias: number,
    y: number,
  ): void;
}

const PAGE = 65536;
const ALIGN = 64;

export class WasmArena {
  readonly memory: WebAssembly.Memory;
  readonly exports: WasmKernelExports;
  private top: number;
  private readonly free: { start: number; size: number }[] = [];
  private readonly sizes = new Map<number, number>();

  constructor(memory: WebAssembly.Memory, exports: WasmKernelExports) {
    this.memory = memory;
    this.exports = exports;
    this.top = align(exports.heap_base());
  }

  alloc(bytes: number): number {
    const size = align(Math.max(bytes, 1));
    for (let i = 0; i < this.free.length; i++) {
      const block = this.free[i]!;
      if (block.size >= size) {
        const ptr = block.start;
        if (block.size === size) this.free.splice(i, 1);
        else {
          block.start += size;
          block.size -= size;
        }
        this.sizes.set(ptr, size);
        return ptr;
      }
    }
    const ptr = this.top;
    const end = ptr + size;
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / PAGE));
    this.top = end;
    this.sizes.set(ptr, size);
    return ptr;
  }

  release(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) return;
    this.sizes.delete(ptr);
    let start = ptr;
    let length = size;
    // Coalesce with neighbours so per-call scratch does not fragment the heap.
    for (let i = this.free.length - 1; i >= 0; i--) {
      const block = this.free[i]!;
      if (block.start + block.size === start) {
        start = block.start;
        length += block.size;
        this.free.splice(i, 1);
      } else if (start + length === block.start) {
        length += block.size;
        this.free.splice(i, 1);
      }
    }
    if (start + length === this.top) this.top = start;
    else this.free.push({ start, size: length });
  }

  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, length);
  }
  i32(ptr: number, length: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, length);
  }
  u8(ptr: number, length: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, length);
  }

  /** Copies a typed array in and returns its address (released by the caller). */
  copyIn(data: ArrayBufferView): number {
    const ptr = this.alloc(data.byteLength);
    new Uint8Array(this.memory.buffer, ptr, data.byteLength).set(
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    );
    return ptr;
  }
}

const residents = new WeakMap<
  WasmArena,
  { byPack: WeakMap<object, unknown>; registry: FinalizationRegistry<number[]> }
>();

/**
 * A weight pack's copy in this arena's memory, made by `build` on first use (it returns the
 * value and the blocks it allocated); the blocks are released when the pack is garbage-collected.
 */
export function residentPack<T>(arena: WasmArena, pack: object, build: () => { value: T; blocks: number[] }): T {
  let state = residents.get(arena);
  if (state === undefined) {
    state = {
      byPack: new WeakMap(),
      registry: new FinalizationRegistry((blocks: number[]) => {
        for (const ptr of blocks) if (ptr !== 0) arena.release(ptr);
      }),
    };
    residents.set(arena, state);
  }
  if (state.byPack.has(pack)) return state.byPack.get(pack) as T;
  const { value, blocks } = build();
  state.byPack.set(pack, value);
  state.registry.register(pack, blocks);
  return value;
}

/** The allocations of one kernel call; `withScratch` releases them all, newest first. */
export interface Scratch {
  alloc(bytes: number): number;
  copyIn(data: ArrayBufferView): number;
}

/** Runs `body` with a scratch allocator whose blocks are released when it returns or throws. */
export function withScratch<T>(arena: WasmArena, body: (scratch: Scratch) => T): T {
  const ptrs: number[] = [];
  const keep = (ptr: number) => {
    ptrs.push(ptr);
    return ptr;
  };
  try {
    return body({ alloc: (bytes) => keep(arena.alloc(bytes)), copyIn: (data) => keep(arena.copyIn(data)) });
  } finally {
    for (let i = ptrs.length - 1; i >= 0; i--) arena.release(ptrs[i]!);
  }
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

let compiled: { simd?: WebAssembly.Module; simdThreads?: WebAssembly.Module } | null | undefined;
let loadError: unknown;

/** The compiled modules, or null when WebAssembly (SIMD) is unavailable or no binary is embedded. */
export function compiledModules(): { simd?: WebAssembly.Module; simdThreads?: WebAssembly.Module } | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  if (kernelsWasmBase64 === undefined || typeof WebAssembly !== "object") return compiled;
  try {
    const simd = new WebAssembly.Module(decodeBase64(kernelsWasmBase64.simd) as BufferSource);
    let simdThreads: WebAssembly.Module | undefined;
    try {
      simdThreads = new WebAssembly.Module(decodeBase64(kernelsWasmBase64.simdThreads) as BufferSource);
    } catch {
      simdThreads = undefined; // threads/shared memory unsupported: single-threaded wasm only
    }
    compiled = { simd, simdThreads };
  } catch (error) {
    loadError = error; // no SIMD in this engine: the JS tier stays in use
  }
  return compiled;
}

export function wasmLoadError(): unknown {
  return loadError;
}

export function instantiateArena(module: WebAssembly.Module, memory: WebAssembly.Memory): WasmArena {
  const instance = new WebAssembly.Instance(module, {
    env: {
      memory,
      abort: () => {
        throw new Error("@mc/kernels: wasm abort");
      },
    },
  });
  return new WasmArena(memory, instance.exports as unknown as WasmKernelExports);
}

let singleThreaded: WasmArena | null | undefined;

/** The single-threaded SIMD arena, created on first use. */
export function simdArena(): WasmArena | null {
  if (singleThreaded !== undefined) return singleThreaded;
  const modules = compiledModules();
  singleThreaded = modules?.simd ? instantiateArena(modules.simd, new WebAssembly.Memory({ initial: 1 })) : null;
  return singleThreaded;
}
