import { assertInteger, InvalidArgumentError } from "@mc/core";
import type { Kmeans1dResult } from "./kmeans1d";
import { assignToCentroids, distinctSorted, inertiaOf, optimalSplits, PrefixSums, sortedCopy } from "./sorted-values";

export interface Kmeans1dOptimalOptions {
  /** Refuse problems whose DP table (k × n entries) would exceed this many cells. */
  maxCells?: number;
}

const defaults = { maxCells: 50_000_000 };

/**
 * Exact (globally optimal) 1-D k-means by dynamic programming over the sorted values, as in
 * Ckmeans.1d.dp (Wang and Song, 2011): D[m][i] = min over j of D[m-1][j] + SSE(j, i), where
 * SSE comes from prefix sums in O(1). The best split point is monotone in i, so each layer is
 * solved by divide and conquer in O(n log n): O(k·n log n) time, O(k·n) memory for backtracking.
 * Same result shape and the same k >= distinct-values rule as `kmeans1d`; `iterations` is 0.
 */
export function kmeans1dOptimal(
  values: ArrayLike<number>,
  k: number,
  options: Kmeans1dOptimalOptions = {},
): Kmeans1dResult {
  const caller = "kmeans1dOptimal";
  const { maxCells = defaults.maxCells } = options;
  assertInteger(k, caller, "k", { min: 1 });
  assertInteger(maxCells, caller, "options.maxCells", { min: 1 });
  const sorted = sortedCopy(values, caller);
  const n = sorted.length;
  if (n === 0) {
    throw new InvalidArgumentError({
      message: `${caller}: values is empty; need at least one value`,
      argument: "values",
    });
  }
  const distinct = distinctSorted(sorted);
  if (k >= distinct.length) {
    const assignments = assignToCentroids(values, distinct);
    return { centroids: distinct, assignments, inertia: 0, iterations: 0 };
  }
  if (k * n > maxCells) {
    throw new InvalidArgumentError({
      message: `${caller}: k (${k}) × n (${n}) = ${k * n} exceeds options.maxCells ${maxCells}; use kmeans1d for large inputs`,
      argument: "k",
      value: k,
    });
  }
  const prefix = new PrefixSums(sorted);
  const everyPosition = new Int32Array(n + 1);
  for (let i = 0; i <= n; i++) everyPosition[i] = i;
  const cuts = optimalSplits(prefix, everyPosition, k);
  const centroids = new Float64Array(k);
  for (let j = 0; j < k; j++) centroids[j] = prefix.mean(cuts[j] as number, cuts[j + 1] as number);
  const assignments = assignToCentroids(values, centroids);
  return { centroids, assignments, inertia: inertiaOf(values, centroids, assignments), iterations: 0 };
}
