/**
 * kmeans1d vs ml-kmeans on 1M normally distributed weights, k = 32 and 256, same data, same run.
 * ml-kmeans (generic n-D Lloyd on number[][]) costs O(n·k) per iteration, so it is timed for a
 * capped number of iterations and its per-iteration time is reported; the headline ratio
 * compares our complete run (sort, Lloyd to convergence, refinement, final assignment) against
 * ml-kmeans's k-means++ initialization plus ONE Lloyd iteration — a lower bound on the true ratio.
 */
import { writeFileSync } from "node:fs";
import { createRng } from "@mc/core";
import { kmeans } from "ml-kmeans";
import { kmeans1d } from "../src/index";

const n = Number(process.env.BENCH_N ?? 1_000_000);
const values = createRng(1).fillNormal(new Float32Array(n), 0, 0.05) as Float32Array;
const rows: Record<string, number | string>[] = [];

function time<T>(fn: () => T): [T, number] {
  const start = performance.now();
  const result = fn();
  return [result, (performance.now() - start) / 1000];
}

for (const k of [32, 256]) {
  const [ours, oursSeconds] = time(() => kmeans1d(values, k, { init: "linear" }));
  const [plain, plainSeconds] = time(() => kmeans1d(values, k, { init: "linear", refine: false }));
  const points = Array.from(values, (x) => [x]);
  const [one, oneSeconds] = time(() => kmeans(points, k, { seed: 1, maxIterations: 1 }));
  const [two, twoSeconds] = time(() => kmeans(points, k, { seed: 1, maxIterations: 2 }));
  const perIteration = Math.max(twoSeconds - oneSeconds, 1e-9);
  let mlInertia = 0;
  for (let i = 0; i < n; i++) mlInertia += ((values[i] as number) - (two.centroids[two.clusters[i] as number]![0] as number)) ** 2;
  void one;
  const row = {
    k,
    n,
    kmeans1dSeconds: oursSeconds,
    kmeans1dIterations: ours.iterations,
    kmeans1dInertia: ours.inertia,
    kmeans1dPlainSeconds: plainSeconds,
    kmeans1dPlainIterations: plain.iterations,
    kmeans1dPlainInertia: plain.inertia,
    mlKmeansInitPlusOneIterationSeconds: oneSeconds,
    mlKmeansSecondsPerIteration: perIteration,
    mlKmeansInertiaAfter2Iterations: mlInertia,
    speedupLowerBound: oneSeconds / oursSeconds,
  };
  rows.push(row);
  console.log(
    `k=${k}: kmeans1d ${oursSeconds.toFixed(3)} s (${ours.iterations} it, inertia ${ours.inertia.toFixed(4)}) | ` +
      `plain Lloyd ${plainSeconds.toFixed(3)} s (${plain.iterations} it, inertia ${plain.inertia.toFixed(4)}) | ` +
      `ml-kmeans init+1 it ${oneSeconds.toFixed(2)} s, ${perIteration.toFixed(2)} s/it, inertia@2it ${mlInertia.toFixed(4)} | ` +
      `speedup >= ${(oneSeconds / oursSeconds).toFixed(1)}x`,
  );
}
writeFileSync(
  new URL("../results/bench-kmeans.json", import.meta.url),
  `${JSON.stringify({ node: process.version, date: new Date().toISOString(), rows }, null, 2)}\n`,
);
