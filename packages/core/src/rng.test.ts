import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "./errors";
import { createRng } from "./rng";

describe("createRng", () => {
  it("is deterministic: the same seed gives the same sequence, different seeds differ", () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const seqA = Array.from({ length: 16 }, () => a.nextUint32());
    const seqB = Array.from({ length: 16 }, () => b.nextUint32());
    const seqC = Array.from({ length: 16 }, () => c.nextUint32());
    expect(seqA).toEqual(seqB);
    expect(seqA).not.toEqual(seqC);
    expect(createRng(2 ** 40).nextUint32()).not.toBe(createRng(0).nextUint32());
  });

  it("pins the stream so a platform or refactor change cannot silently alter seeded results", () => {
    const rng = createRng(1);
    const first = Array.from({ length: 4 }, () => rng.nextUint32());
    // Recorded from this implementation (xoshiro128** seeded by splitmix32 of seed 1).
    expect(first).toEqual([2442144158, 3238099751, 3819917871, 2104621829]);
  });

  it("uniform is in [0, 1) with mean 1/2 and variance 1/12", () => {
    const rng = createRng(7);
    const n = 200_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
      sumSq += u * u;
    }
    const mean = sum / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(sumSq / n - mean * mean - 1 / 12)).toBeLessThan(0.002);
  });

  it("integer covers [min, max] inclusively and evenly", () => {
    const rng = createRng(3);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[rng.integer(-2, 3) + 2]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
    expect(() => rng.integer(3, 2)).toThrow(InvalidArgumentError);
  });

  it("normal has the requested mean and standard deviation", () => {
    const rng = createRng(11);
    const samples = rng.fillNormal(new Float64Array(100_000), 2, 3);
    const mean = samples.reduce((s, x) => s + x, 0) / samples.length;
    const variance = samples.reduce((s, x) => s + (x - mean) ** 2, 0) / samples.length;
    expect(Math.abs(mean - 2)).toBeLessThan(0.05);
    expect(Math.abs(Math.sqrt(variance) - 3)).toBeLessThan(0.05);
  });

  it("permutation and shuffleInPlace return permutations; fork is deterministic", () => {
    const rng = createRng(5);
    const p = rng.permutation(1000);
    expect(Array.from(p).sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    const arr = [1, 2, 3, 4, 5];
    expect(rng.shuffleInPlace(arr).slice().sort()).toEqual([1, 2, 3, 4, 5]);
    expect(createRng(9).fork().nextUint32()).toBe(createRng(9).fork().nextUint32());
  });

  it("rejects seeds that are not safe integers", () => {
    expect(() => createRng(1.5)).toThrow("createRng: seed must be a safe integer, got 1.5");
    expect(() => createRng(Number.NaN)).toThrow(InvalidArgumentError);
  });
});
