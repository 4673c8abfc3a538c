import { createRng } from "@mc/core";

/** Central-difference gradient of f at x (float64, step h), the oracle for hand-written backward passes. */
export function numericGradient(f: (x: Float64Array) => number, x: Float64Array, h = 1e-5): Float64Array {
  const gradient = new Float64Array(x.length);
  const probe = x.slice();
  for (let i = 0; i < x.length; i++) {
    probe[i] = x[i]! + h;
    const plus = f(probe);
    probe[i] = x[i]! - h;
    const minus = f(probe);
    probe[i] = x[i]!;
    gradient[i] = (plus - minus) / (2 * h);
  }
  return gradient;
}

export function randomNormal(count: number, seed: number, scale = 1): Float64Array {
  const rng = createRng(seed);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = rng.normal() * scale;
  return out;
}

/** Largest |a − b| / max(1e-3·scale, |b|)-style comparison, returning the worst index for messages. */
export function worstDifference(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
): { index: number; actual: number; expected: number; error: number } {
  let worst = { index: -1, actual: 0, expected: 0, error: 0 };
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  for (let i = 0; i < expected.length; i++) {
    const error = Math.abs(actual[i]! - expected[i]!) / Math.max(scale, 1e-12);
    if (error > worst.error) worst = { index: i, actual: actual[i]!, expected: expected[i]!, error };
  }
  return worst;
}
