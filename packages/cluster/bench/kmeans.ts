/**
 * kmeans1d vs ml-kmeans on 1M normally distributed weights, k = 32 and 256: same data, same run.
 * Matched comparison: both run Lloyd from the same linear initial centroids for the same number
 * of iterations (ml-kmeans is O(n·k) per iteration and would need hundreds of iterations, many
 * minutes, to converge here; its k-means++ seeding alone takes minutes at this size), so the
 * inertias must agree and the ratio is the speed of the same algorithm. Our complete default
 * run (Lloyd to convergence plus refinement) is timed too.
 */
import { writeFileSync } from "node:fs";
import { createRng } from "@mc/core";
import { kmeans } from "ml-kmeans";
import { kmeans1d } from "../src/kmeans1d";

const n = Number(process.env.BENCH_N ?? 1_000_000);
const values = createRng(1).fillNormal(new Float32Array(n), 0, 0.05) as Float32Array;
const rows: Record<string, number>[] = [];
const maxIterations = 20;

/** CPU seconds (user + system) of this process: the machine is shared, so wall time is not ours. */
function time<T>(fn: () => T): [T, number] {
  const start = process.cpuUsage();
  const result = fn();
  const used = process.cpuUsage(start);
  return [result, (used.user + used.system) / 1e6];
}

let min = Number.POSITIVE_INFINITY;
let max = Number.NEGATIVE_INFINITY;
for (const v of values) {
  min = Math.min(min, v);
  max = Math.max(max, v);
}
const points = Array.from(values, (x) => [x]);

/** Best CPU time of a few runs: the first run of a function includes JIT compilation. */
function bestTime<T>(repeats: number, fn: () => T): [T, number] {
  let best: [T, number] | undefined;
  for (let r = 0; r < repeats; r++) {
    const run = time(fn);
    if (!best || run[1] < best[1]) best = run;
  }
  return best as [T, number];
}

// Warm both libraries' code paths up on a small sample first.
const warm = values.subarray(0, 50_000);
kmeans1d(warm, 8);
kmeans(
  Array.from(warm, (x) => [x]),
  8,
  { initialization: Array.from({ length: 8 }, (_, j) => [j / 100]), maxIterations: 3, tolerance: 0 },
);

for (const k of [32, 256]) {
  const [ours, oursSeconds] = bestTime(3, () => kmeans1d(values, k, { init: "linear" }));
  const [plain, plainSeconds] = bestTime(3, () =>
    kmeans1d(values, k, { init: "linear", refine: false, maxIterations }),
  );
  const linear = Array.from({ length: k }, (_, j) => [min + ((max - min) * j) / (k - 1)]);
  const [peer, peerSeconds] = time(() => kmeans(points, k, { initialization: linear, maxIterations, tolerance: 0 }));
  let peerInertia = 0;
  for (let i = 0; i < n; i++)
    peerInertia += ((values[i] as number) - (peer.centroids[peer.clusters[i] as number]![0] as number)) ** 2;
  const row = {
    k,
    n,
    kmeans1dSeconds: oursSeconds,
    kmeans1dIterations: ours.iterations,
    kmeans1dInertia: ours.inertia,
    matchedIterations: maxIterations,
    kmeans1dMatchedSeconds: plainSeconds,
    kmeans1dMatchedInertia: plain.inertia,
    mlKmeansMatchedSeconds: peerSeconds,
    mlKmeansMatchedIterations: peer.iterations,
    mlKmeansMatchedInertia: peerInertia,
    matchedSpeedup: peerSeconds / plainSeconds,
    mlKmeansMatchedOverKmeans1dFullSeconds: peerSeconds / oursSeconds,
  };
  rows.push(row);
  console.log(
    `k=${k} n=${n}: kmeans1d ${oursSeconds.toFixed(3)} s (${ours.iterations} it, inertia ${ours.inertia.toFixed(5)}) | ` +
      `${maxIterations} Lloyd iterations: kmeans1d ${plainSeconds.toFixed(3)} s (inertia ${plain.inertia.toFixed(5)}) vs ` +
      `ml-kmeans ${peerSeconds.toFixed(2)} s (${peer.iterations} it, inertia ${peerInertia.toFixed(5)}) = ${(peerSeconds / plainSeconds).toFixed(0)}x`,
  );
}
if (n === 1_000_000) {
  writeFileSync(
    new URL("../results/bench-kmeans.json", import.meta.url),
    `${JSON.stringify({ node: process.version, date: new Date().toISOString(), machine: "shared busy 2-core", rows }, null, 2)}\n`,
  );
}
