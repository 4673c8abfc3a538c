import type { WasmArena } from "./wasm-backend";

/** Placeholder until the worker pool lands: single-threaded everywhere. */
export interface ThreadPool {
  threads: number;
  arena: WasmArena;
  split: (arena: WasmArena, rows: number, work: (i0: number, i1: number) => void) => void;
}

export function threadPool(): ThreadPool | null {
  return null;
}

export function threadPoolSupported(): boolean {
  return false;
}

export function setNumThreads(_n: number): void {}

export async function initKernels(): Promise<void> {}
