import { createRng, InvalidArgumentError, ShapeMismatchError, type Tensor } from "@mc/core";
import { describe, expect, it } from "vitest";
import { applyMask } from "./magnitude-mask";
import { nmMask, satisfiesNm } from "./n-m-mask";

function randomTensor(shape: number[], seed: number): Tensor {
  const count = shape.reduce((a, b) => a * b, 1);
  return { data: createRng(seed).fillNormal(new Float32Array(count)), shape };
}

describe("nmMask", () => {
  it("2:4 along the last axis keeps the two largest of each group of four", () => {
    const weight: Tensor = { data: Float32Array.from([0.1, -3, 2, 0.5, 4, 4, -4, 1]), shape: [2, 4] };
    const { mask, sparsity } = nmMask(weight);
    expect(Array.from(mask)).toEqual([0, 1, 1, 0, 1, 1, 0, 0]); // tie of three 4s: lowest indices kept
    expect(sparsity).toBe(0.5);
  });

  it("general N:M along any axis keeps exactly n per group, the largest ones", () => {
    for (const [n, m, axis] of [
      [1, 4, 0],
      [2, 4, 1],
      [3, 8, -1],
      [0, 2, 2],
      [4, 4, 1],
    ] as const) {
      const weight = randomTensor([8, 8, 8], 20 + n + m);
      const result = nmMask(weight, { n, m, axis });
      const masked = applyMask(weight, result.mask);
      expect(satisfiesNm(masked, { n, m, axis })).toBe(true);
      expect(result.keptCount).toBe((weight.data.length / m) * n);
      expect(result.mask.reduce((a, b) => a + b, 0)).toBe(result.keptCount);
      // Check the "largest" property group by group with explicit strides.
      const shape = weight.shape;
      const resolved = axis < 0 ? axis + shape.length : axis;
      const inner = shape.slice(resolved + 1).reduce((a, b) => a * b, 1);
      const length = shape[resolved];
      const outer = shape.slice(0, resolved).reduce((a, b) => a * b, 1);
      for (let o = 0; o < outer; o++) {
        for (let g = 0; g < length; g += m) {
          for (let j = 0; j < inner; j++) {
            const idx = Array.from({ length: m }, (_, t) => (o * length + g + t) * inner + j);
            const kept = idx.filter((i) => result.mask[i] === 1).map((i) => Math.abs(weight.data[i]));
            const pruned = idx.filter((i) => result.mask[i] === 0).map((i) => Math.abs(weight.data[i]));
            expect(kept.length).toBe(n);
            if (kept.length > 0 && pruned.length > 0)
              expect(Math.min(...kept)).toBeGreaterThanOrEqual(Math.max(...pruned));
          }
        }
      }
    }
  });

  it("satisfiesNm detects a violating group", () => {
    const weight: Tensor = { data: Float32Array.from([1, 1, 1, 0]), shape: [1, 4] };
    expect(satisfiesNm(weight, { n: 2, m: 4 })).toBe(false);
    expect(satisfiesNm(weight, { n: 3, m: 4 })).toBe(true);
  });

  it("rejects n > m, a bad axis and a dimension that is not a multiple of m", () => {
    const weight = randomTensor([4, 6], 3);
    expect(() => nmMask(weight, { n: 5, m: 4, axis: 0 })).toThrowError(InvalidArgumentError);
    expect(() => nmMask(weight, { n: 5, m: 4, axis: 0 })).toThrowError(
      /options.n \(5\) must not exceed options.m \(4\)/,
    );
    expect(() => nmMask(weight, { axis: 2 })).toThrowError(/axis 2 is out of range for shape \[4, 6\]/);
    expect(() => nmMask(weight, { n: 2, m: 4, axis: 1 })).toThrowError(ShapeMismatchError);
    expect(() => nmMask(weight, { n: 2, m: 4, axis: 1 })).toThrowError(
      /dimension 1 of shape \[4, 6\] is 6, not a multiple of m = 4/,
    );
  });
});
