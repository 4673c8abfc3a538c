import { describe, expect, it } from "vitest";
import { randomTensor } from "../test/gradient-check";
import { meanSquaredError, softmaxCrossEntropy } from "./losses";

/** Float64 reference cross-entropy for finite differences. */
function crossEntropy64(logits: Float64Array, labels: number[], classes: number): number {
  let total = 0;
  for (let r = 0; r < labels.length; r++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < classes; j++) max = Math.max(max, logits[r * classes + j] as number);
    let sum = 0;
    for (let j = 0; j < classes; j++) sum += Math.exp((logits[r * classes + j] as number) - max);
    total += max + Math.log(sum) - (logits[r * classes + (labels[r] as number)] as number);
  }
  return total / labels.length;
}

describe("softmaxCrossEntropy", () => {
  it("gradient matches float64 central differences", () => {
    const logits = randomTensor([4, 5], 3, 3);
    const labels = new Uint8Array([0, 4, 2, 2]);
    const { loss, gradient } = softmaxCrossEntropy(logits, labels);
    const x = Float64Array.from(logits.data);
    expect(Math.abs(loss - crossEntropy64(x, [...labels], 5))).toBeLessThan(1e-6);
    const h = 1e-5;
    for (let i = 0; i < x.length; i++) {
      const saved = x[i] as number;
      x[i] = saved + h;
      const plus = crossEntropy64(x, [...labels], 5);
      x[i] = saved - h;
      const minus = crossEntropy64(x, [...labels], 5);
      x[i] = saved;
      const numeric = (plus - minus) / (2 * h);
      expect(Math.abs((gradient.data[i] as number) - numeric), `index ${i} shape [4, 5]`).toBeLessThan(1e-6);
    }
  });

  it("stays finite and exact for huge logits (log-sum-exp)", () => {
    const logits = { data: new Float32Array([1e30, 0, -1e30, 1000, 1001, 999]), shape: [2, 3] };
    const { loss, gradient } = softmaxCrossEntropy(logits, new Int32Array([0, 0]));
    // row 0: correct class dominates → 0; row 1: log(e^0+e^1+e^-1) - 0 relative to 1000
    const row1 = Math.log(1 + Math.E + Math.exp(-1));
    expect(loss).toBeCloseTo(row1 / 2, 6);
    expect(Array.from(gradient.data).every(Number.isFinite)).toBe(true);
  });

  it("equals log(classes) for all-equal logits", () => {
    const { loss } = softmaxCrossEntropy({ data: new Float32Array(10), shape: [1, 10] }, [3]);
    expect(loss).toBeCloseTo(Math.log(10), 10);
  });

  it("rejects NaN logits, bad labels, mismatched counts and empty batches", () => {
    expect(() => softmaxCrossEntropy({ data: new Float32Array([0, Number.NaN]), shape: [1, 2] }, [0])).toThrowError(
      /softmaxCrossEntropy: logits has a non-finite value NaN at index 1/,
    );
    expect(() => softmaxCrossEntropy(randomTensor([2, 3], 1), [0, 3])).toThrowError(/labels\[1\] is 3/);
    expect(() => softmaxCrossEntropy(randomTensor([2, 3], 1), [0])).toThrowError(
      /1 labels for logits of shape \[2, 3\]/,
    );
    expect(() => softmaxCrossEntropy({ data: new Float32Array(0), shape: [0, 3] }, [])).toThrowError(/empty/);
  });
});

describe("meanSquaredError", () => {
  it("matches the closed form and its gradient 2(a−b)/n", () => {
    const a = { data: new Float32Array([1, 2, 3, 4]), shape: [2, 2] };
    const b = { data: new Float32Array([0, 2, 5, 4]), shape: [2, 2] };
    const { loss, gradient } = meanSquaredError(a, b);
    expect(loss).toBeCloseTo((1 + 0 + 4 + 0) / 4, 12);
    expect(Array.from(gradient.data)).toEqual([0.5, 0, -1, 0]);
  });

  it("rejects shape mismatch and NaN", () => {
    expect(() => meanSquaredError(randomTensor([2, 2], 1), randomTensor([3], 1))).toThrowError(
      /prediction has shape \[2, 2\] but target has shape \[3\]/,
    );
    expect(() =>
      meanSquaredError({ data: new Float32Array([Number.NaN]), shape: [1] }, { data: new Float32Array(1), shape: [1] }),
    ).toThrowError(/non-finite/);
  });
});
