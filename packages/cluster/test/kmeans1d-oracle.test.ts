import { createRng } from "@mc/core";
import { kmeans } from "ml-kmeans";
import { describe, expect, it } from "vitest";
import { kmeans1d, kmeans1dOptimal, kmeansInits } from "../src/index";

/** Weight-like distributions: Gaussian, Laplacian (heavy tails), and a two-mode mixture. */
function sample(kind: number, n: number, seed: number): Float64Array {
  const rng = createRng(seed);
  return new Float64Array(n).map(() => {
    if (kind === 0) return rng.normal(0, 0.05);
    if (kind === 1) return 0.03 * Math.log(1 - rng.uniform()) * (rng.uniform() < 0.5 ? -1 : 1);
    return rng.normal(0, 0.02) + (rng.uniform() < 0.3 ? 0.1 : 0);
  });
}

function mlKmeansInertia(values: Float64Array, k: number, seed: number): number {
  // tolerance 0: run ml-kmeans to its own fixed point, its best answer (the default 1e-6 stops early at weight scale).
  const result = kmeans(
    Array.from(values, (x) => [x]),
    k,
    { seed, maxIterations: 1000, tolerance: 0 },
  );
  let acc = 0;
  for (let i = 0; i < values.length; i++)
    acc += ((values[i] as number) - (result.centroids[result.clusters[i] as number]![0] as number)) ** 2;
  return acc;
}

describe("kmeans1d against ml-kmeans and the exact DP", () => {
  it("inertia is never worse than ml-kmeans (k-means++, same data and k) for every init", () => {
    for (let seed = 0; seed < 3; seed++) {
      const values = sample(seed, 5000, seed);
      for (const k of [4, 32]) {
        const peer = mlKmeansInertia(values, k, seed);
        for (const init of kmeansInits) {
          const ours = kmeans1d(values, k, { init, seed });
          expect(
            ours.inertia,
            `seed ${seed} k ${k} init ${init}: ours ${ours.inertia} ml-kmeans ${peer}`,
          ).toBeLessThanOrEqual(peer * (1 + 1e-9));
        }
      }
    }
  });

  it("the DP optimum bounds every run from below, and refined runs land within 0.1% of it", () => {
    const gaps: number[] = [];
    for (let seed = 0; seed < 2; seed++) {
      const values = sample(seed + 1, 6000, 100 + seed);
      for (const k of [8, 32]) {
        const optimal = kmeans1dOptimal(values, k).inertia;
        for (const init of kmeansInits) {
          const plain = kmeans1d(values, k, { init, seed, refine: false }).inertia;
          const refined = kmeans1d(values, k, { init, seed }).inertia;
          expect(optimal, `seed ${seed} k ${k} ${init} plain`).toBeLessThanOrEqual(plain * (1 + 1e-12));
          expect(optimal, `seed ${seed} k ${k} ${init} refined`).toBeLessThanOrEqual(refined * (1 + 1e-12));
          expect(refined / optimal, `seed ${seed} k ${k} ${init}`).toBeLessThan(1.001);
          gaps.push(plain / optimal);
        }
      }
    }
    // Plain Lloyd is a local method: it is allowed to be worse, but it must not be absurd.
    expect(Math.max(...gaps)).toBeLessThan(3);
  });
});
