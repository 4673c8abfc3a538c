import { createRng, type Tensor } from "@mc/core";
import { describe, expect, it } from "vitest";
import { thresholdMask } from "./threshold-mask";

describe("thresholdMask", () => {
  it("keeps |w| strictly above qualityFactor × population std", () => {
    // mean 0, population std = sqrt((4 + 1 + 1 + 4) / 4) = sqrt(2.5)
    const weight: Tensor = { data: Float32Array.from([-2, -1, 1, 2]), shape: [4] };
    const result = thresholdMask(weight, { qualityFactor: 1 });
    expect(result.standardDeviation).toBeCloseTo(Math.sqrt(2.5), 12);
    expect(result.threshold).toBeCloseTo(Math.sqrt(2.5), 12);
    expect(Array.from(result.mask)).toEqual([1, 0, 0, 1]);
    expect(result.sparsity).toBe(0.5);
  });

  it("on Gaussian weights prunes about erf(q/√2) of them", () => {
    const data = createRng(11).fillNormal(new Float32Array(200_000));
    for (const q of [0.5, 1, 2]) {
      const { sparsity } = thresholdMask({ data, shape: [data.length] }, { qualityFactor: q });
      // P(|z| ≤ q) for a standard normal; erf via its relation to the normal CDF table values.
      const expected = { 0.5: 0.382925, 1: 0.682689, 2: 0.9545 }[q] as number;
      expect(Math.abs(sparsity - expected)).toBeLessThan(0.005);
    }
  });

  it("qualityFactor 0 removes exactly the zeros", () => {
    const weight: Tensor = { data: Float32Array.from([0, 3, 0, -1]), shape: [4] };
    expect(Array.from(thresholdMask(weight, { qualityFactor: 0 }).mask)).toEqual([0, 1, 0, 1]);
  });

  it("rejects a negative quality factor", () => {
    const weight: Tensor = { data: Float32Array.from([1]), shape: [1] };
    expect(() => thresholdMask(weight, { qualityFactor: -1 })).toThrowError(/thresholdMask: options.qualityFactor/);
  });
});
