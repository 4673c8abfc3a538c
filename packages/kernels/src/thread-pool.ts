import { assertInteger } from "@mc/core";
import { compiledModules, instantiateArena, type WasmArena } from "./wasm-backend";

/**
 * Worker threads for large products (Node `worker_threads`). The threads share one
 * WebAssembly.Memory; a call is split into row (or column) ranges, the calling thread runs
 * the first range itself and blocks on `Atomics.wait` until the workers finish theirs, so
 * every public function stays synchronous. Browsers keep one thread: their main thread may
 * not block on Atomics.wait.
 */

export type KernelName =
  | "gemm_f32_4x8__wasmsimd"
  | "gemm_s16s16s32_4x8c2__wasmsimd"
  | "matmul_f32u4f32_1x1c32__wasmsimd";
const KERNEL_NAMES: KernelName[] = [
  "gemm_f32_4x8__wasmsimd",
  "gemm_s16s16s32_4x8c2__wasmsimd",
  "matmul_f32u4f32_1x1c32__wasmsimd",
];

/** Runs kernel `name` over [0, total) split into ranges aligned to `granule`; args[rangeAt], args[rangeAt+1] are the range. */
export type Splitter = (name: KernelName, args: number[], rangeAt: number, total: number, granule: number) => void;

export interface ThreadPool {
  threads: number;
  arena: WasmArena;
  split: Splitter;
}

// Control block (Int32 slots): per call a sequence number, the done count, the kernel id and
// up to 16 float64 arguments per worker.
const SEQ = 0;
const DONE = 1;
const READY = 2;
const KERNEL = 3;
const ARGS_F64_OFFSET = 8; // in float64 units: byte 64
const MAX_ARGS = 16;

const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const { module, memory, control, index, names } = workerData;
const instance = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error("wasm abort"); } } });
const ctl = new Int32Array(control);
const args = new Float64Array(control);
Atomics.add(ctl, ${READY}, 1);
Atomics.notify(ctl, ${READY});
let seen = 0;
for (;;) {
  Atomics.wait(ctl, ${SEQ}, seen);
  seen = Atomics.load(ctl, ${SEQ});
  const base = ${ARGS_F64_OFFSET} + index * ${MAX_ARGS};
  const count = args[base];
  const list = [];
  for (let i = 0; i < count; i++) list.push(args[base + 1 + i]);
  if (count > 0) instance.exports[names[ctl[${KERNEL}]]](...list);
  Atomics.add(ctl, ${DONE}, 1);
  Atomics.notify(ctl, ${DONE});
}
`;

interface NodeWorker {
  unref(): void;
  terminate(): Promise<number>;
}
type WorkerConstructor = new (source: string, options: { eval: true; workerData: unknown }) => NodeWorker;

function workerConstructor(): WorkerConstructor | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (name: string) => unknown } }).process;
  const mod = proc?.getBuiltinModule?.("node:worker_threads") as { Worker?: WorkerConstructor } | undefined;
  return mod?.Worker;
}

export function threadPoolSupported(): boolean {
  return (
    typeof SharedArrayBuffer === "function" &&
    typeof Atomics === "object" &&
    workerConstructor() !== undefined &&
    compiledModules()?.simdThreads !== undefined
  );
}

let requested = 1;
let pool: ThreadPool | null = null;
let workers: NodeWorker[] = [];

/**
 * Threads used for large products (default 1). Above 1, Node starts n − 1 worker threads
 * sharing the wasm memory; where that is impossible (browsers, no SharedArrayBuffer) the
 * request is remembered and work stays on the calling thread — `getKernelInfo().threads`
 * says what is really used.
 */
export function setNumThreads(n: number): void {
  requested = assertInteger(n, "setNumThreads", "n", { min: 1, max: 64 });
  if (pool !== null && pool.threads === requested) return;
  stopPool();
  if (requested > 1 && threadPoolSupported()) pool = startPool(requested);
}

export function threadPool(): ThreadPool | null {
  return pool;
}

function stopPool(): void {
  for (const w of workers) void w.terminate();
  workers = [];
  pool = null;
}

function startPool(threads: number): ThreadPool | null {
  const Worker = workerConstructor()!;
  const module = compiledModules()!.simdThreads!;
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({ initial: 1, maximum: 32768, shared: true });
  } catch {
    return null;
  }
  const arena = instantiateArena(module, memory);
  const control = new SharedArrayBuffer((ARGS_F64_OFFSET + threads * MAX_ARGS) * 8);
  const ctl = new Int32Array(control);
  const argsView = new Float64Array(control);
  const started: NodeWorker[] = [];
  for (let index = 0; index < threads - 1; index++) {
    const w = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { module, memory, control, index, names: KERNEL_NAMES },
    });
    w.unref();
    started.push(w);
  }
  // Worker start-up does not need this thread's event loop, so a blocking wait is safe.
  const deadline = Date.now() + 10_000;
  while (Atomics.load(ctl, READY) < threads - 1) {
    if (Date.now() > deadline) {
      for (const w of started) void w.terminate();
      return null;
    }
    Atomics.wait(ctl, READY, Atomics.load(ctl, READY), 100);
  }
  workers = started;
  const exports = arena.exports as unknown as Record<KernelName, (...args: number[]) => void>;
  const split: Splitter = (name, args, rangeAt, total, granule) => {
    const units = Math.ceil(total / granule);
    const parts = Math.min(threads, units);
    const ranges: [number, number][] = [];
    for (let t = 0; t < parts; t++) {
      const u0 = Math.floor((units * t) / parts);
      const u1 = Math.floor((units * (t + 1)) / parts);
      ranges.push([Math.min(total, u0 * granule), Math.min(total, u1 * granule)]);
    }
    const workerCount = threads - 1;
    for (let wi = 0; wi < workerCount; wi++) {
      const base = ARGS_F64_OFFSET + wi * MAX_ARGS;
      const range = ranges[wi + 1];
      if (range === undefined || range[0] >= range[1]) {
        argsView[base] = 0;
        continue;
      }
      argsView[base] = args.length;
      for (let i = 0; i < args.length; i++) argsView[base + 1 + i] = args[i]!;
      argsView[base + 1 + rangeAt] = range[0];
      argsView[base + 2 + rangeAt] = range[1];
    }
    ctl[KERNEL] = KERNEL_NAMES.indexOf(name);
    Atomics.store(ctl, DONE, 0);
    Atomics.add(ctl, SEQ, 1);
    Atomics.notify(ctl, SEQ);
    const own = args.slice();
    own[rangeAt] = ranges[0]![0];
    own[rangeAt + 1] = ranges[0]![1];
    exports[name](...own);
    for (;;) {
      const done = Atomics.load(ctl, DONE);
      if (done >= workerCount) break;
      Atomics.wait(ctl, DONE, done);
    }
  };
  return { threads, arena, split };
}
