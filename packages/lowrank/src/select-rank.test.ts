import { describe, expect, it } from "vitest";
import { selectRank } from "./select-rank";

// σ² = 16, 9, 4, 1, 0 → total 30; cumulative 16, 25, 29, 30, 30.
const spectrum = [4, 3, 2, 1, 0];

describe("selectRank", () => {
  it("by energy: the smallest rank whose cumulative σ² fraction reaches the target", () => {
    expect(selectRank(spectrum, { energy: 0.5 }).rank).toBe(1); // 16/30 = 0.533
    expect(selectRank(spectrum, { energy: 0.6 }).rank).toBe(2); // 25/30 = 0.833
    expect(selectRank(spectrum, { energy: 25 / 30 }).rank).toBe(2); // exactly reached
    expect(selectRank(spectrum, { energy: 0.9 }).rank).toBe(3);
    expect(selectRank(spectrum, { energy: 1 }).rank).toBe(4); // the zero σ adds nothing
    const result = selectRank(spectrum, { energy: 0.9 });
    expect(result.keptEnergy).toBeCloseTo(29 / 30, 12);
    expect(result.relativeError).toBeCloseTo(Math.sqrt(1 / 30), 12);
  });

  it("by relative error: the smallest rank with √(Σ discarded σ²)/‖σ‖ ≤ bound", () => {
    expect(selectRank(spectrum, { relativeError: 0.5 }).rank).toBe(2); // rank 1: √(14/30) = 0.683; rank 2: √(5/30) = 0.408
    expect(selectRank(spectrum, { relativeError: 0.69 }).rank).toBe(1);
    expect(selectRank(spectrum, { relativeError: 0.3 }).rank).toBe(3); // √(1/30) = 0.183
    expect(selectRank(spectrum, { relativeError: 0 }).rank).toBe(4);
  });

  it("by parameter budget: the largest rank with (M + N)·K ≤ budget", () => {
    expect(selectRank(spectrum, { parameterBudget: 35, shape: [10, 7] }).rank).toBe(2);
    expect(selectRank(spectrum, { parameterBudget: 34, shape: [10, 7] }).rank).toBe(2);
    expect(selectRank(spectrum, { parameterBudget: 33, shape: [10, 7] }).rank).toBe(1);
    expect(selectRank(spectrum, { parameterBudget: 1e9, shape: [10, 7] }).rank).toBe(5); // capped by the spectrum
  });

  it("a zero spectrum keeps all energy at rank 1", () => {
    expect(selectRank([0, 0, 0], { energy: 0.99 })).toEqual({ rank: 1, keptEnergy: 1, relativeError: 0 });
  });

  it("rejects bad spectra and criteria", () => {
    expect(() => selectRank([], { energy: 0.9 })).toThrowError(/selectRank: singularValues is empty/);
    expect(() => selectRank([1, 2], { energy: 0.9 })).toThrowError(/descending; index 1 holds 2 after 1/);
    expect(() => selectRank([1, -1], { energy: 0.9 })).toThrowError(/non-negative/);
    expect(() => selectRank([1, Number.NaN], { energy: 0.9 })).toThrowError(/non-finite/);
    expect(() => selectRank(spectrum, { energy: 0 })).toThrowError(/criterion.energy/);
    expect(() => selectRank(spectrum, { energy: 1.5 })).toThrowError(/criterion.energy/);
    expect(() => selectRank(spectrum, { relativeError: -0.1 })).toThrowError(/criterion.relativeError/);
    expect(() => selectRank(spectrum, {} as never)).toThrowError(/exactly one of/);
    expect(() => selectRank(spectrum, { energy: 0.5, relativeError: 0.1 } as never)).toThrowError(
      /got energy, relativeError/,
    );
    expect(() => selectRank(spectrum, { parameterBudget: 100 } as never)).toThrowError(/criterion.shape/);
    expect(() => selectRank(spectrum, { parameterBudget: 16, shape: [10, 7] })).toThrowError(/below 17/);
  });
});
