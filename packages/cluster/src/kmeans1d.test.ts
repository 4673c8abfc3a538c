import { createRng, InvalidArgumentError } from "@mc/core";
import { describe, expect, it } from "vitest";
import { kmeans1d, kmeansInits } from "./kmeans1d";
import { kmeans1dOptimal } from "./kmeans1d-optimal";
import { radixSortFloat32 } from "./sorted-values";

function gaussian(n: number, seed: number): Float32Array {
  return createRng(seed).fillNormal(new Float32Array(n), 0, 0.05) as Float32Array;
}

/** Slow O(n·k) reference: nearest centroid by full scan, ties to the lower index. */
function nearestByScan(value: number, centroids: Float64Array): number {
  let best = 0;
  for (let j = 1; j < centroids.length; j++) {
    if (Math.abs(value - (centroids[j] as number)) < Math.abs(value - (centroids[best] as number))) best = j;
  }
  return best;
}

describe("kmeans1d", () => {
  it("assigns every value to its nearest centroid (checked by full scan)", () => {
    const values = gaussian(5000, 1);
    for (const init of kmeansInits) {
      const { centroids, assignments } = kmeans1d(values, 16, { init, seed: 3 });
      for (let i = 0; i < values.length; i++) {
        const expected = nearestByScan(values[i] as number, centroids);
        const d1 = Math.abs((values[i] as number) - (centroids[assignments[i] as number] as number));
        const d2 = Math.abs((values[i] as number) - (centroids[expected] as number));
        if (d1 !== d2)
          throw new Error(`${init}: index ${i} value ${values[i]} got ${assignments[i]} expected ${expected}`);
      }
    }
  });

  it("converges to a Lloyd fixed point: each centroid is the mean of its members and none is empty", () => {
    const values = gaussian(20000, 2);
    for (const init of kmeansInits) {
      const { centroids, assignments, iterations } = kmeans1d(values, 32, { init, seed: 5 });
      expect(iterations).toBeLessThan(1000);
      const sums = new Float64Array(32);
      const counts = new Float64Array(32);
      for (let i = 0; i < values.length; i++) {
        sums[assignments[i] as number] += values[i] as number;
        counts[assignments[i] as number]++;
      }
      for (let j = 0; j < 32; j++) {
        expect(counts[j], `${init}: cluster ${j} empty`).toBeGreaterThan(0);
        expect(Math.abs((sums[j] as number) / (counts[j] as number) - (centroids[j] as number))).toBeLessThan(1e-12);
        if (j > 0) expect(centroids[j]).toBeGreaterThan(centroids[j - 1] as number);
      }
    }
  });

  it("reports inertia equal to the sum of squared distances it returns", () => {
    const values = gaussian(3000, 4);
    const { centroids, assignments, inertia } = kmeans1d(values, 8);
    let acc = 0;
    for (let i = 0; i < values.length; i++)
      acc += ((values[i] as number) - (centroids[assignments[i] as number] as number)) ** 2;
    expect(inertia).toBeCloseTo(acc, 12);
  });

  it("is deterministic for a seed and never mutates its input", () => {
    const values = gaussian(4000, 6);
    const copy = values.slice();
    const a = kmeans1d(values, 16, { init: "kmeans++", seed: 9 });
    const b = kmeans1d(values, 16, { init: "kmeans++", seed: 9 });
    expect(Array.from(a.centroids)).toEqual(Array.from(b.centroids));
    expect(values).toEqual(copy);
  });

  it("k = 1 gives the mean; k >= distinct values gives the distinct values with inertia 0", () => {
    const values = Float32Array.of(1, 2, 2, 3, 3, 3);
    const one = kmeans1d(values, 1);
    expect(one.centroids[0]).toBeCloseTo(14 / 6, 12);
    const many = kmeans1d(values, 10);
    expect(Array.from(many.centroids)).toEqual([1, 2, 3]);
    expect(Array.from(many.assignments)).toEqual([0, 1, 1, 2, 2, 2]);
    expect(many.inertia).toBe(0);
    const constant = kmeans1d(new Float32Array(7).fill(0.5), 4);
    expect(Array.from(constant.centroids)).toEqual([0.5]);
  });

  it("finds the obvious clusters of well separated groups", () => {
    const values = Float64Array.of(-10, -10.1, -9.9, 0, 0.1, -0.1, 10, 10.2, 9.8);
    for (const init of kmeansInits) {
      const { centroids } = kmeans1d(values, 3, { init, seed: 1 });
      expect(Array.from(centroids).map((c) => Math.round(c * 1000) / 1000)).toEqual([-10, 0, 10]);
    }
  });

  it("uses index arrays sized by k", () => {
    const values = gaussian(3000, 7);
    expect(kmeans1d(values, 256, { refine: false }).assignments).toBeInstanceOf(Uint8Array);
    expect(kmeans1d(values, 257, { refine: false }).assignments).toBeInstanceOf(Uint16Array);
  });

  it("rejects bad input with InvalidArgumentError naming the argument", () => {
    const values = Float32Array.of(1, 2, 3);
    expect(() => kmeans1d(values, 0)).toThrow(/kmeans1d: k must be an integer >= 1, got 0/);
    expect(() => kmeans1d(values, 1.5)).toThrow(InvalidArgumentError);
    expect(() => kmeans1d(Float32Array.of(1, Number.NaN, 3), 2)).toThrow(/non-finite value NaN at index 1/);
    expect(() => kmeans1d(Float32Array.of(1, Number.POSITIVE_INFINITY), 2)).toThrow(InvalidArgumentError);
    expect(() => kmeans1d(new Float32Array(0), 2)).toThrow(/values is empty/);
    expect(() => kmeans1d(values, 2, { init: "bogus" as "linear" })).toThrow(/options.init must be one of/);
    expect(() => kmeans1d(values, 2, { tolerance: -1 })).toThrow(InvalidArgumentError);
    expect(() => kmeans1dOptimal(values, 0)).toThrow(InvalidArgumentError);
    expect(() => kmeans1dOptimal(Float32Array.of(Number.NaN), 1)).toThrow(InvalidArgumentError);
  });
});

describe("kmeans1dOptimal", () => {
  /** Brute force over every split of a small sorted array into k contiguous groups. */
  function bruteForce(values: number[], k: number): number {
    const sorted = [...values].sort((a, b) => a - b);
    const n = sorted.length;
    const cost = (s: number, e: number) => {
      const part = sorted.slice(s, e);
      const mean = part.reduce((a, b) => a + b, 0) / part.length;
      return part.reduce((a, b) => a + (b - mean) ** 2, 0);
    };
    const best = (start: number, groups: number): number => {
      if (groups === 1) return cost(start, n);
      let b = Number.POSITIVE_INFINITY;
      for (let e = start + 1; e <= n - groups + 1; e++) b = Math.min(b, cost(start, e) + best(e, groups - 1));
      return b;
    };
    return best(0, k);
  }

  it("matches brute force over all contiguous partitions on small random sets", () => {
    const rng = createRng(11);
    for (let trial = 0; trial < 30; trial++) {
      const n = rng.integer(4, 11);
      const k = rng.integer(2, Math.min(4, n - 1));
      const values = Array.from({ length: n }, () => Math.round(rng.normal() * 100) / 10);
      const distinct = new Set(values).size;
      const result = kmeans1dOptimal(values, k);
      const expected = distinct <= k ? 0 : bruteForce(values, k);
      expect(Math.abs(result.inertia - expected), `trial ${trial} values ${values} k ${k}`).toBeLessThan(1e-9);
    }
  });

  it("is never beaten by Lloyd from any initialization", () => {
    const values = gaussian(4000, 12);
    for (const k of [2, 5, 16, 32]) {
      const optimal = kmeans1dOptimal(values, k);
      for (const init of kmeansInits) {
        const lloyd = kmeans1d(values, k, { init, seed: 2 });
        expect(optimal.inertia, `k ${k} init ${init}`).toBeLessThanOrEqual(lloyd.inertia * (1 + 1e-12));
      }
    }
  });

  it("refuses tables larger than maxCells", () => {
    expect(() => kmeans1dOptimal(gaussian(100, 1), 10, { maxCells: 500 })).toThrow(/exceeds options.maxCells 500/);
  });
});

describe("radixSortFloat32", () => {
  it("sorts exactly like Float64Array.prototype.sort, including -0, +0, subnormals and extremes", () => {
    const rng = createRng(21);
    const values = rng.fillNormal(new Float32Array(10000), 0, 3) as Float32Array;
    values.set([-0, 0, 1e-45, -1e-45, 3.4e38, -3.4e38, 1, 1, -1], 100);
    const expected = Float64Array.from(values).sort();
    const actual = radixSortFloat32(values);
    for (let i = 0; i < values.length; i++) {
      if (!Object.is(actual[i], expected[i]))
        throw new Error(`index ${i}: ${actual[i]} != ${expected[i]} (length ${values.length})`);
    }
  });
});

describe("kmeans1d at large k", () => {
  it("handles k close to the number of distinct values (many empty clusters to re-seed) quickly and exactly", () => {
    const values = Float32Array.from({ length: 6000 }, (_, i) => Math.round(Math.sin(i) * 2000) / 1000);
    const distinct = new Set(values).size;
    const k = distinct - 3;
    const { centroids, assignments, iterations } = kmeans1d(values, k);
    expect(centroids.length).toBe(k);
    expect(iterations).toBeGreaterThan(0);
    const used = new Set(assignments);
    expect(used.size, `every one of the ${k} centroids owns a value`).toBe(k);
  });
});
