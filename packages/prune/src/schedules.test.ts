import { McError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { constantSparsity, polynomialDecay } from "./schedules";

describe("polynomialDecay", () => {
  it("matches TF-MOT's published formula on a table of steps", () => {
    // final + (initial − final)·(1 − p)^3, p = (step − 1000)/(5000 − 1000), hand-expanded.
    const schedule = polynomialDecay({
      initialSparsity: 0.5,
      finalSparsity: 0.9,
      beginStep: 1000,
      endStep: 5000,
      power: 3,
      frequency: 100,
    });
    const table: [number, boolean, number][] = [
      [0, false, 0.9 - 0.4 * 1], // before begin: p clamped to 0 → initial; not a pruning step
      [999, false, 0.5],
      [1000, true, 0.5],
      [1050, false, 0.9 - 0.4 * (1 - 50 / 4000) ** 3],
      [1100, true, 0.9 - 0.4 * (1 - 0.025) ** 3],
      [2000, true, 0.9 - 0.4 * 0.75 ** 3], // 0.73125
      [3000, true, 0.9 - 0.4 * 0.125], // 0.85
      [4000, true, 0.9 - 0.4 * 0.25 ** 3], // 0.89375
      [5000, true, 0.9],
      [5100, false, 0.9], // past end: p clamped to 1, no more pruning
    ];
    expect(0.9 - 0.4 * 0.75 ** 3).toBeCloseTo(0.73125, 15);
    for (const [step, shouldPrune, sparsity] of table) {
      const decision = schedule.at(step);
      expect(decision.shouldPrune, `shouldPrune at step ${step}`).toBe(shouldPrune);
      expect(decision.sparsity, `sparsity at step ${step}`).toBeCloseTo(sparsity, 14);
    }
  });

  it("holds the sparsity between frequency updates and after the end", () => {
    const schedule = polynomialDecay({ finalSparsity: 0.8, endStep: 1000, power: 1, frequency: 300 });
    expect(schedule.sparsityInEffect(0)).toBe(0);
    expect(schedule.sparsityInEffect(299)).toBe(0);
    expect(schedule.sparsityInEffect(300)).toBeCloseTo(0.24, 14);
    expect(schedule.sparsityInEffect(599)).toBeCloseTo(0.24, 14);
    expect(schedule.sparsityInEffect(900)).toBeCloseTo(0.72, 14);
    // 1000 − 0 is not a multiple of 300: the last update is at 900 and 0.8 is never applied (as in TF-MOT).
    expect(schedule.at(1000).shouldPrune).toBe(false);
    expect(schedule.sparsityInEffect(5000)).toBeCloseTo(0.72, 14);
  });

  it("is zero before beginStep", () => {
    const schedule = polynomialDecay({
      initialSparsity: 0.3,
      finalSparsity: 0.8,
      beginStep: 10,
      endStep: 20,
      frequency: 1,
    });
    expect(schedule.sparsityInEffect(9)).toBe(0);
    expect(schedule.sparsityInEffect(10)).toBeCloseTo(0.3, 15);
  });

  it("rejects bad options with McError", () => {
    const bad = [
      { finalSparsity: 1.5, endStep: 10 },
      { finalSparsity: -0.1, endStep: 10 },
      { initialSparsity: 2, finalSparsity: 0.5, endStep: 10 },
      { finalSparsity: 0.5, beginStep: 10, endStep: 5 },
      { finalSparsity: 0.5, beginStep: 10, endStep: 10 },
      { finalSparsity: 0.5, endStep: 10, frequency: 0 },
      { finalSparsity: 0.5, endStep: 10, power: -1 },
      { finalSparsity: 0.5 },
    ];
    for (const options of bad) {
      let caught: unknown;
      try {
        polynomialDecay(options);
      } catch (error) {
        caught = error;
      }
      expect(McError.isInstance(caught), JSON.stringify(options)).toBe(true);
    }
    expect(() => polynomialDecay({ finalSparsity: 0.5, endStep: 10 }).at(-1)).toThrowError(/step must be/);
  });
});

describe("constantSparsity", () => {
  it("prunes to the target on the frequency grid, forever by default", () => {
    const schedule = constantSparsity({ targetSparsity: 0.92, beginStep: 50, frequency: 25 });
    expect(schedule.at(49).shouldPrune).toBe(false);
    expect(schedule.at(50)).toEqual({ shouldPrune: true, sparsity: 0.92 });
    expect(schedule.at(60).shouldPrune).toBe(false);
    expect(schedule.at(1_000_000).shouldPrune).toBe(true);
    expect(schedule.sparsityInEffect(49)).toBe(0);
    expect(schedule.sparsityInEffect(51)).toBe(0.92);
  });

  it("stops at endStep when given", () => {
    const schedule = constantSparsity({ targetSparsity: 0.5, endStep: 100, frequency: 50 });
    expect(schedule.at(100).shouldPrune).toBe(true);
    expect(schedule.at(150).shouldPrune).toBe(false);
  });

  it("rejects a target outside [0, 1]", () => {
    expect(() => constantSparsity({ targetSparsity: 1.2 })).toThrowError(/constantSparsity: options.targetSparsity/);
  });
});
