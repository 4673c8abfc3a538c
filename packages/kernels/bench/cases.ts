import { createRng } from "@mc/core";
import type { PeerOp } from "./ort-peers";

export interface BenchCase {
  id: string;
  op: PeerOp;
  m: number;
  k: number;
  n: number;
}

const SHAPES: [number, number, number][] = [
  [1, 784, 300],
  [64, 784, 300],
  [256, 1024, 1024],
  [512, 512, 512],
  [1, 4096, 4096],
];

export function benchCases(): BenchCase[] {
  const cases: BenchCase[] = [];
  for (const op of ["matmulInteger_u8s8", "matmulInteger_s8s8", "matmul_f32"] as const) {
    for (const [m, k, n] of SHAPES) cases.push({ id: `${op} ${m}x${k}x${n}`, op, m, k, n });
  }
  cases.push({ id: "matmulNBits_4bit 1x4096x4096", op: "matmulNBits_4bit", m: 1, k: 4096, n: 4096 });
  return cases;
}

/** Deterministic operands: the same bytes for every runtime. */
export function weightsFor(c: BenchCase): { weight: Uint8Array | Int8Array | Float32Array; scales?: Float32Array } {
  const rng = createRng(c.k * 31 + c.n);
  if (c.op === "matmulNBits_4bit") {
    const weight = new Uint8Array((c.n * c.k) / 2);
    for (let i = 0; i < weight.length; i++) weight[i] = rng.integer(0, 255);
    const scales = new Float32Array((c.n * c.k) / 32);
    for (let i = 0; i < scales.length; i++) scales[i] = 0.01 + rng.uniform() * 0.01;
    return { weight, scales };
  }
  if (c.op === "matmul_f32") {
    const weight = new Float32Array(c.k * c.n);
    for (let i = 0; i < weight.length; i++) weight[i] = rng.uniform() - 0.5;
    return { weight };
  }
  const weight = new Int8Array(c.k * c.n);
  for (let i = 0; i < weight.length; i++) weight[i] = rng.integer(-128, 127);
  return { weight };
}

export function inputsFor(c: BenchCase): Uint8Array | Int8Array | Float32Array {
  const rng = createRng(c.m * 7 + c.k);
  const count = c.m * c.k;
  if (c.op === "matmulInteger_u8s8") return Uint8Array.from({ length: count }, () => rng.integer(0, 255));
  if (c.op === "matmulInteger_s8s8") return Int8Array.from({ length: count }, () => rng.integer(-128, 127));
  return Float32Array.from({ length: count }, () => rng.uniform() - 0.5);
}

/** Best (minimum) seconds per call after a warm-up, over at least `minReps` calls or `budget` seconds. */
export async function timeIt(
  fn: () => unknown | Promise<unknown>,
  c: BenchCase,
  budget = 0.4,
  minReps = 3,
): Promise<number> {
  await fn();
  let best = Number.POSITIVE_INFINITY;
  const start = performance.now();
  let reps = 0;
  while (reps < minReps || (performance.now() - start) / 1000 < budget) {
    const t0 = performance.now();
    await fn();
    best = Math.min(best, (performance.now() - t0) / 1000);
    reps++;
    if (reps >= 2000) break;
  }
  void c;
  return best;
}
