import { ShapeMismatchError } from "./errors";

/**
 * Round half to even ("banker's rounding"), the rule of PyTorch's `nearbyint` and ONNX
 * `QuantizeLinear`. `Math.round` rounds ties toward +Infinity (-2.5 → -2, 2.5 → 3), which
 * biases quantization; this returns -2.5 → -2, -1.5 → -2, -0.5 → -0, 0.5 → 0, 1.5 → 2, 2.5 → 2.
 * NaN and ±Infinity pass through.
 */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round already gives the nearest integer except on exact ties, where it went up;
  // step back down when that landed on an odd integer. `r - x` is exact for |x| < 2^52.
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * `roundHalfEven` over an array. Writes into `output` when given (it may be the input for
 * an in-place round of a float array) and returns it; otherwise returns a new Float64Array.
 * Integer typed arrays as `output` receive the rounded value truncated by the typed-array
 * store, so callers clamp first where saturation matters.
 */
export function roundHalfEvenArray<
  T extends Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array,
>(input: ArrayLike<number>, output?: T): T | Float64Array {
  const n = input.length;
  if (output !== undefined && output.length < n) {
    throw new ShapeMismatchError({
      message: `roundHalfEvenArray: output has ${output.length} elements but input has ${n}`,
      expected: [n],
      actual: [output.length],
    });
  }
  const out = output ?? new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = input[i] as number;
    const r = Math.round(x);
    out[i] = r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
  }
  return out;
}
