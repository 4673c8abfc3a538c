import { createRng } from "@mc/core";
import { expect } from "vitest";
import { type Tier, useTier } from "../src/select-kernel";

export function randomFloats(count: number, seed: number, scale = 1): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = (rng.uniform() * 2 - 1) * scale;
  return out;
}

export function randomBytes(ctor: Uint8ArrayConstructor, count: number, seed: number): Uint8Array;
export function randomBytes(ctor: Int8ArrayConstructor, count: number, seed: number): Int8Array;
export function randomBytes(
  ctor: Uint8ArrayConstructor | Int8ArrayConstructor,
  count: number,
  seed: number,
): Uint8Array | Int8Array;
export function randomBytes(
  ctor: Uint8ArrayConstructor | Int8ArrayConstructor,
  count: number,
  seed: number,
): Uint8Array | Int8Array {
  const rng = createRng(seed);
  const out = new ctor(count);
  const signed = out instanceof Int8Array;
  for (let i = 0; i < count; i++) out[i] = signed ? rng.integer(-128, 127) : rng.integer(0, 255);
  return out;
}

/** Bit-exact comparison that names the first differing index, both values and the shape. */
export function expectExact(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  shape: readonly number[],
  what = "",
): void {
  expect(actual.length, `${what} length for shape [${shape.join(", ")}]`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i]) && !(actual[i] === expected[i])) {
      expect.fail(`${what} index ${i}: got ${actual[i]}, expected ${expected[i]} (shape [${shape.join(", ")}])`);
    }
  }
}

/** |a − e| ≤ atol + rtol·|e| elementwise, naming the first failure. */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  shape: readonly number[],
  { rtol = 1e-5, atol = 1e-5, what = "" }: { rtol?: number; atol?: number; what?: string } = {},
): void {
  expect(actual.length, `${what} length for shape [${shape.join(", ")}]`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      expect.fail(
        `${what} index ${i}: got ${a}, expected ${e} (shape [${shape.join(", ")}], rtol ${rtol}, atol ${atol})`,
      );
    }
  }
}

/** Runs `fn` with every op pinned to `tier`, then restores automatic selection. */
export function withTier<T>(tier: Tier, fn: () => T): T {
  useTier(tier);
  try {
    return fn();
  } finally {
    useTier(undefined);
  }
}
