import { assertFiniteNumber, assertInteger, assertOneOf, createRng, InvalidArgumentError } from "@mc/core";
import {
  assignToCentroids,
  type ClusterAssignments,
  distinctSorted,
  inertiaOf,
  midpoint,
  optimalSplits,
  PrefixSums,
  sortedCopy,
  upperBound,
} from "./sorted-values";

export type KmeansInit = "linear" | "density" | "random" | "kmeans++";

export const kmeansInits: readonly KmeansInit[] = ["linear", "density", "random", "kmeans++"];

export interface Kmeans1dOptions {
  /** How the first centroids are placed; `linear` is Deep Compression's best. */
  init?: KmeansInit;
  /** Upper bound on Lloyd iterations; each costs O(k log n), so the default is generous. */
  maxIterations?: number;
  /** Stop once no centroid moves more than this (absolute). 0 runs until the partition stops changing. */
  tolerance?: number;
  /** Seed for the `random` and `kmeans++` initializations. */
  seed?: number;
  /**
   * Lloyd stops at the first local optimum, and in one dimension those can be poor (linear init
   * parks centroids in sparse tails). With `refine`, a second Lloyd run starts from the exact
   * optimum over a grid of <= 8192 cut positions (equal-count and equal-width cuts of the sorted
   * values), and the better run is returned.
   * `false` gives plain Lloyd from `init`, as in Deep Compression's comparison. Skipped for
   * k > 2048 (the grid DP would need k × 8192 cells).
   */
  refine?: boolean;
}

export interface Kmeans1dResult {
  /** Centroids in ascending order. Length `min(k, distinct values)`. */
  centroids: Float64Array;
  /** For each input value (input order), the index of its nearest centroid; ties go to the lower index. */
  assignments: ClusterAssignments;
  /** Sum of squared distances of every value to its centroid, computed in float64. */
  inertia: number;
  /** Lloyd iterations run (0 when the answer needed none: k = 1 or k >= distinct values). */
  iterations: number;
}

/** Size of the value summary the `refine` pass solves exactly. */
const summaryGroups = 4096;
/** Refinement is skipped when k × grid exceeds this (k > 2048). */
const maxRefineCells = 2 ** 24;

const defaults = { init: "linear" as KmeansInit, maxIterations: 1000, tolerance: 0, seed: 0, refine: true };

/**
 * 1-D k-means (Lloyd) that sorts once and then works on ranges of the sorted values:
 * each iteration finds the k ranges by binary search at the midpoints between centroids
 * and takes each range's mean from prefix sums, so an iteration costs O(k log n) and the
 * whole run O(n log n) for the sort plus O(n log k) for the final assignment.
 * An emptied cluster is moved to the value farthest from its centroid inside the cluster
 * with the largest squared error, so every returned centroid owns at least one value.
 *
 * k >= number of distinct values is a defined result, not an error: the centroids are the
 * distinct values themselves (fewer than k), inertia 0, iterations 0.
 */
export function kmeans1d(values: ArrayLike<number>, k: number, options: Kmeans1dOptions = {}): Kmeans1dResult {
  const caller = "kmeans1d";
  const {
    init = defaults.init,
    maxIterations = defaults.maxIterations,
    tolerance = defaults.tolerance,
    seed = defaults.seed,
    refine = defaults.refine,
  } = options;
  assertInteger(k, caller, "k", { min: 1 });
  assertOneOf(init, kmeansInits, caller, "options.init");
  assertInteger(maxIterations, caller, "options.maxIterations", { min: 0 });
  assertFiniteNumber(tolerance, caller, "options.tolerance", { min: 0 });
  assertInteger(seed, caller, "options.seed");
  if (typeof refine !== "boolean") {
    throw new InvalidArgumentError({
      message: `${caller}: options.refine must be a boolean, got ${String(refine)}`,
      argument: "options.refine",
      value: refine,
    });
  }
  const sorted = sortedCopy(values, caller);
  const n = sorted.length;
  if (n === 0) {
    throw new InvalidArgumentError({
      message: `${caller}: values is empty; need at least one value`,
      argument: "values",
    });
  }
  const distinct = distinctSorted(sorted);
  if (k >= distinct.length) return finish(values, distinct, 0);
  const prefix = new PrefixSums(sorted);
  if (k === 1) return finish(values, Float64Array.of(prefix.mean(0, n)), 0);

  const centroids = initialCentroids(sorted, distinct, k, init, seed);
  const ends = new Int32Array(k);
  let iterations = runLloyd(sorted, prefix, centroids, ends, maxIterations, tolerance);
  // The grid DP needs k × grid cells of memory and k × grid × log(grid) time; past that the
  // refinement is skipped (documented on `refine`).
  if (refine && k * 2 * summaryGroups <= maxRefineCells) {
    const seeded = summarySeededCentroids(sorted, prefix, k);
    const seededEnds = new Int32Array(k);
    iterations += runLloyd(sorted, prefix, seeded, seededEnds, maxIterations, tolerance);
    if (totalCost(prefix, seededEnds) < totalCost(prefix, ends)) centroids.set(seeded);
  }
  return finish(values, centroids, iterations);
}

/**
 * Lloyd from the given ascending centroids until the partition stops changing (or no centroid
 * moves more than `tolerance`). Updates `centroids` and `ends` in place; returns iterations run.
 */
function runLloyd(
  sorted: Float64Array,
  prefix: PrefixSums,
  centroids: Float64Array,
  ends: Int32Array, // cluster j owns sorted[ends[j-1]..ends[j])
  maxIterations: number,
  tolerance: number,
): number {
  const k = centroids.length;
  const previousEnds = new Int32Array(k).fill(-1);
  let iterations = 0;
  while (iterations < maxIterations) {
    iterations++;
    partition(sorted, centroids, ends);
    let moved = 0;
    let start = 0;
    const emptied: number[] = [];
    for (let j = 0; j < k; j++) {
      const end = ends[j] as number;
      if (end > start) {
        const next = prefix.mean(start, end);
        moved = Math.max(moved, Math.abs(next - (centroids[j] as number)));
        centroids[j] = next;
      } else {
        emptied.push(j);
      }
      start = end;
    }
    if (emptied.length > 0) {
      reseedEmpty(sorted, prefix, centroids, ends, emptied);
      centroids.sort();
      previousEnds.fill(-1);
      continue;
    }
    let same = true;
    for (let j = 0; j < k; j++) {
      if (ends[j] !== previousEnds[j]) {
        same = false;
        break;
      }
    }
    if (same || moved <= tolerance) break;
    previousEnds.set(ends);
  }
  partition(sorted, centroids, ends);
  return iterations;
}

function totalCost(prefix: PrefixSums, ends: Int32Array): number {
  let acc = 0;
  let start = 0;
  for (let j = 0; j < ends.length; j++) {
    acc += prefix.cost(start, ends[j] as number);
    start = ends[j] as number;
  }
  return acc;
}

/**
 * Centroids of the exact optimum over partitions whose boundaries fall on a grid of at most
 * 2 × `summaryGroups` positions. Costs stay exact (prefix sums over the raw values), so the
 * seed is optimal up to where the grid lets cuts fall, and the Lloyd run that follows can only
 * lower its error.
 */
function summarySeededCentroids(sorted: Float64Array, prefix: PrefixSums, k: number): Float64Array {
  const n = sorted.length;
  const min = sorted[0] as number;
  const max = sorted[n - 1] as number;
  // Cuts at equal counts resolve the dense middle; cuts at equal widths resolve sparse tails,
  // where optimal clusters hold only a handful of values.
  const cutsAt: number[] = [];
  const groups = Math.min(n, summaryGroups);
  for (let g = 1; g < groups; g++) cutsAt.push(Math.round((g * n) / groups));
  for (let g = 1; g < summaryGroups; g++)
    cutsAt.push(upperBound(sorted, min + ((max - min) * g) / summaryGroups, 0, n));
  cutsAt.push(0, n);
  const boundaries = Int32Array.from(cutsAt).sort();
  let count = 0;
  for (let i = 0; i < boundaries.length; i++) {
    let position = boundaries[i] as number;
    // Never cut between equal values: move the cut to the end of the run.
    if (position > 0 && position < n) position = upperBound(sorted, sorted[position - 1] as number, position, n);
    if (count === 0 || position > (boundaries[count - 1] as number)) boundaries[count++] = position;
  }
  const cuts = optimalSplits(prefix, boundaries.subarray(0, count), Math.min(k, count - 1));
  const centroids = new Float64Array(k);
  for (let j = 0; j + 1 < cuts.length; j++) centroids[j] = prefix.mean(cuts[j] as number, cuts[j + 1] as number);
  // Fewer groups than k (only with heavy ties): spare centroids start on the largest values, Lloyd reseeds them.
  for (let j = cuts.length - 1; j < k; j++) centroids[j] = sorted[n - 1] as number;
  centroids.sort();
  return centroids;
}

function finish(values: ArrayLike<number>, centroids: Float64Array, iterations: number): Kmeans1dResult {
  const assignments = assignToCentroids(values, centroids);
  return { centroids, assignments, inertia: inertiaOf(values, centroids, assignments), iterations };
}

/** ends[j] = one past the last sorted index whose nearest centroid is j. */
function partition(sorted: Float64Array, centroids: Float64Array, ends: Int32Array): void {
  const k = centroids.length;
  const n = sorted.length;
  let lo = 0;
  for (let j = 0; j + 1 < k; j++) {
    const bound = midpoint(centroids[j] as number, centroids[j + 1] as number);
    lo = upperBound(sorted, bound, lo, n);
    ends[j] = lo;
  }
  ends[k - 1] = n;
}

function reseedEmpty(
  sorted: Float64Array,
  prefix: PrefixSums,
  centroids: Float64Array,
  ends: Int32Array,
  emptied: number[],
): void {
  // Move each empty centroid to the farthest member of one of the costliest clusters.
  const k = centroids.length;
  const costs = new Float64Array(k);
  const starts = new Int32Array(k);
  let start = 0;
  for (let j = 0; j < k; j++) {
    starts[j] = start;
    costs[j] = prefix.cost(start, ends[j] as number);
    start = ends[j] as number;
  }
  // Costliest clusters first; each is split at most once per round. O(k log k).
  const order = Array.from(costs.keys()).sort((a, b) => (costs[b] as number) - (costs[a] as number) || a - b);
  emptied.forEach((empty, t) => {
    const worst = order[t] as number;
    const s = starts[worst] as number;
    const e = ends[worst] as number;
    if (e <= s) return; // only when more clusters are empty than non-empty: Lloyd retries next round
    const c = centroids[worst] as number;
    const low = sorted[s] as number;
    const high = sorted[e - 1] as number;
    centroids[empty] = c - low > high - c ? low : high;
  });
}

function initialCentroids(
  sorted: Float64Array,
  distinct: Float64Array,
  k: number,
  init: KmeansInit,
  seed: number,
): Float64Array {
  const n = sorted.length;
  const min = sorted[0] as number;
  const max = sorted[n - 1] as number;
  const centroids = new Float64Array(k);
  if (init === "linear") {
    // Deep Compression: evenly spaced over [min, max], both ends included.
    for (let j = 0; j < k; j++) centroids[j] = min + ((max - min) * j) / (k - 1);
    centroids[k - 1] = max;
  } else if (init === "density") {
    // Evenly spaced levels of the empirical CDF, each read back as a value.
    for (let j = 0; j < k; j++) centroids[j] = sorted[Math.min(n - 1, Math.floor(((j + 0.5) * n) / k))] as number;
  } else if (init === "random") {
    // Forgy: k distinct observations chosen uniformly (distinct so no cluster starts empty).
    const rng = createRng(seed);
    const picks = rng.permutation(distinct.length);
    for (let j = 0; j < k; j++) centroids[j] = distinct[picks[j] as number] as number;
  } else {
    kmeansPlusPlus(sorted, k, seed, centroids);
  }
  centroids.sort();
  return centroids;
}

/**
 * k-means++ (Arthur and Vassilvitskii): each next centroid drawn with probability
 * proportional to the squared distance to the nearest chosen one. O(n·k); initialization only.
 */
function kmeansPlusPlus(sorted: Float64Array, k: number, seed: number, out: Float64Array): void {
  const rng = createRng(seed);
  const n = sorted.length;
  const nearest = new Float64Array(n);
  out[0] = sorted[rng.integer(0, n - 1)] as number;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const d = (sorted[i] as number) - (out[0] as number);
    nearest[i] = d * d;
    total += d * d;
  }
  for (let j = 1; j < k; j++) {
    let target = rng.uniform() * total;
    let pick = n - 1;
    for (let i = 0; i < n; i++) {
      target -= nearest[i] as number;
      if (target < 0) {
        pick = i;
        break;
      }
    }
    // Never pick a value that is already a centroid (distance 0) even through rounding.
    while (pick > 0 && nearest[pick] === 0) pick--;
    while (pick < n - 1 && nearest[pick] === 0) pick++;
    const c = sorted[pick] as number;
    out[j] = c;
    total = 0;
    for (let i = 0; i < n; i++) {
      const d = (sorted[i] as number) - c;
      const dd = d * d;
      if (dd < (nearest[i] as number)) nearest[i] = dd;
      total += nearest[i] as number;
    }
  }
}
